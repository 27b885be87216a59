/**
 * The fleet worker: registers with pg-boss and runs, per job, one practice's exactly-once sync or one
 * invitation list through the ledger.
 *
 * - One job per practice at a time: the sync queue is `stately` (one queued and one active job per
 *   practice), the invitation queue `singleton` (one active per practice); the practice's lease in
 *   `checkpoints` is the real guarantee underneath (a job pg-boss thinks dead may still be running).
 * - Failures are retried with exponential backoff, then dead-lettered, as a PHI-free
 *   {@link FleetJobError}; a failure that cannot heal (a validation error, a 404) is dead-lettered at once.
 * - A practice answered 429 is rescheduled after its `Retry-After` (recorded for every worker), not
 *   retried in a loop; one cap on requests in flight per worker, one token per credential set.
 * - `stop()` (on SIGTERM): no new jobs; running syncs finish the page in hand (a page being fetched is
 *   handed back uncommitted) and are re-queued; invitation lists finish their batch in flight.
 */
import { createHash } from 'node:crypto';
import { anySignal } from '../core/abort';
import { MAX_TIMER_MS } from '../core/limits';
import { isPathId } from '../core/path';
import {
  AbortError,
  ConfigurationError,
  LeaseHeldError,
  OAuthError,
  PartialSubmissionError,
  RateLimitError,
  SubmissionOutcomeUnknownError,
  ValidationError,
} from '../core/errors';
import type { InvalidRecord, PatientPage } from '../core/patient-page';
import { isPino, pinoLogger, silentLogger, type Logger } from '../internal/log';
import { retryAfterMs } from '../internal/retry';
import type { PatientInvite } from '../models/patient';
import { defaultHolder, PostgresCheckpointStore } from '../postgres/checkpoint-store';
import { PostgresInvitationLedger } from '../postgres/ledger';
import { DEFAULT_SCHEMA, type SqlPool, type SqlPoolClient } from '../postgres/sql';
import {
  queueNames,
  type BossJob,
  type BossQueueOptions,
  type FleetBoss,
  type FleetQueues,
  type InviteJobData,
  type SyncJobData,
} from './boss';
import { FleetClients, type ClientOptionsFor } from './clients';
import { FleetJobError, InvalidJobError, type FleetCallback, type FleetJobKind } from './errors';
import { migrateFleet } from './schema';
import { FleetState, type RunOutcome } from './state';

/** What `onPage` gets: the practice, its page, and the transaction the cursor moves in. */
export interface FleetPage<C> {
  /** The practice the page is from. */
  practiceId: string;
  /** The page: its patients, cursor and response info. */
  page: PatientPage;
  /** The checkpoint's open transaction: write the page through it and it commits with the cursor. */
  transaction: C;
}

/** Retries of a failed job, then the dead-letter queue. */
export interface FleetRetryOptions {
  /** Retries after the first failure. @default 5 */
  limit?: number;
  /** Seconds before the first retry; doubled at each (with jitter). @default 30 */
  delaySeconds?: number;
  /** Longest wait between retries, in seconds. @default 900 */
  maxDelaySeconds?: number;
}

