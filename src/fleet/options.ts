/**
 * `FleetWorker`'s options: their types, defaults and checks. A bad option throws
 * {@link ConfigurationError} naming it, at construction, before anything is sent.
 */
import type { InvalidRecord } from '../core/patient-page';
import { ConfigurationError } from '../core/errors';
import { MAX_TIMER_MS } from '../core/limits';
import type { Logger } from '../core/logger';
import type { PatientInvite } from '../models/types';
import type { SqlPool, SqlPoolClient } from '../postgres/sql';
import { DEFAULT_SCHEMA } from '../postgres/sql';
import { defaultHolder } from '../postgres/checkpoint-store';
import { queueNames, type BossQueueOptions, type FleetBoss, type FleetQueues } from './boss';
import type { ClientOptionsFor } from './clients';
import type { PatientPage } from '../core/patient-page';

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

/** Options of `FleetWorker`. */
export interface FleetWorkerOptions<C extends SqlPoolClient = SqlPoolClient> {
  /**
   * Your started `PgBoss` (pg-boss 12, Node 22.12+). The worker never stops it: stop it after
   * `worker.stop()`. Create it with `useListenNotify: true` so idle workers are woken by new jobs
   * instead of polling (docs/fleet.md).
   */
  boss: FleetBoss;
  /** Your `pg.Pool`, for the checkpoints, the ledger and the fleet's tables. */
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
  /** Jobs this worker runs at once, per queue. @default 4 */
  concurrency?: number;
  /** Requests in flight at once across all of this worker's practices. @default 2 × concurrency */
  maxRequestsInFlight?: number;
  /** A practice's lease; a killed worker's practices are free again after it. @default 30000 */
  leaseMs?: number;
  /** Retries of failed jobs. */
  retry?: FleetRetryOptions;
  /** Longest run of one job, in seconds; pg-boss aborts it after that. @default 900 */
  jobTimeoutSeconds?: number;
  /** Heartbeat of running jobs, in seconds (>= 10): a killed worker's jobs are retried after about this. @default 30 */
  heartbeatSeconds?: number;
  /**
   * How often an idle job loop looks for a job when LISTEN/NOTIFY is not available, in seconds
   * (>= 0.5). While jobs are waiting a loop takes the next one as soon as it finishes one. @default 2
   */
  pollingIntervalSeconds?: number;
  /**
   * How often an idle loop looks for a job while LISTEN/NOTIFY wakes it (`useListenNotify: true` on
   * your PgBoss): a backstop only. @default 30
   */
  notifyPollingIntervalSeconds?: number;
  /** The longest `Retry-After` waited out inside a job; longer ones pause the login. @default 1000 */
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
  /**
   * How long pg-boss keeps a finished sync or invitation job, in seconds (its `deleteAfterSeconds`;
   * pg-boss's own default is 7 days). A fleet of 5,000 practices synced every 5 minutes finishes
   * 1.44 million jobs a day; `fleet_practices` and the run log keep what the operator needs.
   * Dead letters are kept by their own queue. @default 86400 (1 day)
   */
  keepFinishedJobsSeconds?: number;
  /**
   * How long the run log (`fleet_runs`, one row per job and per operator action) and the minute
   * snapshots (`fleet_snapshots`) are kept, in days. A run-log row is about 200 bytes with its
   * indexes: 5,000 practices every 5 minutes add about 290 MB a day. @default 7
   */
  historyRetentionDays?: number;
  /** A practice whose last success is older than this counts as stale in the snapshots, in seconds. @default 900 */
  staleAfterSeconds?: number;
  /**
   * Spans (one per job, the sync's and its requests' beneath it) and metrics through
   * `@opentelemetry/api` when it is installed; see docs/operations.md. @default true
   */
  telemetry?: boolean;
  /**
   * Where the fleet logs one line per job (practice, outcome, counts, class of a failure; never a
   * patient value); a pino logger works as is. `false`: silent. @default the console
   */
  logger?: Logger | false;
  /** This worker's name in leases and in the operator view. @default `fleet:<host>:<pid>:<random>` */
  name?: string;
}

