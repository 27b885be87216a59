/**
 * The fleet worker: its lifecycle (prepare, start, stop) and its job loops. What a job does is in
 * `sync-job.ts` and `invite-job.ts`; what puts jobs on the queues in `scheduling.ts`; the options in
 * `options.ts`.
 *
 * - One job per practice at a time: both queues are `singleton` (one active job per practice); the
 *   practice's lease in `checkpoints` is the real guarantee underneath (a job pg-boss thinks dead may
 *   still be running). A job killed with its worker is retried even when another of its practice is
 *   queued (no false dead letter).
 * - As fast as the network: each of the `concurrency` loops fetches its next job as soon as it
 *   finished one, for as long as jobs are waiting; an idle loop waits for a NOTIFY (or its polling
 *   interval).
 * - Failures are retried with exponential backoff, then dead-lettered, as a PHI-free
 *   {@link FleetJobError}; a failure that cannot heal (a validation error, a 404) is dead-lettered at once.
 * - `stop()` (on SIGTERM and SIGINT): no new jobs; running syncs finish the page in hand and are
 *   re-queued; invitation lists finish their batch in flight.
 */
import { errorTypeOf, noInstrumentation, type Instrumentation } from '../core/instrumentation';
import { isPathId } from '../core/path';
import { consoleLogger, isPino, pinoLogger, silentLogger, type Logger } from '../internal/log';
import { openTelemetry } from '../telemetry/open-telemetry';
import { PostgresInvitationLedger } from '../postgres/ledger';
import type { SqlPoolClient } from '../postgres/sql';
import type { BossJob, FleetQueues } from './boss';
import { FleetClients } from './clients';
import type { FleetJobKind } from './errors';
import { runInviteJob } from './invite-job';
import { FleetHistory } from './history';
import {
  practiceOf,
  recordJob,
  type FleetWorkerStats,
  type JobContext,
  type JobResult,
} from './job';
import { resolveFleetOptions, type FleetWorkerOptions, type ResolvedFleetOptions } from './options';
import { migrateFleet } from './schema';
import { FleetScheduler } from './scheduling';
import { FleetState } from './state';
import { runSyncJob } from './sync-job';

/**
 * Keeps a fleet of practices in sync on pg-boss. Run one per process, as many processes as you like.
 *
 * @example
 * const boss = new PgBoss({ connectionString: process.env.DATABASE_URL!, useListenNotify: true });
 * await boss.start();
 * const worker = new FleetWorker<PoolClient>({
 *   boss,
 *   pool,
 *   clientOptions: (practiceId) => ({ environment: 'production', credentials: credentialsOf(practiceId) }),
 *   onPage: async ({ practiceId, page, transaction }) => {
 *     for (const p of page.patients)
 *       await transaction.query('INSERT INTO portal_changes (practice_id, patient_id) VALUES ($1, $2)', [practiceId, p.practicePatientId]);
 *   },
 * });
 * await worker.start();
 * await worker.schedule(practiceIds, { everyMinutes: 5 });
 * const shutdown = () => void worker.stop().then(() => boss.stop());
 * process.once('SIGTERM', shutdown);
 * process.once('SIGINT', shutdown); // Ctrl-C too: a killed worker holds its leases until they expire
 */
export class FleetWorker<C extends SqlPoolClient = SqlPoolClient> {
  /** This worker's name. */
  readonly name: string;
  /** The queue names. */
  readonly queues: FleetQueues;
  /** Counters since `start()`. */
  readonly stats: FleetWorkerStats = {
    running: 0,
    synced: 0,
    invited: 0,
    failed: 0,
    rateLimited: 0,
    handedBack: 0,
    leaseHeld: 0,
  };
  private readonly o: FleetWorkerOptions<C>;
  private readonly options: ResolvedFleetOptions;
  private readonly scheduler: FleetScheduler;
  private readonly ctx: JobContext<C>;
  /** Fires on `stop()`: syncs stop at their next page boundary. */
  private readonly stopping = new AbortController();
  /** Fires when `stop()` gives up waiting: everything still running is aborted. */
  private readonly aborting = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private readonly instrumentation: Instrumentation;
  private readonly history: FleetHistory;
  private historyTimer: NodeJS.Timeout | undefined;
  private prepared: Promise<void> | undefined;
  private working = false;
  private stopped: Promise<void> | undefined;

