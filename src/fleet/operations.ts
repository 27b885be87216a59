/**
 * What an operator does to the fleet, in practice terms (job-level actions stay with pg-boss's own
 * dashboard and CLI): list dead letters by practice with their reason, redrive them, release a lease
 * whose holder is gone, reset a practice's cursor, remove a practice. Each action that changes
 * something is recorded in the run log (`fleet_runs`, kind `action`) with its operator; none shows a
 * cursor, a patient value or a message.
 *
 * Leases and cursors are fenced: releasing or resetting bumps the checkpoint's fence, so a holder
 * that was thought gone and comes back cannot commit (its next write is a `LeaseLostError`).
 */
import { ConfigurationError, ValidationError } from '../core/errors';
import { malformed, type CursorFormat } from '../core/cursor';
import { isPathId } from '../core/path';
import { DEFAULT_SCHEMA, run, schemaIdent, type SqlClient } from '../postgres/sql';
import { queueNames, type BossFoundJob, type FleetQueues } from './boss';
import { checkPracticeIds } from './scheduling';

/** The part of `PgBoss` the actions that touch jobs need (redrive, remove). */
export interface OperationsBoss {
  /** Moves dead-lettered jobs back to their queue (pg-boss 12.38+). */
  redrive(
    name: string,
    options?: { data?: object; ids?: string[]; limit?: number },
  ): Promise<number>;
  /** Removes the schedule of `key`. */
  unschedule(name: string, key?: string): Promise<void>;
  /** Jobs of a queue: of one singleton key (`key`), queued only (`queued`). */
  findJobs(
    name: string,
    options?: { key?: string; queued?: boolean; limit?: number },
  ): Promise<BossFoundJob[]>;
  /** Cancels jobs by id. */
  cancel(name: string, id: string | string[]): Promise<unknown>;
}

/** Options of {@link FleetOperations}. */
export interface FleetOperationsOptions {
  /** The database: a `pg.Pool` or a connected `pg.Client`. */
  db: SqlClient;
  /** Schema of the SDK's and the fleet's tables. @default 'medfusion' */
  schema?: string;
  /** The fleet's environment. @default 'production' */
  environment?: string;
  /** Prefix of the fleet's queues. @default 'medfusion' */
  queuePrefix?: string;
  /** pg-boss's schema, where dead letters are read. @default 'pgboss' */
  bossSchema?: string;
  /** A started `PgBoss`: needed to redrive and to remove a practice. */
  boss?: OperationsBoss;
  /** Who acts, as recorded in the run log. @default `$USER` or 'operator' */
  operator?: string;
  /** How a cursor given to `resetCursor` is checked. @default 'medfusion' */
  cursorFormat?: CursorFormat;
}

/** Why a job was dead-lettered: its `FleetJobError`'s fields (no message of the failure underneath). */
export interface DeadLetterReason {
  /** The class of the failure. */
  errorClass: string;
  /** `sdk` or `callback`. */
  origin?: string;
  /** Which of your callbacks threw, when known. */
  callback?: string;
  /** The HTTP status, when Medfusion answered. */
  status?: number;
  /** SQLSTATE, `E…` code or OAuth code. */
  code?: string;
  /** The rule of a `CursorError` or `ValidationError`. */
  rule?: string;
  /** Whether another attempt may succeed. */
  retryable?: boolean;
  /** The `FleetJobError`'s message (classes, status and code only). */
  message?: string;
}

/** One job in the dead-letter queue. */
export interface DeadLetter {
  /** Its id in the dead-letter queue (what `redrive` by id takes). */
  id: string;
  /** The practice. */
  practiceId: string | undefined;
  /** `sync` or `invite`. */
  kind: 'sync' | 'invite' | 'unknown';
  /** An invitation list's reference. */
  ref?: string;
  /** When it was dead-lettered. */
  deadLetteredAt: Date;
  /** When its first attempt was queued. */
  firstQueuedAt: Date | undefined;
  /** Attempts made. */
  attempts: number;
  /** Why: the reason kept in `FleetJobError` (undefined for a job that failed without one). */
  reason: DeadLetterReason | undefined;
}