/** The options in force, checked and with their defaults. */
export interface ResolvedFleetOptions {
  schema: string;
  queues: FleetQueues;
  environment: string;
  name: string;
  concurrency: number;
  leaseMs: number;
  maxRequestsInFlight: number;
  maxRetryAfterMs: number;
  rateLimitDelaySeconds: number;
  inviteBatchSize: number;
  shutdownTimeoutMs: number;
  pageTimeoutMs: number | undefined;
  pollingIntervalSeconds: number;
  notifyPollingIntervalSeconds: number;
  historyRetentionDays: number;
  staleAfterSeconds: number;
  telemetry: boolean;
  /** Retries, timeout, heartbeat and dead letter of both job queues. */
  queueOptions: BossQueueOptions;
}

/** The longest duration in whole seconds a timer can wait. */
const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** A number option in `min..max` (an integer unless `fraction`), or `fallback`. */
function number(
  name: string,
  v: number | undefined,
  fallback: number,
  min: number,
  max: number,
  fraction = false,
): number {
  if (v === undefined) return fallback;
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    (!fraction && !Number.isInteger(v)) ||
    v < min ||
    v > max
  )
    throw new ConfigurationError(
      name,
      `must be ${fraction ? 'a number' : 'an integer'} from ${min} to ${max}`,
      'FleetWorker',
    );
  return v;
}

/** Checks the options and fills the defaults. */
export function resolveFleetOptions<C extends SqlPoolClient>(
  o: FleetWorkerOptions<C>,
): ResolvedFleetOptions {
  const queues = queueNames(o.queuePrefix ?? 'medfusion');
  const concurrency = number('concurrency', o.concurrency, 4, 1, 1000);
  const retry = o.retry ?? {};
  return {
    schema: o.schema ?? DEFAULT_SCHEMA,
    queues,
    environment: o.environment ?? 'production',
    name: o.name ?? `fleet:${defaultHolder()}`,
    concurrency,
    leaseMs: number('leaseMs', o.leaseMs, 30_000, 1000, MAX_TIMER_MS),
    maxRequestsInFlight: number(
      'maxRequestsInFlight',
      o.maxRequestsInFlight,
      2 * concurrency,
      1,
      100_000,
    ),
    maxRetryAfterMs: number('maxRetryAfterMs', o.maxRetryAfterMs, 1000, 0, MAX_TIMER_MS),
    rateLimitDelaySeconds: number(
      'rateLimitDelaySeconds',
      o.rateLimitDelaySeconds,
      60,
      0,
      MAX_SECONDS,
    ),
    inviteBatchSize: number('inviteBatchSize', o.inviteBatchSize, 100, 1, 100),
    shutdownTimeoutMs: number('shutdownTimeoutMs', o.shutdownTimeoutMs, 30_000, 0, MAX_TIMER_MS),
    pageTimeoutMs:
      o.pageTimeoutMs === undefined
        ? undefined
        : number('pageTimeoutMs', o.pageTimeoutMs, 1, 1, MAX_TIMER_MS),
    pollingIntervalSeconds: number(
      'pollingIntervalSeconds',
      o.pollingIntervalSeconds,
      2,
      0.5,
      3600,
      true,
    ),
    notifyPollingIntervalSeconds: number(
      'notifyPollingIntervalSeconds',
      o.notifyPollingIntervalSeconds,
      30,
      0.5,
      3600,
      true,
    ),
    historyRetentionDays: number('historyRetentionDays', o.historyRetentionDays, 7, 1, 3650),
    staleAfterSeconds: number('staleAfterSeconds', o.staleAfterSeconds, 900, 1, MAX_SECONDS),
    telemetry:
      o.telemetry === undefined || typeof o.telemetry === 'boolean'
        ? o.telemetry !== false
        : (() => {
            throw new ConfigurationError('telemetry', 'must be true or false', 'FleetWorker');
          })(),
    queueOptions: {
      retryLimit: number('retry.limit', retry.limit, 5, 0, 1000),
      retryDelay: number('retry.delaySeconds', retry.delaySeconds, 30, 1, MAX_SECONDS),
      retryBackoff: true,
      retryDelayMax: number('retry.maxDelaySeconds', retry.maxDelaySeconds, 900, 1, MAX_SECONDS),
      expireInSeconds: number('jobTimeoutSeconds', o.jobTimeoutSeconds, 900, 1, MAX_SECONDS),
      heartbeatSeconds: number('heartbeatSeconds', o.heartbeatSeconds, 30, 10, MAX_SECONDS),
      deadLetter: queues.deadLetter,
      notify: true,
      deleteAfterSeconds: number(
        'keepFinishedJobsSeconds',
        o.keepFinishedJobsSeconds,
        86_400,
        1,
        MAX_SECONDS,
      ),
    },
  };
}