  /** @throws {ConfigurationError} when an option is out of range, naming it (before anything is sent). */
  constructor(options: FleetWorkerOptions<C>) {
    this.o = options;
    this.options = resolveFleetOptions(options);
    this.name = this.options.name;
    this.queues = this.options.queues;
    const logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger());
    // pino takes (fields, message): handed the SDK's (message, fields) it would drop every field.
    const log: Logger = isPino(logger) ? pinoLogger(logger) : logger;
    this.instrumentation = this.options.telemetry ? openTelemetry() : noInstrumentation;
    this.history = new FleetHistory(
      options.pool,
      {
        schema: this.options.schema,
        environment: this.options.environment,
        retentionDays: this.options.historyRetentionDays,
        staleAfterSeconds: this.options.staleAfterSeconds,
        deadLetters: async () =>
          (await options.boss.getQueue(this.queues.deadLetter))?.queuedCount ?? undefined,
      },
      this.instrumentation,
    );
    this.scheduler = new FleetScheduler(options.boss, this.queues, () => this.prepare());
    this.ctx = {
      callbacks: options,
      options: this.options,
      clients: new FleetClients(
        options.clientOptions,
        this.options.maxRequestsInFlight,
        this.options.maxRetryAfterMs,
      ),
      state: new FleetState(options.pool, this.options.schema, this.options.environment, this.name),
      ledger: new PostgresInvitationLedger({
        pool: options.pool,
        schema: this.options.schema,
        ...(options.resendGuardMs !== undefined ? { resendGuardMs: options.resendGuardMs } : {}),
      }),
      scheduler: this.scheduler,
      stats: this.stats,
      instrumentation: this.instrumentation,
      signals: { stopping: this.stopping.signal, aborting: this.aborting.signal },
      report: (kind, level, fields) =>
        log[level]('fleet job', { queue: this.queues[kind], ...fields }),
    };
  }

  /**
   * Creates or upgrades the tables and queues (idempotent). `start()` does it; call it alone in a
   * process that only schedules or sends jobs. The queues' retries, timeout and heartbeat are set
   * when a queue is first created; change them later with pg-boss's `updateQueue`.
   *
   * @throws {StateStoreError} the database refused.
   */
  prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const { boss } = this.o;
      await migrateFleet(this.o.pool, this.options.schema);
      const common = this.options.queueOptions;
      await boss.createQueue(this.queues.deadLetter, { policy: 'standard' });
      for (const queue of [this.queues.sync, this.queues.invite]) {
        await boss.createQueue(queue, { ...common, policy: 'singleton' });
        await this.upgradeQueue(queue);
      }
    })();
    this.prepared.catch(() => (this.prepared = undefined));
    return this.prepared;
  }

  /**
   * A queue made by 0.2 keeps its policy (`stately`: a killed job's retry that met a queued job of
   * its practice was dead-lettered); it is said once in the log. Its notify and retention are set.
   */
  private async upgradeQueue(queue: string): Promise<void> {
    const found = await this.o.boss.getQueue(queue);
    if (!found) return;
    if (found.policy !== 'singleton')
      this.ctx.report('sync', 'warn', {
        message: `queue ${queue} has policy ${String(found.policy)}: use a new queuePrefix for 'singleton' (docs/fleet.md)`,
      });
    const keep = this.options.queueOptions.deleteAfterSeconds;
    if (!found.notify || found.deleteAfterSeconds !== keep)
      await this.o.boss.updateQueue(queue, {
        notify: true,
        ...(keep !== undefined ? { deleteAfterSeconds: keep } : {}),
      });
  }

  /**
   * Prepares, then works the sync queue (and the invitation queue when `loadInvites` is given) with
   * `concurrency` job loops each.
   *
   * @throws {StateStoreError} the database refused.
   */
  async start(): Promise<void> {
    if (this.stopping.signal.aborted) throw new Error('FleetWorker: stopped; create a new one');
    if (this.working) return;
    await this.prepare();
    this.working = true;
    await this.loops(this.queues.sync, 'sync');
    if (this.o.loadInvites) await this.loops(this.queues.invite, 'invite');
    this.snapshots();
  }

  /** Once a minute, the fleet's snapshot (written by whichever worker comes first). */
  private snapshots(): void {
    const tick = (): void => {
      this.history.tick().catch((error: unknown) =>
        this.ctx.report('sync', 'warn', {
          message: 'fleet snapshot failed',
          errorClass: errorTypeOf(error),
          ...codeOf(error),
        }),
      );
    };
    tick();
    this.historyTimer = setInterval(tick, 60_000);
    this.historyTimer.unref();
  }

  /**
   * `concurrency` loops on a queue, each taking one job at a time. A loop that just finished a job
   * fetches again at once (pg-boss would otherwise wait its polling interval after every job): a
   * worker runs as many jobs a second as the network allows, and an idle one waits for a NOTIFY.
   */
  private async loops(queue: string, kind: FleetJobKind): Promise<void> {
    const work = {
      localConcurrency: 1,
      batchSize: 1,
      pollingIntervalSeconds: this.options.pollingIntervalSeconds,
      notifyPollingIntervalSeconds: this.options.notifyPollingIntervalSeconds,
      perJobResults: true,
    };
    for (let i = 0; i < this.options.concurrency; i++) {
      const loop: { id?: string } = {};
      loop.id = await this.o.boss.work(queue, work, async (jobs) => {
        const results = await this.each(jobs, kind);
        if (jobs.length > 0 && loop.id !== undefined && !this.stopping.signal.aborted)
          this.o.boss.notifyWorker(loop.id);
        return results;
      });
    }
  }

  /**
   * Stops gracefully: takes no new job; running syncs finish the page in hand and are re-queued (a
   * page being fetched is dropped uncommitted and read again by the next run); invitation lists finish
   * the batch in flight. After `shutdownTimeoutMs` whatever still runs is aborted. Then stop `boss`.
   * Every call resolves when the worker has stopped (a second SIGTERM or a SIGINT waits too).
   */
  stop(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private async drain(): Promise<void> {
    this.stopping.abort(new Error('worker stopping'));
    clearInterval(this.historyTimer);
    this.history.close();
    const timer = setTimeout(
      () => this.aborting.abort(new Error('worker stopped')),
      this.options.shutdownTimeoutMs,
    );
    try {
      const queues = [this.queues.sync, ...(this.o.loadInvites ? [this.queues.invite] : [])];
      await Promise.all(queues.map((q) => this.o.boss.offWork(q, { wait: true })));
      await Promise.allSettled([...this.running]);
    } finally {
      clearTimeout(timer);
      this.working = false;
    }
  }

  /**
   * Queues a sync of each practice now (or after `delaySeconds`): one insert for all of them. A
   * practice that already has one queued is left alone. Resolves with how many were queued.
   *
   * @throws {ValidationError} an id the client would refuse (nothing is queued).
   */
  syncNow(practiceIds: string[], options: { delaySeconds?: number } = {}): Promise<number> {
    return this.scheduler.syncNow(practiceIds, options);
  }

  /**
   * Syncs each practice every `everyMinutes` (1 to 60), on a pg-boss schedule per practice. Practices
   * are spread over the interval by a hash of their id, so they do not all start at once. With
   * `replace: true` the list is the whole set: the schedules of practices not in it are removed.
   *
   * @throws {ValidationError} an id the client would refuse, or an interval it cannot express.
   */
  schedule(
    practiceIds: string[],
    options: { everyMinutes: number; replace?: boolean },
  ): Promise<void> {
    return this.scheduler.schedule(practiceIds, options);
  }

  /** Removes the practices' schedules. @throws {ValidationError} an id the client would refuse. */
  unschedule(practiceIds: string[]): Promise<void> {
    return this.scheduler.unschedule(practiceIds);
  }

  /**
   * Queues an invitation list: `loadInvites(practiceId, ref)` gives its patients when the job runs,
   * and the ledger makes reruns safe (an accepted patient is never sent again).
   *
   * @throws {ValidationError} a practice id the client would refuse, or an empty `ref`.
   */
  invite(
    practiceId: string,
    ref: string,
    options: { resendUnknown?: boolean } = {},
  ): Promise<string | null> {
    return this.scheduler.invite(practiceId, ref, options);
  }

  /** One job in its span (the parent of its sync's or invitation run's), counted by outcome. */
  private traced(kind: FleetJobKind, job: BossJob): Promise<JobResult> {
    const practiceId = practiceOf(job.data, isPathId);
    return this.instrumentation.operation(
      'medfusion.fleet.job',
      {
        'medfusion.job.kind': kind,
        'medfusion.job.id': job.id,
        'medfusion.environment': this.options.environment,
        ...(practiceId ? { 'medfusion.practice.id': practiceId } : {}),
      },
      async (span) => {
        const result =
          kind === 'sync' ? await runSyncJob(this.ctx, job) : await runInviteJob(this.ctx, job);
        recordJob(
          this.instrumentation,
          span,
          kind,
          job,
          result,
          this.options.queueOptions.retryLimit ?? 0,
        );
        return result;
      },
    );
  }

  /** pg-boss's handler: one result per job (batches are of one). */
  private async each(jobs: BossJob[], kind: FleetJobKind): Promise<JobResult[]> {
    const results: JobResult[] = [];
    for (const job of jobs) {
      const task = this.traced(kind, job);
      this.running.add(task);
      this.stats.running++;
      try {
        results.push(await task);
      } finally {
        this.running.delete(task);
        this.stats.running--;
      }
    }
    return results;
  }
}

/** A database error's SQLSTATE or a system error's code, for a log line. */
function codeOf(error: unknown): { code?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[\w.-]{1,40}$/.test(code) ? { code } : {};
}

export type { FleetWorkerStats } from './job';
export type { FleetPage, FleetRetryOptions, FleetWorkerOptions } from './options';