/** How a lease release or a cursor reset went. */
export interface FencedResult {
  /** Whether the change was made. */
  done: boolean;
  /** Why not: no checkpoint; the holder is alive (renewing its lease); no lease to release. */
  refused?: 'no-checkpoint' | 'holder-alive' | 'not-leased';
  /** The lease holder it was about (released, or alive). */
  holder?: string;
  /** The checkpoint's fence after the change. */
  fence?: number;
}

interface DeadRow {
  id: string;
  data: { practiceId?: unknown; ref?: unknown } | null;
  source_name: string | null;
  created_on: Date;
  source_created_on: Date | null;
  source_retry_count: number | null;
  source_output: Record<string, unknown> | null;
}

/** A lease whose holder stopped renewing (past half of it): the holder is gone. */
const GONE = `lease_renewed_at IS NOT NULL
  AND now() - lease_renewed_at >= (lease_expires_at - lease_renewed_at) / 2`;

/**
 * The operator's actions on a fleet, in practice terms; `medfusion-fleet` runs them from the command
 * line. Each change is recorded in the run log with its operator.
 *
 * @example
 * const ops = new FleetOperations({ db: pool, boss, environment: 'production' });
 * for (const d of await ops.deadLetters())
 *   logger.warn('dead letter', { practiceId: d.practiceId, errorClass: d.reason?.errorClass });
 * await ops.redrive(['practice-uuid']);
 */
export class FleetOperations {
  private readonly s: string;
  private readonly environment: string;
  private readonly queues: FleetQueues;
  private readonly operator: string;

  constructor(private readonly o: FleetOperationsOptions) {
    this.s = schemaIdent(o.schema ?? DEFAULT_SCHEMA);
    this.environment = o.environment ?? 'production';
    this.queues = queueNames(o.queuePrefix ?? 'medfusion');
    const who = o.operator ?? process.env.USER ?? 'operator';
    this.operator = /^[\w.@:-]{1,100}$/.test(who) ? who : 'operator';
  }

  /**
   * The jobs in the dead-letter queue, oldest first, with their practice and reason.
   *
   * @throws {StateStoreError} the database refused (pg-boss's schema missing: `bossSchema`).
   */
  async deadLetters(): Promise<DeadLetter[]> {
    const boss = schemaIdent(this.o.bossSchema ?? 'pgboss');
    const res = await run(
      this.o.db,
      'fleet.dead-letters',
      `SELECT id, data, source_name, created_on, source_created_on, source_retry_count, source_output
         FROM ${boss}.job
        WHERE name = $1 AND state IN ('created', 'retry', 'active')
        ORDER BY created_on, id`,
      [this.queues.deadLetter],
    );
    return (res.rows as DeadRow[]).map((r): DeadLetter => {
      const practiceId = isPathId(r.data?.practiceId) ? r.data.practiceId : undefined;
      const kind =
        r.source_name === this.queues.sync
          ? 'sync'
          : r.source_name === this.queues.invite
            ? 'invite'
            : 'unknown';
      const ref = typeof r.data?.ref === 'string' ? r.data.ref : undefined;
      return {
        id: r.id,
        practiceId,
        kind,
        ...(ref !== undefined ? { ref } : {}),
        deadLetteredAt: r.created_on,
        firstQueuedAt: r.source_created_on ?? undefined,
        attempts: (r.source_retry_count ?? 0) + 1,
        reason: reasonOf(r.source_output),
      };
    });
  }

