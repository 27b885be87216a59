/**
 * The little of pg-boss the fleet uses, as structural types: the user's own `PgBoss` (pg-boss 12)
 * fits them, and nothing here imports `pg-boss` (an optional peer dependency, ESM only, Node 22+).
 * Also the fleet's queues: their names and the policies that make one job per practice active.
 */

/** A job as pg-boss hands it to a worker. */
export interface BossJob {
  /** The job's id. */
  id: string;
  /** What it was sent with. */
  data: unknown;
  /** Attempts before this one. */
  retryCount: number;
  /** Fires when pg-boss gives up on the job (it expired or was cancelled). */
  signal?: AbortSignal;
}

/** Options of a queue, as `createQueue` takes them. */
export interface BossQueueOptions {
  /** `singleton`: one active job per singleton key (the practice), any number queued. */
  policy?: string;
  /** Tries after the first failure. */
  retryLimit?: number;
  /** Seconds before the first retry. */
  retryDelay?: number;
  /** Doubles the delay at each retry, with jitter. */
  retryBackoff?: boolean;
  /** Longest delay between retries, in seconds. */
  retryDelayMax?: number;
  /** Longest run of one job, in seconds, before it is failed and retried. */
  expireInSeconds?: number;
  /** A running job's heartbeat period, in seconds: a silent job (a killed worker's) is retried. */
  heartbeatSeconds?: number;
  /** Where a job goes after its last retry. */
  deadLetter?: string;
  /** A new job wakes idle workers at once (LISTEN/NOTIFY; needs `useListenNotify` on the PgBoss). */
  notify?: boolean;
  /** How long a finished job is kept before pg-boss deletes it, in seconds. */
  deleteAfterSeconds?: number;
}

/** A job of a bulk `insert`. */
export interface BossJobInsert {
  /** What the job carries. */
  data: object;
  /** The practice id. */
  singletonKey?: string;
  /** Not before this: seconds from now, or a date. */
  startAfter?: number | Date;
}

/** A job as `findJobs` lists it. */
export interface BossFoundJob {
  /** The job's id. */
  id: string;
  /** Its singleton key (the practice). */
  singletonKey: string | null;
  /** `created`, `retry`, `active`, `completed`, `cancelled`, `failed`. */
  state: string;
}

/** What `getQueue` tells of a queue. */
export interface BossQueueInfo {
  /** Its policy. */
  policy?: string;
  /** Whether new jobs NOTIFY. */
  notify?: boolean;
  /** How long a finished job is kept, in seconds. */
  deleteAfterSeconds?: number;
  /** Jobs waiting (as of pg-boss's last count). */
  queuedCount?: number;
}

/** Options of `send` and `schedule`. */
export interface BossSendOptions {
  /** At most one job per policy slot and key: the practice id. */
  singletonKey?: string;
  /** Not before this: seconds from now, or a date. */
  startAfter?: number | Date;
  /** A schedule's key, so that one queue holds one schedule per practice. */
  key?: string;
  /** What a schedule does about occurrences missed while no worker ran: `once` sends one. */
  missed?: 'skip' | 'once';
}

/** Options of `work`. */
export interface BossWorkOptions {
  /** Jobs this process runs at once on the queue. */
  localConcurrency?: number;
  /** Jobs fetched per call. */
  batchSize?: number;
  /** How often an idle worker looks for jobs, in seconds (>= 0.5). */
  pollingIntervalSeconds?: number;
  /** The same, while LISTEN/NOTIFY wakes the worker: a backstop. */
  notifyPollingIntervalSeconds?: number;
  /** The handler settles each job itself: completed, failed (retried) or dead-lettered at once. */
  perJobResults?: boolean;
}

/** The part of `PgBoss` the fleet calls. Pass your started `new PgBoss(...)`. */
export interface FleetBoss {
  /** Creates a queue (nothing if it exists). */
  createQueue(name: string, options?: BossQueueOptions): Promise<void>;
  /** Sends a job; `null` when the policy refused it (an equal job is already queued). */
  send(name: string, data: object, options?: BossSendOptions): Promise<string | null>;
  /** Runs `handler` for the queue's jobs. */
  work(
    name: string,
    options: BossWorkOptions,
    handler: (jobs: BossJob[]) => Promise<unknown>,
  ): Promise<string>;
  /** Stops working the queue; with `wait`, after the running jobs ended. */
  offWork(name: string, options?: { wait?: boolean }): Promise<void>;
  /** Sends a job on a cron expression (UTC), one schedule per `key`. */
  schedule(
    name: string,
    cron: string,
    data?: object | null,
    options?: BossSendOptions,
  ): Promise<void>;
  /** Removes the schedule of `key`. */
  unschedule(name: string, key?: string): Promise<void>;
  /** The schedules of a queue (one per practice, keyed by its id). */
  getSchedules(name: string): Promise<
    {
      /** The schedule's key: the practice id. */
      key?: string;
    }[]
  >;
  /** Inserts many jobs in one statement; with `returnId`, resolves with their ids. */
  insert(
    name: string,
    jobs: BossJobInsert[],
    options?: { returnId?: boolean },
  ): Promise<string[] | null>;
  /** Jobs of a queue: of one singleton key (`key`), queued only (`queued`). */
  findJobs(
    name: string,
    options?: { key?: string; queued?: boolean; limit?: number },
  ): Promise<BossFoundJob[]>;
  /** Wakes one worker loop (the id `work` returned) so that it fetches again at once. */
  notifyWorker(workerId: string): void;
  /** A queue's settings, or `null`. */
  getQueue(name: string): Promise<BossQueueInfo | null>;
  /** Changes settings of an existing queue. */
  updateQueue(
    name: string,
    options?: { notify?: boolean; deleteAfterSeconds?: number },
  ): Promise<void>;
}

/** The fleet's queue names under a prefix. */
export interface FleetQueues {
  /** One job per practice sync: `<prefix>.sync`. */
  sync: string;
  /** One job per invitation list: `<prefix>.invite`. */
  invite: string;
  /** Jobs that failed every retry: `<prefix>.dead-letter`. */
  deadLetter: string;
}

/** The queue names for `prefix`. */
export function queueNames(prefix: string): FleetQueues {
  return {
    sync: `${prefix}.sync`,
    invite: `${prefix}.invite`,
    deadLetter: `${prefix}.dead-letter`,
  };
}

/** A job of the sync queue. */
export interface SyncJobData {
  /** The practice to sync. */
  practiceId: string;
}

/** A job of the invitation queue: a reference your `loadInvites` resolves, never patient data. */
export interface InviteJobData {
  /** The practice to invite into. */
  practiceId: string;
  /** Your name for the invitation list (an onboarding id, a file name): passed to `loadInvites`. */
  ref: string;
  /** Resend batches whose outcome is unknown (see the ledger): only after checking they did not arrive. */
  resendUnknown?: boolean;
}
