/**
 * The error a failed fleet job ends with: what pg-boss stores as the job's output and copies into the
 * dead-letter queue. Built from the class of the failure only: a message of the user's own code (a
 * database constraint quoting a row) could hold PHI, so it is never kept.
 */
import { APIError, MedfusionError, StateStoreError } from '../core/errors';

/** The kind of job. */
export type FleetJobKind = 'sync' | 'invite';

/** Classes worth no retry: the same input gives the same answer. */
const PERMANENT = new Set([
  'ValidationError',
  'ConfigurationError',
  'BadRequestError',
  'NotFoundError',
  'PermissionDeniedError',
  'UnsupportedMediaTypeError',
  'InvalidJob',
]);

/**
 * A fleet job failed. Names the practice, the kind of job, the class of the failure (`errorClass`:
 * an SDK class such as `TimeoutError`, or the `name` of whatever your code threw), an HTTP status or a
 * code when there was one; never a message, a value or a stack of the failure underneath.
 */
export class FleetJobError extends MedfusionError {
  static override readonly brand: string = 'FleetJobError';
  /** The kind of job. */
  readonly kind: FleetJobKind;
  /** The practice. */
  readonly practiceId: string;
  /** The class of the failure: the SDK error's name, or `name` of what your code threw. */
  readonly errorClass: string;
  /** Whether the failure came from the SDK (Medfusion, the network, the state store) or from your callbacks. */
  readonly origin: 'sdk' | 'callback';
  /** The HTTP status, when Medfusion answered. */
  readonly status?: number;
  /** A code: SQLSTATE of a state store failure, a Node error code, an OAuth error code. */
  readonly code?: string;
  /** Whether another attempt may succeed (false for validation, configuration, 4xx other than 401/408/429). */
  readonly retryable: boolean;

  /**
   * @param kind The kind of job.
   * @param practiceId The practice.
   * @param failure What the job threw; only its class, status and code are kept.
   * @param retryable Whether another attempt may succeed. @default judged by the failure's class
   */
  constructor(kind: FleetJobKind, practiceId: string, failure: unknown, retryable?: boolean) {
    const sdk = failure instanceof MedfusionError;
    const errorClass = classOf(failure);
    const status = failure instanceof APIError ? failure.status : undefined;
    const code = codeOf(failure);
    super(
      `${kind} of practice ${practiceId} failed: ${errorClass}` +
        (status !== undefined ? ` (HTTP ${status})` : '') +
        (code !== undefined ? ` [${code}]` : ''),
    );
    this.kind = kind;
    this.practiceId = practiceId;
    this.errorClass = errorClass;
    this.origin = sdk ? 'sdk' : 'callback';
    if (status !== undefined) this.status = status;
    if (code !== undefined) this.code = code;
    this.retryable = retryable ?? !PERMANENT.has(errorClass);
  }
}

function classOf(failure: unknown): string {
  if (failure instanceof MedfusionError) return failure.name;
  if (typeof failure === 'object' && failure !== null) {
    const name = (failure as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z][\w.]{0,63}$/.test(name)) return name;
    return 'Error';
  }
  return typeof failure;
}

function codeOf(failure: unknown): string | undefined {
  let code: unknown;
  if (failure instanceof StateStoreError) code = failure.cause.code;
  else if (typeof failure === 'object' && failure !== null)
    code = (failure as { code?: unknown }).code;
  // Codes only (SQLSTATE, ECONNRESET, invalid_grant): anything longer or freer is dropped.
  return typeof code === 'string' && /^[\w.-]{1,40}$/.test(code) ? code : undefined;
}