/** Options of {@link FleetWorker}. */
export interface FleetWorkerOptions<C extends SqlPoolClient = SqlPoolClient> {
  /** Your started `PgBoss` (pg-boss 12, Node 22+). The worker never stops it: stop it after `worker.stop()`. */
  boss: FleetBoss;
  /** Your `pg.Pool`, for the checkpoints, the ledger and the fleet's table. */
  pool: SqlPool<C>;
  /**
   * A practice's client options (credentials per practice or shared, host, API version…). Called once
   * per practice and worker; the fleet adds a shared token cache and request cap.
   */
  clientOptions: ClientOptionsFor;
  /** Writes one page through `transaction`: it commits with the cursor (exactly-once). Throw to roll it back. */
  onPage: (page: FleetPage<C>) => Promise<void>;
  /**
   * The patients of an invitation list, by the `ref` given to `invite()`. Jobs carry the reference
   * only: patient data never sits in pg-boss's tables. Required for invitation jobs.
   */
  loadInvites?: (practiceId: string, ref: string) => Promise<PatientInvite[]>;
  /**
   * Receives each invalid record a practice's feed holds; with it, syncs run in quarantine mode (the
   * rest of the page is delivered). Without it, an invalid record fails the job (strict).
   */
  onInvalidRecord?: (practiceId: string, record: InvalidRecord) => Promise<void>;
  /** Schema of the SDK's tables and the fleet's. @default 'medfusion' */
  schema?: string;
  /** Prefix of the queue names (`<prefix>.sync`, `<prefix>.invite`, `<prefix>.dead-letter`). @default 'medfusion' */
  queuePrefix?: string;
  /** The Medfusion environment's label in the checkpoints (`production`, `demo`…). @default 'production' */
  environment?: string;
  /** Jobs this worker runs at once. @default 4 */
  concurrency?: number;
  /** Requests in flight at once across all of this worker's practices. @default 2 × concurrency */
  maxRequestsInFlight?: number;
  /** A practice's lease; a killed worker's practices are free again after it. @default 30000 */
  leaseMs?: number;
  /** Retries of failed jobs. */
  retry?: FleetRetryOptions;
  /** Longest run of one job, in seconds; pg-boss fails it after that. @default 900 */
  jobTimeoutSeconds?: number;
  /** Heartbeat of running jobs, in seconds (>= 10): a killed worker's jobs are retried after about this. @default 30 */
  heartbeatSeconds?: number;
  /**
   * How often each of the worker's `concurrency` loops looks for a job, in seconds (>= 0.5). A loop
   * takes at most one job per interval, so a worker runs at most `concurrency / interval` short jobs a
   * second; an idle loop costs one indexed query per interval. @default 0.5
   */
  pollingIntervalSeconds?: number;
  /** The longest `Retry-After` waited out inside a job; longer ones reschedule the practice. @default 1000 */
  maxRetryAfterMs?: number;
  /** Delay of a 429 that named none, in seconds. @default 60 */
  rateLimitDelaySeconds?: number;
  /** Patients per invitation batch. @default 100 */
  inviteBatchSize?: number;
  /**
   * How long after a batch's latest POST a resend round may begin (invitation jobs sent with
   * `resendUnknown`); see `PostgresInvitationLedger`. @default 600000 (10 min)
   */
  resendGuardMs?: number;
  /**
   * The longest one page's `onPage` may run, in ms; past it the page is rolled back and the job
   * fails (`CallbackTimeoutError`, retried). @default none (the job's own timeout still applies)
   */
  pageTimeoutMs?: number;
  /** How long `stop()` waits for running jobs before aborting them. @default 30000 */
  shutdownTimeoutMs?: number;
  /** Where the fleet logs one line per job (practice, outcome, counts, class of a failure); a pino logger works as is. @default silent */
  logger?: Logger;
  /** This worker's name in leases and in the operator view. @default `fleet:<host>:<pid>:<random>` */
  name?: string;
}

/** Counters of this worker since it started. */
export interface FleetWorkerStats {
  /** Jobs running now. */
  running: number;
  /** Syncs that drained their practice's feed. */
  synced: number;
  /** Invitation lists fully sent. */
  invited: number;
  /** Jobs that failed (retried or dead-lettered). */
  failed: number;
  /** Practices rescheduled after a 429. */
  rateLimited: number;
  /** Jobs handed back on `stop()`. */
  handedBack: number;
  /** Syncs that found another worker's lease and were put off. */
  leaseHeld: number;
}

/** What a job left as its output in pg-boss (counts and classes, no patient data). */
interface JobOutcome {
  outcome: RunOutcome | 'invited';
  pages?: number;
  patients?: number;
  /** Invitation jobs: patients sent, already accepted, changed since accepted (not sent), resent. */
  sent?: number;
  alreadyAccepted?: number;
  changed?: number;
  unknownResent?: number;
}

type JobResult = { id: string; status: 'completed' | 'failed' | 'deadletter'; output?: object };