  /**
   * Sends the dead letters of these practices (or all) back to their queues. Resolves with how many
   * jobs moved.
   *
   * @throws {ConfigurationError} no `boss` was given.
   * @throws {ValidationError} an id the client would refuse.
   */
  async redrive(practiceIds: string[] | 'all'): Promise<number> {
    const boss = this.needBoss('redrive');
    let moved = 0;
    if (practiceIds === 'all') {
      for (let n = -1; n !== 0; moved += n)
        n = await boss.redrive(this.queues.deadLetter, { limit: 1000 });
      await this.record('*', 'redrive', { jobs: moved });
      return moved;
    }
    checkPracticeIds(practiceIds);
    if (practiceIds.length === 0)
      throw new ValidationError('practice ids', [{ path: 'practiceIds', rule: 'nonEmpty' }]);
    for (const practiceId of practiceIds) {
      let mine = 0;
      for (let n = -1; n !== 0; mine += n)
        n = await boss.redrive(this.queues.deadLetter, { data: { practiceId }, limit: 1000 });
      await this.record(practiceId, 'redrive', { jobs: mine });
      moved += mine;
    }
    return moved;
  }

  /**
   * Releases the practice's lease when its holder is gone (it stopped renewing: a killed process),
   * so another worker can sync it at once rather than when the lease runs out. Fenced: if the holder
   * comes back, its next write fails. A holder that is alive keeps its lease (`holder-alive`).
   *
   * @throws {ValidationError} an id the client would refuse.
   */
  async releaseLease(practiceId: string): Promise<FencedResult> {
    checkPracticeIds([practiceId], 'practiceId');
    const res = await run(
      this.o.db,
      'fleet.release-lease',
      `WITH gone AS (
         SELECT practice_id, environment, api_version, holder FROM ${this.s}.checkpoints
          WHERE practice_id = $1 AND environment = $2 AND lease_expires_at > now() AND ${GONE}
          FOR UPDATE
       )
       UPDATE ${this.s}.checkpoints c
          SET holder = NULL, lease_expires_at = NULL, lease_renewed_at = NULL,
              fence = c.fence + 1, updated_at = now()
         FROM gone
        WHERE c.practice_id = gone.practice_id AND c.environment = gone.environment
          AND c.api_version = gone.api_version
       RETURNING gone.holder, c.fence`,
      [practiceId, this.environment],
    );
    const row = res.rows[0] as { holder: string; fence: string } | undefined;
    if (row) {
      await this.record(practiceId, 'release-lease', { holder: row.holder });
      return { done: true, holder: row.holder, fence: Number(row.fence) };
    }
    return this.whyNot(practiceId, 'not-leased');
  }

  /**
   * Sets the practice's cursor to `to`, or clears it (the next sync reads the feed from its start:
   * every patient is delivered again). Refused while a live worker holds the practice; fenced, so a
   * run that was thought gone cannot commit after it.
   *
   * @throws {ValidationError} an id the client would refuse, or a cursor `cursorFormat` refuses.
   */
  async resetCursor(practiceId: string, options: { to?: string } = {}): Promise<FencedResult> {
    checkPracticeIds([practiceId], 'practiceId');
    const { to } = options;
    if (to !== undefined && malformed(to, this.o.cursorFormat ?? 'medfusion'))
      throw new ValidationError('reset-cursor', [{ path: 'to', rule: 'cursor(<epoch>[,<n>])' }]);
    const res = await run(
      this.o.db,
      'fleet.reset-cursor',
      `UPDATE ${this.s}.checkpoints
          SET cursor = $3, holder = NULL, lease_expires_at = NULL, lease_renewed_at = NULL,
              fence = fence + 1, updated_at = now()
        WHERE practice_id = $1 AND environment = $2
          AND (lease_expires_at IS NULL OR lease_expires_at <= now() OR ${GONE})
       RETURNING fence`,
      [practiceId, this.environment, to ?? null],
    );
    const row = res.rows[0] as { fence: string } | undefined;
    if (row) {
      await this.record(practiceId, 'reset-cursor', { to: to === undefined ? 'start' : 'given' });
      return { done: true, fence: Number(row.fence) };
    }
    return this.whyNot(practiceId, 'no-checkpoint');
  }

