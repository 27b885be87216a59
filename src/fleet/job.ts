/**
 * What the fleet's job handlers share: the worker's parts they use, how a job ends (its result for
 * pg-boss, counts and classes only), and how a failure of your callbacks is told from the SDK's.
 */
import type { Instrumentation, OperationSpan } from '../core/instrumentation';
import type { InvalidRecord } from '../core/patient-page';
import type { Logger } from '../core/logger';
import type { PostgresInvitationLedger } from '../postgres/ledger';
import type { SqlPoolClient } from '../postgres/sql';
import type { BossJob } from './boss';
import type { FleetClients } from './clients';
import { FleetJobError, type FleetCallback, type FleetJobKind } from './errors';
import type { FleetWorkerOptions, ResolvedFleetOptions } from './options';
import type { FleetScheduler } from './scheduling';
import type { FleetState, RunOutcome } from './state';

/** Counters of a worker since it started. */
export interface FleetWorkerStats {
  /** Jobs running now. */
  running: number;
  /** Syncs that drained their practice's feed. */
  synced: number;
  /** Invitation lists fully sent. */
  invited: number;
  /** Jobs that failed (retried or dead-lettered). */
  failed: number;
  /** Practices put off because they, or their login, were rate-limited. */
  rateLimited: number;
  /** Jobs handed back on `stop()`. */
  handedBack: number;
  /** Syncs that found another worker's lease and were put off. */
  leaseHeld: number;
}

/** The parts of a worker a job handler uses. */
export interface JobContext<C extends SqlPoolClient> {
  /** Your callbacks. */
  callbacks: Pick<FleetWorkerOptions<C>, 'pool' | 'onPage' | 'loadInvites' | 'onInvalidRecord'>;
  options: ResolvedFleetOptions;
  clients: FleetClients;
  state: FleetState;
  ledger: PostgresInvitationLedger;
  scheduler: FleetScheduler;
  stats: FleetWorkerStats;
  /** Spans and metrics. */
  instrumentation: Instrumentation;
  /** `stopping`: finish the page in hand, then hand the practice back; `aborting`: stop at once. */
  signals: { stopping: AbortSignal; aborting: AbortSignal };
  /** The one log line of a job. */
  report(kind: FleetJobKind, level: 'info' | 'warn', fields: Record<string, unknown>): void;
}

/** What a job left as its output in pg-boss (counts and classes, no patient data). */
export interface JobOutcome {
  outcome: RunOutcome | 'invited';
  pages?: number;
  patients?: number;
  /** Invitation jobs: patients sent, already accepted, changed since accepted (not sent), resent. */
  sent?: number;
  alreadyAccepted?: number;
  changed?: number;
  unknownResent?: number;
}

/** One result per job, as `perJobResults` wants. */
export type JobResult = {
  id: string;
  status: 'completed' | 'failed' | 'deadletter';
  output?: object;
};

export function done(job: BossJob, outcome: JobOutcome): JobResult {
  return { id: job.id, status: 'completed', output: outcome };
}

/** Retried with backoff, unless it cannot heal: then dead-lettered at once. */
export function failed(job: BossJob, failure: FleetJobError): JobResult {
  return {
    id: job.id,
    status: failure.retryable ? 'failed' : 'deadletter',
    output: failure.toJSON(),
  };
}

/** What the run log keeps of a failure: its class, code and status, and its PHI-free fields. */
export function failureRecord(failure: FleetJobError): {
  errorClass: string;
  errorCode?: string;
  httpStatus?: number;
  detail: object;
} {
  return {
    errorClass: failure.errorClass,
    ...(failure.code !== undefined ? { errorCode: failure.code } : {}),
    ...(failure.status !== undefined ? { httpStatus: failure.status } : {}),
    detail: failure.toJSON(),
  };
}

/** The practice of a job's data, if it is one the client would take. */
export function practiceOf(data: unknown, isId: (v: unknown) => v is string): string | undefined {
  const id =
    typeof data === 'object' && data !== null
      ? (data as { practiceId?: unknown }).practiceId
      : undefined;
  return isId(id) ? id : undefined;
}

/** Which of your callbacks threw each error that went through {@link tagged}. */
const CALLBACK_OF = new WeakMap<object, FleetCallback>();

/** `fn`, with what it throws marked as coming from the callback `name` (for {@link FleetJobError}). */
export function tagged<A extends unknown[], R>(
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

/** The callback that threw `error`, when it went through {@link tagged}. */
export const callbackOf = (error: unknown): FleetCallback | undefined =>
  typeof error === 'object' && error !== null ? CALLBACK_OF.get(error) : undefined;

/** A `FleetJobError` for `error`, naming the callback that threw it when known. */
export const jobError = (
  kind: FleetJobKind,
  practiceId: string,
  error: unknown,
  retryable?: boolean,
): FleetJobError => new FleetJobError(kind, practiceId, error, retryable, callbackOf(error));

/** The job's span: its practice, outcome and counts, the class of a failure; and its metrics. */
export function recordJob(
  instrumentation: Instrumentation,
  span: OperationSpan,
  kind: FleetJobKind,
  job: BossJob,
  result: JobResult,
  retryLimit: number,
): void {
  const output = (result.output ?? {}) as Record<string, unknown>;
  const failedJob = result.status !== 'completed';
  const outcome = failedJob ? 'failed' : String(output.outcome ?? 'unknown');
  const counts = Object.fromEntries(
    ['pages', 'patients', 'sent', 'alreadyAccepted', 'changed', 'unknownResent', 'status']
      .filter((k) => typeof output[k] === 'number')
      .map((k) => [`medfusion.job.${k}`, output[k] as number]),
  );
  const errorClass = typeof output.errorClass === 'string' ? output.errorClass : undefined;
  span.set({
    'medfusion.job.outcome': outcome,
    'medfusion.job.retry_count': job.retryCount,
    ...counts,
    ...(errorClass ? { 'error.type': errorClass } : {}),
  });
  if (failedJob) span.fail(errorClass ?? 'Error');
  instrumentation.add('medfusion.fleet.jobs', 1, {
    'medfusion.job.kind': kind,
    'medfusion.job.outcome': outcome,
  });
  // Dead-lettered now, or failed with no retry left: pg-boss moves it to the dead-letter queue.
  if (result.status === 'deadletter' || (failedJob && job.retryCount >= retryLimit))
    instrumentation.add('medfusion.fleet.dead_letters', 1, {
      'medfusion.job.kind': kind,
      ...(errorClass ? { 'error.type': errorClass } : {}),
    });
}

export type { InvalidRecord, Logger };