/** The longest duration in whole seconds a timer can wait. */
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** An integer option in `min..max`, or `fallback`; anything else is a `ConfigurationError`. */
const integer = (
  name: string,
  v: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number => {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ConfigurationError(name, `must be an integer from ${min} to ${max}`, 'FleetWorker');
  return v;
};

/**
 * Keeps a fleet of practices in sync on pg-boss. Run one per process, as many processes as you like.
 *
 * @example
 * const boss = new PgBoss(process.env.DATABASE_URL!);
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
  private readonly schema: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  /** Retries, timeout, heartbeat and dead letter of both job queues. */
  private readonly queueOptions: BossQueueOptions;
  private readonly clients: FleetClients;
  private readonly state: FleetState;
  private readonly ledger: PostgresInvitationLedger;
  private readonly log: Logger;
  /** Fires on `stop()`: syncs stop at their next page boundary. */
  private readonly stopping = new AbortController();
  /** Fires when `stop()` gives up waiting: everything still running is aborted. */
  private readonly aborting = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private prepared: Promise<void> | undefined;
  private working = false;
  private stopped: Promise<void> | undefined;

  /** @throws {ConfigurationError} when an option is out of range, naming it (before anything is sent). */
  constructor(options: FleetWorkerOptions<C>) {
    this.o = options;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.queues = queueNames(options.queuePrefix ?? 'medfusion');
    this.concurrency = integer('concurrency', options.concurrency, 4, 1, 1000);
    this.leaseMs = integer('leaseMs', options.leaseMs, 30_000, 1000, MAX_TIMER_MS);
    const retry = options.retry ?? {};
    this.queueOptions = {
      retryLimit: integer('retry.limit', retry.limit, 5, 0, 1000),
      retryDelay: integer('retry.delaySeconds', retry.delaySeconds, 30, 1, MAX_SECONDS),
      retryBackoff: true,
      retryDelayMax: integer('retry.maxDelaySeconds', retry.maxDelaySeconds, 900, 1, MAX_SECONDS),
      expireInSeconds: integer('jobTimeoutSeconds', options.jobTimeoutSeconds, 900, 1, MAX_SECONDS),
      heartbeatSeconds: integer('heartbeatSeconds', options.heartbeatSeconds, 30, 10, MAX_SECONDS),
      deadLetter: this.queues.deadLetter,
    };
    integer('shutdownTimeoutMs', options.shutdownTimeoutMs, 30_000, 0, MAX_TIMER_MS);
    integer('pageTimeoutMs', options.pageTimeoutMs, 1, 1, MAX_TIMER_MS);
    integer('rateLimitDelaySeconds', options.rateLimitDelaySeconds, 60, 0, MAX_SECONDS);
    integer('inviteBatchSize', options.inviteBatchSize, 100, 1, 100);
    this.name = options.name ?? `fleet:${defaultHolder()}`;
    this.clients = new FleetClients(
      options.clientOptions,
      integer('maxRequestsInFlight', options.maxRequestsInFlight, 2 * this.concurrency, 1, 100_000),
      integer('maxRetryAfterMs', options.maxRetryAfterMs, 1000, 0, MAX_TIMER_MS),
    );
    this.state = new FleetState(options.pool, this.schema, this.name);
    this.ledger = new PostgresInvitationLedger({
      pool: options.pool,
      schema: this.schema,
      ...(options.resendGuardMs !== undefined ? { resendGuardMs: options.resendGuardMs } : {}),
    });
    const logger = options.logger ?? silentLogger;
    // pino takes (fields, message): handed the SDK's (message, fields) it would drop every field.
    this.log = isPino(logger) ? pinoLogger(logger) : logger;
  }

  /**
   * Creates the tables and queues (idempotent). `start()` does it; call it alone in a process that
   * only schedules or sends jobs. The queues' options (retries, timeout, heartbeat) are set when a
   * queue is first created; change them later with pg-boss's `updateQueue`.
   *
   * @throws {StateStoreError} the database refused.
   */
  prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await migrateFleet(this.o.pool, this.schema);
      const common = this.queueOptions;
      await this.o.boss.createQueue(this.queues.deadLetter, { policy: 'standard' });
      await this.o.boss.createQueue(this.queues.sync, { ...common, policy: 'stately' });
      await this.o.boss.createQueue(this.queues.invite, { ...common, policy: 'singleton' });
    })();
    this.prepared.catch(() => (this.prepared = undefined));
    return this.prepared;
  }

  /**
   * Prepares, then works the sync queue (and the invitation queue when `loadInvites` is given) with
   * `concurrency` jobs at once.
   *
   * @throws {StateStoreError} the database refused.
   */
  async start(): Promise<void> {
    if (this.stopping.signal.aborted) throw new Error('FleetWorker: stopped; create a new one');
    if (this.working) return;
    await this.prepare();
    this.working = true;
    const work = {
      localConcurrency: this.concurrency,
      batchSize: 1,
      pollingIntervalSeconds: this.o.pollingIntervalSeconds ?? 0.5,
      perJobResults: true,
    };
    await this.o.boss.work(this.queues.sync, work, (jobs) => this.each(jobs, 'sync'));
    if (this.o.loadInvites)
      await this.o.boss.work(this.queues.invite, work, (jobs) => this.each(jobs, 'invite'));
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
    const timer = setTimeout(
      () => this.aborting.abort(new Error('worker stopped')),
      this.o.shutdownTimeoutMs ?? 30_000,
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
   * Sends a sync job for each practice now (or after `delaySeconds`). A practice that already has one
   * queued is left alone. Resolves with how many were queued.
   */
  async syncNow(practiceIds: string[], options: { delaySeconds?: number } = {}): Promise<number> {
    checkPracticeIds(practiceIds);
    await this.prepare();
    let sent = 0;
    for (const practiceId of practiceIds) {
      const id = await this.sendSync(practiceId, options.delaySeconds ?? 0);
      if (id !== null) sent++;
    }
    return sent;
  }

  /**
   * Syncs each practice every `everyMinutes` (1 to 60), on a pg-boss schedule per practice. Practices
   * are spread over the interval by a hash of their id, so they do not all start at once. A practice
   * still syncing when its time comes keeps at most one run queued behind it.
   */
  async schedule(practiceIds: string[], options: { everyMinutes: number }): Promise<void> {
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
      await this.o.boss.schedule(this.queues.sync, cron, data, {
        key: practiceId,
        singletonKey: practiceId,
        missed: 'once',
      });
    }
  }

  /** Removes the practices' schedules. */
  async unschedule(practiceIds: string[]): Promise<void> {
    for (const practiceId of practiceIds)
      await this.o.boss.unschedule(this.queues.sync, practiceId);
  }

  /**
   * Queues an invitation list: `loadInvites(practiceId, ref)` gives its patients when the job runs,
   * and the ledger makes reruns safe (accepted batches are never sent again).
   */
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
    return this.o.boss.send(this.queues.invite, data, { singletonKey: practiceId });
  }

  private sendSync(practiceId: string, delaySeconds: number): Promise<string | null> {
    const data: SyncJobData = { practiceId };
    return this.o.boss.send(this.queues.sync, data, {
      singletonKey: practiceId,
      ...(delaySeconds > 0 ? { startAfter: Math.ceil(delaySeconds) } : {}),
    });
  }

  /** pg-boss's handler: one result per job (batches are of one). */
  private async each(jobs: BossJob[], kind: FleetJobKind): Promise<JobResult[]> {
    const results: JobResult[] = [];
    for (const job of jobs) {
      const task = kind === 'sync' ? this.syncJob(job) : this.inviteJob(job);
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

  private async syncJob(job: BossJob): Promise<JobResult> {
    const practiceId = practiceOf(job.data);
    if (practiceId === undefined) return this.invalid(job, 'sync');
    const started = Date.now();
    let pages = 0;
    let patients = 0;
    const finish = async (
      outcome: RunOutcome,
      extra: { errorClass?: string; notBefore?: Date } = {},
    ) => {
      await this.state.finished(practiceId, {
        outcome,
        pages,
        patients,
        durationMs: Date.now() - started,
        ...extra,
      });
      this.report('sync', outcome === 'failed' ? 'warn' : 'info', {
        practiceId,
        outcome,
        pages,
        patients,
        durationMs: Date.now() - started,
        ...(extra.errorClass ? { errorClass: extra.errorClass } : {}),
      });
    };
    try {
      const notBefore = await this.state.started(practiceId);
      if (notBefore) {
        // Rate-limited on an earlier run, by this worker or another: wait for the server's time.
        await this.sendSync(practiceId, (notBefore.getTime() - Date.now()) / 1000);
        await finish('rate-limited', { notBefore });
        this.stats.rateLimited++;
        return done(job, { outcome: 'rate-limited' });
      }
      const client = await this.clients.get(practiceId);
      const checkpoint = new PostgresCheckpointStore<C>({
        pool: this.o.pool,
        practiceId,
        schema: this.schema,
        environment: this.o.environment ?? 'production',
        apiVersion: client.options.apiVersion,
        leaseMs: this.leaseMs,
        holder: this.name,
      });
      const onInvalid = this.o.onInvalidRecord;
      const result = await client.patients.sync({
        delivery: 'exactly-once',
        checkpoint,
        // pg-boss's timeout (job.signal) and a hard stop abort at once, even a hanging onPage; a
        // graceful stop finishes the page in hand first.
        signal: anySignal(this.aborting.signal, job.signal),
        stopSignal: this.stopping.signal,
        ...(this.o.pageTimeoutMs !== undefined ? { pageTimeoutMs: this.o.pageTimeoutMs } : {}),
        onPage: tagged('onPage', (page: PatientPage, transaction: C) =>
          this.o.onPage({ practiceId, page, transaction }),
        ),
        onProgress: (p) => {
          pages = p.pages;
          patients = p.patients;
        },
        ...(onInvalid
          ? {
              invalidRecords: 'quarantine' as const,
              onInvalidRecord: tagged('onInvalidRecord', (r: InvalidRecord) =>
                onInvalid(practiceId, r),
              ),
            }
          : {}),
      });
      pages = result.pages;
      patients = result.patients;
      await finish('synced');
      this.stats.synced++;
      return done(job, { outcome: 'synced', pages, patients });
    } catch (error) {
      if (error instanceof AbortError && this.stopping.signal.aborted) {
        // Shutting down: the pages committed stay; the practice goes back to the queue for another worker.
        await this.sendSync(practiceId, 0);
        await finish('handed-back');
        this.stats.handedBack++;
        return done(job, { outcome: 'handed-back', pages, patients });
      }
      if (error instanceof RateLimitError) {
        const waitMs = retryAfterMs(error.headers) ?? (this.o.rateLimitDelaySeconds ?? 60) * 1000;
        const notBefore = new Date(Date.now() + waitMs);
        await this.sendSync(practiceId, waitMs / 1000);
        await finish('rate-limited', { notBefore });
        this.stats.rateLimited++;
        return done(job, { outcome: 'rate-limited', pages, patients });
      }
      if (error instanceof LeaseHeldError) {
        // Another worker holds the practice (or a killed one's lease has not run out): try after it.
        await this.sendSync(practiceId, this.leaseMs / 1000);
        await finish('lease-held');
        this.stats.leaseHeld++;
        return done(job, { outcome: 'lease-held' });
      }
      if (error instanceof OAuthError) this.clients.forget(practiceId); // rotated credentials next time
      const failure = new FleetJobError('sync', practiceId, error, undefined, callbackOf(error));
      await finish('failed', { errorClass: failure.errorClass }).catch(() => undefined);
      this.stats.failed++;
      return failed(job, failure);
    }
  }

  private async inviteJob(job: BossJob): Promise<JobResult> {
    const data = job.data as Partial<InviteJobData> | null;
    const practiceId = practiceOf(data);
    const load = this.o.loadInvites;
    if (practiceId === undefined || typeof data?.ref !== 'string' || !load)
      return this.invalid(job, 'invite');
    const started = Date.now();
    try {
      const invites = await tagged('loadInvites', load)(practiceId, data.ref);
      const client = await this.clients.get(practiceId);
      // Only a hard stop aborts: an aborted POST in flight would leave its outcome unknown.
      const jobs = await client.patients.invitePatients(invites, {
        ledger: this.ledger,
        resendUnknown: data.resendUnknown === true,
        batchSize: this.o.inviteBatchSize ?? 100,
        signal: anySignal(this.aborting.signal, job.signal),
      });
      const { sent, alreadyAccepted, changed, unknownResent } = jobs.report;
      this.stats.invited++;
      const counts = {
        patients: invites.length,
        sent,
        alreadyAccepted,
        changed: changed.length,
        unknownResent,
      };
      this.report('invite', changed.length > 0 ? 'warn' : 'info', {
        practiceId,
        outcome: 'invited',
        ...counts,
        durationMs: Date.now() - started,
      });
      return done(job, { outcome: 'invited', ...counts });
    } catch (error) {
      if (error instanceof OAuthError) this.clients.forget(practiceId);
      // Only batches of unknown outcome left: another attempt would just report them again. The
      // dead letter tells the operator to check them, then send the job again with resendUnknown.
      const onlyUnknown =
        error instanceof PartialSubmissionError &&
        error.notSent.length === 0 &&
        error.failed.every((f) => f.error instanceof SubmissionOutcomeUnknownError);
      const failure = new FleetJobError(
        'invite',
        practiceId,
        error,
        onlyUnknown ? false : undefined,
        callbackOf(error),
      );
      this.report('invite', 'warn', {
        practiceId,
        outcome: 'failed',
        errorClass: failure.errorClass,
        durationMs: Date.now() - started,
      });
      this.stats.failed++;
      return failed(job, failure);
    }
  }

  /** A job whose data is not what the fleet sends: dead-lettered at once. */
  private invalid(job: BossJob, kind: FleetJobKind): JobResult {
    this.stats.failed++;
    const failure = new FleetJobError(kind, 'unknown', new InvalidJobError());
    this.report(kind, 'warn', { outcome: 'failed', errorClass: failure.errorClass });
    return { id: job.id, status: 'deadletter', output: failure.toJSON() };
  }

  /** The one log line of a job: its queue, practice, outcome, counts and the class of a failure. */
  private report(
    kind: FleetJobKind,
    level: 'info' | 'warn',
    fields: Record<string, unknown>,
  ): void {
    this.log[level]('fleet job', { queue: this.queues[kind], ...fields });
  }
}

function done(job: BossJob, outcome: JobOutcome): JobResult {
  return { id: job.id, status: 'completed', output: outcome };
}

/** Retried with backoff, unless it cannot heal: then dead-lettered at once. */
function failed(job: BossJob, failure: FleetJobError): JobResult {
  return {
    id: job.id,
    status: failure.retryable ? 'failed' : 'deadletter',
    output: failure.toJSON(),
  };
}

function practiceOf(data: unknown): string | undefined {
  const id =
    typeof data === 'object' && data !== null
      ? (data as { practiceId?: unknown }).practiceId
      : undefined;
  return isPathId(id) ? id : undefined;
}

/** Practice ids as the client takes them, checked when a job is queued rather than when it runs. */
function checkPracticeIds(ids: unknown, path = 'practiceIds'): void {
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

/** Which of your callbacks threw each error that went through {@link tagged}. */
const CALLBACK_OF = new WeakMap<object, FleetCallback>();

/** `fn`, with what it throws marked as coming from the callback `name` (for {@link FleetJobError}). */
function tagged<A extends unknown[], R>(
  name: FleetCallback,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (error) {
      if (typeof error === 'object' && error !== null && !CALLBACK_OF.has(error))
        CALLBACK_OF.set(error, name);
      throw error;
    }
  };
}

const callbackOf = (error: unknown): FleetCallback | undefined =>
  typeof error === 'object' && error !== null ? CALLBACK_OF.get(error) : undefined;