  /**
   * Removes a practice from the fleet: its schedule, its queued jobs, its row and its checkpoint. Its
   * invitation ledger stays (forgetting it would let a patient be invited twice) and so does its run
   * log. Refused while a live worker holds it.
   *
   * @throws {ConfigurationError} no `boss` was given.
   * @throws {ValidationError} an id the client would refuse.
   */
  async removePractice(practiceId: string): Promise<FencedResult> {
    checkPracticeIds([practiceId], 'practiceId');
    const boss = this.needBoss('removePractice');
    const held = await this.whyNot(practiceId, 'not-leased');
    if (held.refused === 'holder-alive') return held;
    await boss.unschedule(this.queues.sync, practiceId);
    for (const queue of [this.queues.sync, this.queues.invite]) {
      const queued = await boss.findJobs(queue, { key: practiceId, queued: true });
      if (queued.length > 0)
        await boss.cancel(
          queue,
          queued.map((j) => j.id),
        );
    }
    await run(
      this.o.db,
      'fleet.remove',
      `WITH gone AS (
         DELETE FROM ${this.s}.checkpoints WHERE practice_id = $1 AND environment = $2
       )
       DELETE FROM ${this.s}.fleet_practices WHERE practice_id = $1 AND environment = $2`,
      [practiceId, this.environment],
    );
    await this.record(practiceId, 'remove', {});
    return { done: true };
  }

  /** Why a fenced change was not made: no row, or a live holder. */
  private async whyNot(
    practiceId: string,
    otherwise: NonNullable<FencedResult['refused']>,
  ): Promise<FencedResult> {
    const res = await run(
      this.o.db,
      'fleet.lease',
      `SELECT holder, fence, lease_expires_at > now() AND NOT (${GONE}) AS alive
         FROM ${this.s}.checkpoints WHERE practice_id = $1 AND environment = $2
        ORDER BY lease_expires_at DESC NULLS LAST LIMIT 1`,
      [practiceId, this.environment],
    );
    const row = res.rows[0] as { holder: string | null; fence: string; alive: boolean } | undefined;
    if (!row) return { done: false, refused: 'no-checkpoint' };
    if (row.alive && row.holder !== null)
      return { done: false, refused: 'holder-alive', holder: row.holder, fence: Number(row.fence) };
    return { done: false, refused: otherwise, fence: Number(row.fence) };
  }

  private needBoss(action: string): OperationsBoss {
    if (!this.o.boss)
      throw new ConfigurationError(
        'boss',
        `a started PgBoss (pg-boss 12.38+) is needed to ${action}`,
        'FleetOperations',
      );
    return this.o.boss;
  }

  /** Adds the action to the run log. */
  private async record(practiceId: string, action: string, detail: object): Promise<void> {
    await run(
      this.o.db,
      'fleet.action',
      `INSERT INTO ${this.s}.fleet_runs (practice_id, environment, kind, outcome, started_at, actor, detail)
       VALUES ($1, $2, 'action', $3, now(), $4, $5)`,
      [practiceId, this.environment, action, this.operator, JSON.stringify(detail)],
    );
  }
}

/** The fields of a `FleetJobError` kept in a job's output, each checked for its type. */
function reasonOf(output: Record<string, unknown> | null): DeadLetterReason | undefined {
  if (!output || typeof output.errorClass !== 'string') return undefined;
  const text = (k: string): { [key: string]: string } =>
    typeof output[k] === 'string' ? { [k]: output[k] as string } : {};
  return {
    errorClass: output.errorClass,
    ...text('origin'),
    ...text('callback'),
    ...text('code'),
    ...text('rule'),
    ...text('message'),
    ...(typeof output.status === 'number' ? { status: output.status } : {}),
    ...(typeof output.retryable === 'boolean' ? { retryable: output.retryable } : {}),
  };
}
