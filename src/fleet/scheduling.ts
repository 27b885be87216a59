/**
 * What puts jobs on the fleet's queues: schedules per practice, `syncNow` (one insert for many
 * practices), invitation lists, and the reschedules of a running job (a rate limit, a held lease, a
 * graceful stop). The sync queue is `singleton` (one active job per practice, any number queued), so
 * a job killed with its worker is retried even when another job of the practice is queued; this file
 * keeps the queued ones few: a practice that already has a queued job gets no other.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors';
import { isPathId } from '../core/path';
import type { BossJobInsert, FleetBoss, FleetQueues, InviteJobData, SyncJobData } from './boss';

/** The most jobs a queue lists at once when `syncNow` looks for practices already queued. */
const QUEUED_LIMIT = 100_000;

export class FleetScheduler {
  constructor(
    private readonly boss: FleetBoss,
    private readonly queues: FleetQueues,
    /** Creates the tables and queues, once. */
    private readonly prepare: () => Promise<void>,
  ) {}

  /**
   * Queues a sync of each practice (after `delaySeconds`), one `insert` for all of them. Practices
   * that already have one queued are left alone. Resolves with how many were queued.
   */
  async syncNow(practiceIds: string[], options: { delaySeconds?: number } = {}): Promise<number> {
    checkPracticeIds(practiceIds);
    const delay = options.delaySeconds ?? 0;
    if (!Number.isFinite(delay) || delay < 0)
      throw new ValidationError('syncNow', [{ path: 'options.delaySeconds', rule: 'number >= 0' }]);
    await this.prepare();
    const queued = new Set(
      (await this.boss.findJobs(this.queues.sync, { queued: true, limit: QUEUED_LIMIT })).map(
        (j) => j.singletonKey,
      ),
    );
    const jobs: BossJobInsert[] = [...new Set(practiceIds)]
      .filter((id) => !queued.has(id))
      .map((practiceId) => syncJob(practiceId, delay));
    if (jobs.length === 0) return 0;
    const ids = await this.boss.insert(this.queues.sync, jobs, { returnId: true });
    return ids?.length ?? jobs.length;
  }

  /** Queues one practice's next run after `delaySeconds`, unless one is queued already. */
  async resync(practiceId: string, delaySeconds: number): Promise<void> {
    const queued = await this.boss.findJobs(this.queues.sync, {
      key: practiceId,
      queued: true,
      limit: 1,
    });
    if (queued.length > 0) return;
    const job = syncJob(practiceId, delaySeconds);
    await this.boss.send(this.queues.sync, job.data, {
      singletonKey: practiceId,
      ...(job.startAfter !== undefined ? { startAfter: job.startAfter } : {}),
    });
  }

  /**
   * Syncs each practice every `everyMinutes` (1 to 60), on a pg-boss schedule per practice, spread
   * over the interval by a hash of the practice id so that they do not all start at once.
   */
  async schedule(
    practiceIds: string[],
    options: { everyMinutes: number; replace?: boolean },
  ): Promise<void> {
    checkPracticeIds(practiceIds);
    const every = options.everyMinutes;
    if (!Number.isInteger(every) || every < 1 || every > 60)
      throw new ValidationError('schedule', [
        { path: 'options.everyMinutes', rule: 'integer(1..60)' },
      ]);
    await this.prepare();
    for (const practiceId of practiceIds) {
      const offset = spread(practiceId, every);
      const cron = every === 60 ? `${offset} * * * *` : `${offset}-59/${every} * * * *`;
      const data: SyncJobData = { practiceId };
      await this.boss.schedule(this.queues.sync, cron, data, {
        key: practiceId,
        singletonKey: practiceId,
        missed: 'once',
      });
    }
    if (options.replace === true) {
      // The list is the whole set: a practice no longer in it stops being synced.
      const keep = new Set(practiceIds);
      for (const s of await this.boss.getSchedules(this.queues.sync))
        if (s.key !== undefined && !keep.has(s.key))
          await this.boss.unschedule(this.queues.sync, s.key);
    }
  }

  /** Removes the practices' schedules. */
  async unschedule(practiceIds: string[]): Promise<void> {
    checkPracticeIds(practiceIds);
    for (const practiceId of practiceIds) await this.boss.unschedule(this.queues.sync, practiceId);
  }

  /** Queues an invitation list: `loadInvites(practiceId, ref)` gives its patients when it runs. */
  async invite(
    practiceId: string,
    ref: string,
    options: { resendUnknown?: boolean } = {},
  ): Promise<string | null> {
    checkPracticeIds([practiceId], 'practiceId');
    if (typeof ref !== 'string' || ref.trim() === '' || ref.length > 500)
      throw new ValidationError('invite', [
        { path: 'ref', rule: 'nonEmpty, at most 500 characters' },
      ]);
    await this.prepare();
    const data: InviteJobData = {
      practiceId,
      ref,
      ...(options.resendUnknown ? { resendUnknown: true } : {}),
    };
    return this.boss.send(this.queues.invite, data, { singletonKey: practiceId });
  }
}

function syncJob(practiceId: string, delaySeconds: number): BossJobInsert {
  const data: SyncJobData = { practiceId };
  return {
    data,
    singletonKey: practiceId,
    ...(delaySeconds > 0 ? { startAfter: Math.ceil(delaySeconds) } : {}),
  };
}

/** Practice ids as the client takes them, checked when a job is queued rather than when it runs. */
export function checkPracticeIds(ids: unknown, path = 'practiceIds'): void {
  if (!Array.isArray(ids)) throw new ValidationError('practice ids', [{ path, rule: 'array' }]);
  const issues = ids.flatMap((id: unknown, i) =>
    isPathId(id)
      ? []
      : [{ path: path === 'practiceId' ? path : `${path}[${i}]`, rule: 'practiceId' }],
  );
  if (issues.length > 0) throw new ValidationError('practice ids', issues);
}

/** A practice's minute within the interval, the same on every worker. */
function spread(practiceId: string, every: number): number {
  return createHash('sha256').update(practiceId).digest().readUInt32BE(0) % every;
}
