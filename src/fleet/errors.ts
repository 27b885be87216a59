/**
 * The error a failed fleet job ends with: what pg-boss stores as the job's output and copies into the
 * dead-letter queue. Built from the class of the failure only: a message of the user's own code (a
 * database constraint quoting a row) could hold PHI, so it is never kept.
 */
import { APIError, CursorError, MedfusionError, StateStoreError } from '../core/errors';

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

/** A job whose data is not what the fleet sends (sent by hand, or by another program): never retried. */
export class InvalidJobError extends MedfusionError {
  static override readonly brand: string = 'InvalidJob';
  constructor() {
    super(
      "The job's data is not a fleet job's (a practice id, and a list reference for invitations)",
    );
  }
}

/** Where a failure came from, when it was one of your callbacks. */
export type FleetCallback = 'clientOptions' | 'onPage' | 'onInvalidRecord' | 'loadInvites';

/**
 * A fleet job failed. Names the practice, the kind of job, the class of the failure and where it
 * came from; an HTTP status or a code when there was one; never a message, a value or a stack of
 * the failure underneath. What pg-boss keeps (job output, dead-letter copy) and what the fleet logs.
 *
 * `errorClass` is an SDK class (`TimeoutError`, `CursorError`…) for the SDK's own failures. For what
 * your code threw, only names that cannot carry a value are kept: `DatabaseError` for a
 * node-postgres error (with its SQLSTATE in `code`), `SystemError` for a Node.js system error (with
 * its `E…` code), a built-in class (`TypeError`, `RangeError`…), and `CallbackError` for anything
 * else (your own classes' names and codes are not kept: they can hold a value).
 */
export class FleetJobError extends MedfusionError {
  static override readonly brand: string = 'FleetJobError';
  /** The kind of job. */
  readonly kind: FleetJobKind;
  /** The practice. */
  readonly practiceId: string;
  /** The class of the failure (see the class comment). */
  readonly errorClass: string;
  /** Whether the failure came from the SDK (Medfusion, the network, the state store) or from your callbacks. */
  readonly origin: 'sdk' | 'callback';
  /** Which of your callbacks threw, when the fleet knows. */
  readonly callback?: FleetCallback;
  /** The HTTP status, when Medfusion answered. */
  readonly status?: number;
  /** A code: an SDK error's (SQLSTATE of a state store failure, OAuth error), a DatabaseError's SQLSTATE, a SystemError's `E…`. */
  readonly code?: string;
  /** The rule a `CursorError` or `ValidationError` names, when there is one. */
  readonly rule?: string;
  /** Whether another attempt may succeed (false for validation, configuration, 4xx other than 401/408/429). */
  readonly retryable: boolean;

  /**
   * @param kind The kind of job.
   * @param practiceId The practice.
   * @param failure What the job threw; only its class, status and code are kept (see the class comment).
   * @param retryable Whether another attempt may succeed. @default judged by the failure's class
   * @param callback Which of your callbacks threw it, when known.
   */
  constructor(
    kind: FleetJobKind,
    practiceId: string,
    failure: unknown,
    retryable?: boolean,
    callback?: FleetCallback,
  ) {
    const sdk = failure instanceof MedfusionError;
    const { errorClass, code } = sdk ? ofSdk(failure) : ofCallback(failure);
    const status = failure instanceof APIError ? failure.status : undefined;
    const rule = failure instanceof CursorError ? failure.rule : undefined;
    super(
      `${kind} of practice ${practiceId} failed: ` +
        describeFailure({ errorClass, callback, status, code, rule }),
    );
    this.kind = kind;
    this.practiceId = practiceId;
    this.errorClass = errorClass;
    this.origin = sdk ? 'sdk' : 'callback';
    if (callback !== undefined) this.callback = callback;
    if (status !== undefined) this.status = status;
    if (code !== undefined) this.code = code;
    if (rule !== undefined) this.rule = rule;
    this.retryable = retryable ?? !PERMANENT.has(errorClass);
  }
}

/** Codes an SDK error may carry: SQLSTATE, `E…`, OAuth's `invalid_grant`. */
const CODE = /^[\w.-]{1,40}$/;

/**
 * A failure in one phrase, as a job error's message and the dead-letter list say it:
 * `DatabaseError in onPage [23505]`, `NotFoundError (HTTP 404)`.
 */
export function describeFailure(f: {
  errorClass: string;
  callback?: string | undefined;
  status?: number | undefined;
  code?: string | undefined;
  rule?: string | undefined;
}): string {
  return (
    f.errorClass +
    (f.callback !== undefined ? ` in ${f.callback}` : '') +
    (f.status !== undefined ? ` (HTTP ${f.status})` : '') +
    (f.code !== undefined ? ` [${f.code}]` : '') +
    (f.rule !== undefined ? ` (${f.rule})` : '')
  );
}

function ofSdk(failure: MedfusionError): { errorClass: string; code?: string } {
  const raw: unknown =
    failure instanceof StateStoreError ? failure.cause.code : (failure as { code?: unknown }).code;
  return {
    errorClass: failure.name,
    ...(typeof raw === 'string' && CODE.test(raw) ? { code: raw } : {}),
  };
}

/** JavaScript's own error classes: their names carry nothing of yours. */
const BUILT_IN: readonly ErrorConstructor[] = [
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
];

function ofCallback(failure: unknown): { errorClass: string; code?: string } {
  if (typeof failure !== 'object' || failure === null) return { errorClass: 'CallbackError' };
  const { code, severity, syscall } = failure as {
    code?: unknown;
    severity?: unknown;
    syscall?: unknown;
  };
  // node-postgres's DatabaseError: a severity and a five-character SQLSTATE.
  if (typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return { errorClass: 'DatabaseError', code };
  // A Node.js system error: a syscall and an errno code (ECONNRESET, ENOENT…).
  if (typeof syscall === 'string' && typeof code === 'string' && /^E[A-Z0-9_]{1,30}$/.test(code))
    return { errorClass: 'SystemError', code };
  const proto: unknown = Object.getPrototypeOf(failure);
  const builtIn = BUILT_IN.find((C) => proto === C.prototype);
  return { errorClass: builtIn ? builtIn.name : 'CallbackError' };
}
