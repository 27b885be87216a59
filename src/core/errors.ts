/**
 * Every error the SDK throws. All extend {@link MedfusionError}. None carries a request or response
 * body, a credential or a patient value in its message, its `toJSON()` or what `util.inspect` shows:
 * errors name paths and rules, never values.
 */

import type { BatchStatus, BatchSubmission } from '../models/types';
import type { ResponseHeaders } from '../models/response-info';
import type { ValidationIssue } from '../models/codec';

export type { ValidationIssue };

const BRAND = Symbol.for('medfusion-patient-sdk.error');
/**
 * When `globalThis[Symbol.for('medfusion-patient-sdk.errorObserver')]` is a function, it is called
 * with every SDK error once constructed: a hook to route SDK errors to an audit (our test suite uses
 * it to check that no error ever carries PHI).
 */
const OBSERVER = Symbol.for('medfusion-patient-sdk.errorObserver');

/** The brands of a class and of the classes it extends, most specific first. */
function brandsOf(ctor: unknown): string[] {
  const brands: string[] = [];
  for (let c = ctor; typeof c === 'function' && 'brand' in c; c = Object.getPrototypeOf(c))
    brands.push((c as { brand: string }).brand);
  return brands;
}

/**
 * Base class of every SDK error. `instanceof` works even when both the CJS and the ESM copy of the
 * package are loaded in one process (each class checks a registry-wide brand, as smithy does).
 */
export class MedfusionError extends Error {
  /** Stable class name used by `instanceof` across package copies. */
  static readonly brand: string = 'MedfusionError';

  /**
   * `instanceof` by the ordinary prototype chain (so `Sub.prototype instanceof MedfusionError`
   * holds, as frameworks that test class hierarchies expect) or by brand, so that it also holds
   * across the CJS and ESM copies of the package.
   */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    if (typeof instance !== 'object' || instance === null) return false;
    if (Function.prototype[Symbol.hasInstance].call(this, instance)) return true;
    const chain = (instance as { [BRAND]?: readonly string[] })[BRAND];
    if (Array.isArray(chain)) return chain.includes(this.brand);
    // A prototype of the other copy's class: its constructor carries the brands of its chain.
    return (
      Object.prototype.hasOwnProperty.call(instance, 'constructor') &&
      brandsOf((instance as { constructor: unknown }).constructor).includes(this.brand)
    );
  }

  constructor(message: string) {
    super(message);
    const chain = brandsOf(new.target);
    Object.defineProperty(this, BRAND, { value: chain, enumerable: false });
    this.name = chain[0] ?? 'MedfusionError';
    const observer = (globalThis as { [OBSERVER]?: unknown })[OBSERVER];
    if (typeof observer === 'function') queueMicrotask(() => observer(this)); // after subclass fields
  }

  /** The serialised form: class, message and the safe fields of the subclass. */
  toJSON(): Record<string, unknown> {
    return { ...Object.fromEntries(Object.entries(this)), name: this.name, message: this.message };
  }
}

/** An input or a response failed its codec. `issues` lists each path and rule, no values. */
export class ValidationError extends MedfusionError {
  static override readonly brand: string = 'ValidationError';
  /** Every problem found: path and rule, never the value. */
  readonly issues: ValidationIssue[];

  /**
   * @param subject What was invalid: `invites`, `patient page`, …
   * @param hint How to get past it, when there is a way (never a value).
   */
  constructor(subject: string, issues: ValidationIssue[], hint?: string) {
    const shown = issues.slice(0, 5).map((i) => `${i.path || '(root)'} (${i.rule})`);
    const more = issues.length > 5 ? `, and ${issues.length - 5} more` : '';
    super(`Invalid ${subject}: ${shown.join(', ')}${more}${hint ? `. ${hint}` : ''}`);
    this.issues = issues;
  }
}

/** An option (of the client, a store, the fleet) is missing or wrong; raised at construction. */
export class ConfigurationError extends MedfusionError {
  static override readonly brand: string = 'ConfigurationError';
  constructor(
    /** The option at fault, such as `credentials.clientSecret`. */
    readonly option: string,
    rule: string,
    /** Whose option: `client` (the default), `PostgresCheckpointStore`, `FleetWorker`… */
    owner = 'client',
  ) {
    super(`Invalid ${owner} option '${option}': ${rule}`);
  }
}

/** Fields of an {@link APIError}, filled by the transport. */
export interface APIErrorInit {
  /** The HTTP status. */
  status: number;
  /** The response headers, lower-case. */
  headers: ResponseHeaders;
  /** The request's method. */
  method: string;
  /** The request's path (ids of the practice and of jobs only; never a query). */
  path: string;
  /** The server's request id. */
  requestId?: string;
  /** The server's `ResponseMessage` (kept off the message: it can quote values). */
  responseMessage?: string;
  /** An OAuth-style `error` code of a JSON error body (`invalid_client`). */
  errorCode?: string;
}

/**
 * The server answered with a status outside 2xx. `responseMessage` is the server's
 * `ResponseMessage` when the body had one; it is kept off the message and out of `toJSON()`
 * because Medfusion's validation messages can quote submitted values.
 */
export class APIError extends MedfusionError {
  static override readonly brand: string = 'APIError';
  /** The HTTP status. */
  readonly status: number;
  /**
   * The response headers worth keeping on an error, lower-case: request ids, `retry-after`, rate
   * limits, content type and length, date ({@link SAFE_ERROR_HEADERS}). Nothing else: a gateway can
   * echo the bearer token or a value of the request in a header of its own.
   */
  readonly headers: ResponseHeaders;
  /** The server's request id (`x-request-id` or `x-correlation-id`), for support tickets. */
  readonly requestId?: string;
  /** The server's own error code, such as `DC_CORE_033`, when it gave one. */
  readonly responseCode?: string;
  /**
   * The server's `ResponseMessage`, in full. Not enumerable and not in the message: it can quote
   * submitted values. Read it deliberately; never log it.
   */
  declare readonly responseMessage?: string;

  constructor(init: APIErrorInit) {
    const code =
      (init.responseMessage ? parseResponseCode(init.responseMessage) : undefined) ??
      init.errorCode;
    const detail = code ? ` (${code})` : '';
    super(`${init.method} ${init.path} failed with status ${init.status}${detail}`);
    this.status = init.status;
    this.headers = safeHeaders(init.headers);
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (code !== undefined) this.responseCode = code;
    hide(this, 'responseMessage', init.responseMessage);
  }

  /** Builds the subclass that matches the status (anthropic's `APIError.generate`). */
  static generate(init: APIErrorInit): APIError {
    const Class =
      STATUS_CLASSES[init.status] ?? (init.status >= 500 ? InternalServerError : APIError);
    return new Class(init);
  }
}

/** The headers an {@link APIError} keeps; every other header is dropped. */
export const SAFE_ERROR_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'date',
  'retry-after',
  'retry-after-ms',
  'x-request-id',
  'x-correlation-id',
  'x-amzn-requestid',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

function safeHeaders(headers: ResponseHeaders): ResponseHeaders {
  const kept: ResponseHeaders = {};
  for (const name of SAFE_ERROR_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/** Only rule and code names survive: `DC_CORE_033`, `cvc-minLength-valid`; never quoted values. */
function parseResponseCode(message: string): string | undefined {
  const parts = [
    /\b[A-Z]{2,}_[A-Z0-9]+_\d+\b/.exec(message)?.[0],
    /\bcvc-[A-Za-z.-]+\b/.exec(message)?.[0],
  ];
  const found = parts.filter((p): p is string => p !== undefined);
  return found.length > 0 ? found.join(' ') : undefined;
}

/** 400: the request failed validation. */
export class BadRequestError extends APIError {
  static override readonly brand: string = 'BadRequestError';
}
/** 401: the token is missing, expired or wrong. */
export class AuthenticationError extends APIError {
  static override readonly brand: string = 'AuthenticationError';
}
/** 403. */
export class PermissionDeniedError extends APIError {
  static override readonly brand: string = 'PermissionDeniedError';
}
/** 404: practice or resource not found. */
export class NotFoundError extends APIError {
  static override readonly brand: string = 'NotFoundError';
}
/** 415: wrong content type. */
export class UnsupportedMediaTypeError extends APIError {
  static override readonly brand: string = 'UnsupportedMediaTypeError';
}
/** 429: too many requests. */
export class RateLimitError extends APIError {
  static override readonly brand: string = 'RateLimitError';
}
/** 5xx. */
export class InternalServerError extends APIError {
  static override readonly brand: string = 'InternalServerError';
}

const STATUS_CLASSES: Record<number, new (init: APIErrorInit) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  415: UnsupportedMediaTypeError,
  429: RateLimitError,
};

/** The OAuth token endpoint (or the application lookup) refused. */
export class OAuthError extends MedfusionError {
  static override readonly brand: string = 'OAuthError';
  /** The server's OAuth `error` code (`invalid_client`, `invalid_grant`, …), when it sent one. Not PHI. */
  readonly code?: string;

  constructor(
    /** The token (or application) endpoint's HTTP status. */
    readonly status: number,
    reason: string,
    code?: string,
  ) {
    super(
      `OAuth token request failed with status ${status}${code ? ` (${code})` : ''}: ${reason}` +
        (OAUTH_HINTS[code ?? ''] ??
          (status === 401 ? OAUTH_HINTS.invalid_client : undefined) ??
          ''),
    );
    if (code !== undefined) this.code = code;
  }
}

/** What to check for each OAuth refusal: the remedy, never a value. */
const OAUTH_HINTS: Record<string, string> = {
  invalid_client:
    '. Check clientId and clientSecret, and the Basic encoding: Medfusion documents the raw ' +
    "`clientId:clientSecret` pair (basicAuth: 'raw', the default); try basicAuth: 'base64' if your environment expects standard Basic",
  invalid_grant: '. Check the practice user: username and password',
  unauthorized_client: '. Check that the application may use the password grant',
  unsupported_grant_type: '. The server does not accept the password grant for this application',
  invalid_request: '. The token request was malformed; please report it',
};

/** What is kept of a transport failure: its code and class, never headers, URLs or bodies. */
export interface SafeCause {
  /** The class of the underlying failure. */
  name: string;
  /** Its code, such as `ECONNREFUSED` or `ECONNRESET`. */
  code?: string;
  /** The host and port a connection failed to reach (`127.0.0.1:5432`): infrastructure, never a value. */
  host?: string;
}

/** The connection failed (refused, reset, DNS). */
export class ConnectionError extends MedfusionError {
  static override readonly brand: string = 'ConnectionError';
  /** The host (and port) that could not be reached: Medfusion's or yours, never a patient value. */
  readonly host?: string;

  constructor(
    /** What failed underneath: class and code only. */
    override readonly cause: SafeCause,
    message?: string,
    host?: string,
  ) {
    super(
      message ??
        `Connection error${host ? ` to ${host}` : ''}${cause.code ? ` (${cause.code})` : ''}`,
    );
    if (host !== undefined) this.host = host;
  }
}

/** One attempt took longer than its `timeoutMs`. */
export class TimeoutError extends ConnectionError {
  static override readonly brand: string = 'TimeoutError';
  constructor(cause: SafeCause, timeoutMs: number, host?: string) {
    super(cause, `Request${host ? ` to ${host}` : ''} timed out after ${timeoutMs} ms`, host);
  }
}

/** Why a request was aborted, as far as the SDK can tell without reading the caller's values. */
export type AbortReason = 'caller' | 'timeout';

/**
 * The caller's `AbortSignal` fired. `reason` tells a timeout signal (`AbortSignal.timeout()`, a
 * `TimeoutError` reason) from a cancel; the signal's own reason value is never copied.
 */
export class AbortError extends MedfusionError {
  static override readonly brand: string = 'AbortError';
  /** `timeout` when the signal's reason was a timeout (`AbortSignal.timeout`), else `caller`. */
  readonly reason: AbortReason;

  constructor(
    /** What was aborted underneath: class and code only. */
    override readonly cause: SafeCause = { name: 'AbortError' },
    reason: AbortReason = 'caller',
  ) {
    super(reason === 'timeout' ? 'Request was aborted by a timeout signal' : 'Request was aborted');
    this.reason = reason;
  }
}

/** The kind of reason an aborted signal carries: a timeout, or anything else (a cancel). */
export function abortReasonOf(signal: AbortSignal | undefined): AbortReason {
  const reason: unknown = signal?.reason;
  const name =
    typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' ? 'timeout' : 'caller';
}

/** A 2xx body that is not what the API sends (HTML, truncated, wrong root, DOCTYPE). */
export class ResponseParseError extends MedfusionError {
  static override readonly brand: string = 'ResponseParseError';
  constructor(
    /** The HTTP status of the unreadable answer (0 when cut off by `maxResponseBytes`). */
    readonly status: number,
    /** Its `Content-Type`. */
    readonly contentType: string | undefined,
    reason: string,
  ) {
    super(`Unexpected response body (status ${status}): ${reason}`);
  }
}

/**
 * A POST whose fate is unknown: the body was sent but no answer came (timeout, reset, gateway
 * error). The batch may or may not have been accepted, so the SDK never re-posts it on its own:
 * check the patient feed or processing status before resubmitting with the same `batchId`.
 */
export class SubmissionOutcomeUnknownError extends MedfusionError {
  static override readonly brand: string = 'SubmissionOutcomeUnknownError';
  /** The patients of the batch. Not enumerable: practice patient ids (MRNs) stay out of logs and JSON. */
  declare readonly practicePatientIds: string[];

  constructor(
    /** The `BatchId` sent (v1/v2): pass it back to resubmit the same batch deliberately. */
    readonly batchId: string | undefined,
    practicePatientIds: string[],
    /** The timeout, reset or gateway error that left the outcome unknown. */
    override readonly cause: MedfusionError,
  ) {
    super(
      `The outcome of batch ${batchId ?? '(v3, no batch id)'} is unknown (${cause.name}); ` +
        `it was not re-sent. Check before resubmitting its ${practicePatientIds.length} patient(s).`,
    );
    hide(this, 'practicePatientIds', practicePatientIds);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), cause: this.cause.toJSON() };
  }
}

/** `waitForCompletion` ran out of time; `lastStatus` is the last status seen. */
export class WaitTimeoutError extends MedfusionError {
  static override readonly brand: string = 'WaitTimeoutError';
  /** Not enumerable: message error descriptions may quote submitted values. */
  declare readonly lastStatus: BatchStatus;

  constructor(lastStatus: BatchStatus, timeoutMs: number) {
    super(`Batch processing did not finish within ${timeoutMs} ms (state ${lastStatus.state})`);
    hide(this, 'lastStatus', lastStatus);
  }

  override toJSON(): Record<string, unknown> {
    const { dataJobId, done, state, messages } = this.lastStatus;
    return { ...super.toJSON(), lastStatus: { dataJobId, done, state, messages: messages.length } };
  }
}

/**
 * Which rule a feed cursor (`Last-Timestamp`) broke: `malformed` (not Medfusion's `<epoch>[,<n>]`, or
 * too long, or unsafe characters), `backwards` (before the cursor sent), `ahead` (over an hour
 * ahead of the server's clock), `missing` (a page of patients with no cursor), `repeated` (a cursor
 * this run already sent). See `core/cursor.ts` and docs/syncing.md.
 */
export type CursorRule = 'malformed' | 'backwards' | 'ahead' | 'missing' | 'repeated';

const CURSOR_RULES: Record<CursorRule, string> = {
  malformed: "is not a cursor in Medfusion's form (<epoch>[,<n>]), or is too long",
  backwards: 'moves backwards',
  ahead: "runs more than an hour ahead of the server's clock",
  missing: 'is missing on a page of patients',
  repeated: 'repeats a cursor this run already sent',
};

/**
 * The server's `Last-Timestamp` broke a cursor rule ({@link CursorRule}), so it was neither sent back
 * nor saved: the run stopped before delivering the page it came with (in exactly-once mode nothing of
 * that page was committed), and the practice's saved cursor is unchanged. Names the practice and the
 * rule, never the cursor's bytes. A server that keeps sending it needs a look (or a cursor reset).
 */
export class CursorError extends MedfusionError {
  static override readonly brand: string = 'CursorError';
  /** The rule broken. */
  readonly rule: CursorRule;
  /** The practice whose feed sent it. */
  readonly practiceId?: string;

  constructor(rule: CursorRule, practiceId?: string, detail?: string) {
    super(
      `The feed cursor${practiceId ? ` of practice ${practiceId}` : ''} ${CURSOR_RULES[rule]}` +
        (detail
          ? `; ${detail}`
          : '; it was not sent back nor saved, and the saved cursor did not move'),
    );
    this.rule = rule;
    if (practiceId !== undefined) this.practiceId = practiceId;
  }
}

/**
 * The server answered a full page with a cursor this run already sent: paging stops rather than
 * loop. In plain iteration and at-least-once sync the page was delivered first; exactly-once sync
 * never delivers it (it could not be checkpointed).
 */
export class PaginationLoopError extends CursorError {
  static override readonly brand: string = 'PaginationLoopError';
  constructor(practiceId?: string, detail = 'paging stopped to avoid a loop') {
    super('repeated', practiceId, detail);
  }
}

/** A callback of yours (`onPage`, `onInvalidRecord`) ran past the `pageTimeoutMs` you set. */
export class CallbackTimeoutError extends MedfusionError {
  static override readonly brand: string = 'CallbackTimeoutError';
  constructor(
    /** The callback that ran too long. */
    readonly callback: 'onPage' | 'onInvalidRecord',
    /** The limit it ran past, in ms. */
    readonly timeoutMs: number,
  ) {
    super(
      `${callback} did not settle within ${timeoutMs} ms (pageTimeoutMs); the page was not committed`,
    );
  }
}

/**
 * `invitePatients` stopped after a chunk failed. `submitted` are the chunks the server accepted
 * (do not send them again); `failed` the chunk that failed with its error; `notSent` the ids never
 * sent.
 */
export class PartialSubmissionError extends MedfusionError {
  static override readonly brand: string = 'PartialSubmissionError';
  // Not enumerable: they hold practice patient ids (MRNs), which stay out of logs and JSON.
  /** Batches the server accepted: do not send them again. */
  declare readonly submitted: BatchSubmission[];
  /** The batch that failed, with its error (often a `SubmissionOutcomeUnknownError`). */
  declare readonly failed: {
    /** The patients of the batch. */
    practicePatientIds: string[];
    /** Its `BatchId`, to check or resend it. */
    batchId?: string;
    /** Why it failed, or why its outcome is unknown. */
    error: MedfusionError;
  }[];
  /** Practice patient ids never sent: safe to send again. */
  declare readonly notSent: string[];
  /**
   * With a ledger, what the call did patient by patient (`InvitationReport`: sent, already accepted,
   * changed, resent). Not enumerable.
   */
  declare readonly report?: {
    /** Invites given. */
    patients: number;
    /** Patients sent (resent ones included). */
    sent: number;
    /** Patients accepted before, with the same record: not sent. */
    alreadyAccepted: number;
    /** Patients whose record changed since it was accepted. */
    changed: {
      /** The patient. */
      practicePatientId: string;
      /** Whether it was sent again (`resendChanged`). */
      resent: boolean;
    }[];
    /** Patients of unknown outcome sent again (`resendUnknown`). */
    unknownResent: number;
  };

  constructor(
    submitted: BatchSubmission[],
    failed: { practicePatientIds: string[]; batchId?: string; error: MedfusionError }[],
    notSent: string[],
  ) {
    super(
      `${failed.length} chunk(s) failed, ${submitted.length} accepted, ${notSent.length} patient(s) not sent`,
    );
    hide(this, 'submitted', submitted);
    hide(this, 'failed', failed);
    hide(this, 'notSent', notSent);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      submitted: this.submitted.length,
      failed: this.failed.map((f) => ({ batchId: f.batchId, error: f.error.toJSON() })),
      notSent: this.notSent.length,
    };
  }
}

/**
 * A checkpoint save (or a page commit) by a worker whose lease on the practice was taken over by
 * another worker: it stalled past the lease's expiry. Refused by the fencing token, so the cursor did
 * not move and, in exactly-once mode, the page's writes were rolled back. Stop this run; the worker
 * holding the lease now carries on.
 */
export class LeaseLostError extends MedfusionError {
  static override readonly brand: string = 'LeaseLostError';
  constructor(
    /** The checkpoint's key: practice id, environment and API version (no patient value). */
    readonly checkpoint: string,
    /** The fencing token this worker held. */
    readonly fence: string,
    /** What was refused: `commit`, `renew`, `request` (a GET not sent), `save`. */
    readonly operation: string,
    /**
     * Why: `superseded` (another worker, or an operator's write, holds a newer fencing token) or
     * `transaction-ended` (the page's transaction outlived the lease and the server ended it: `onPage`
     * took longer than `leaseMs`). @default 'superseded'
     */
    readonly reason: 'superseded' | 'transaction-ended' = 'superseded',
  ) {
    super(
      reason === 'transaction-ended'
        ? `Lease on checkpoint ${checkpoint} was given up: the page's transaction ran longer than ` +
            `the lease and the database ended it (onPage too slow for leaseMs); ${operation} refused, ` +
            'the page was rolled back and the cursor did not move'
        : `Lease on checkpoint ${checkpoint} was lost (fencing token ${fence} superseded); ` +
            `${operation} refused, the cursor did not move`,
    );
  }
}

/** Another worker holds the lease of this practice's checkpoint: this `sync()` did not start. */
export class LeaseHeldError extends MedfusionError {
  static override readonly brand: string = 'LeaseHeldError';
  constructor(
    /** The checkpoint's key: practice id, environment and API version. */
    readonly checkpoint: string,
    /** The holder's name (the `holder` option of that worker's store: a host and pid by default). */
    readonly holder: string | undefined,
    /** When that lease expires unless renewed. */
    readonly expiresAt: Date | undefined,
    /** How long this call waited for it, in ms (0: fail fast). */
    readonly waitedMs: number,
  ) {
    super(
      `Checkpoint ${checkpoint} is leased by ${holder ?? 'another worker'}` +
        (expiresAt ? ` until ${expiresAt.toISOString()}` : '') +
        (waitedMs > 0 ? `; waited ${waitedMs} ms` : '') +
        ': another sync of this practice is running',
    );
  }
}

/**
 * A durable store (checkpoint or invitation ledger) failed: the database refused or could not be
 * reached, or a file could not be written. Carries the failure's class and code (a SQLSTATE such as
 * `40001`, or `ENOENT`), and for the usual ones what it means and what to do; never its text:
 * database messages can quote row values.
 */
export class StateStoreError extends MedfusionError {
  static override readonly brand: string = 'StateStoreError';
  /** What to do about it, when the code is a usual one. */
  readonly hint?: string;

  constructor(
    /** What the store was doing, such as `checkpoint.acquire` or `ledger.claim`. */
    readonly operation: string,
    /** The failure underneath: class and code only (and the host of a connection failure). */
    override readonly cause: SafeCause,
  ) {
    const known = STATE_STORE_CODES[cause.code ?? ''];
    const hint = known?.(cause.host);
    super(
      `State store failed during ${operation}${cause.code ? ` (${cause.code})` : ''}` +
        (hint ? `: ${hint}` : ''),
    );
    if (hint !== undefined) this.hint = hint;
  }
}

/** What the usual codes mean and what to do, by SQLSTATE or errno code. Never a value. */
const STATE_STORE_CODES: Record<string, (host?: string) => string> = {
  '28P01': () => 'the password was refused: check the user and password of the database URL',
  '28000': () => 'the database refused this user: check the user, and pg_hba.conf',
  '3D000': () => 'the database does not exist: create it, or check the name in the database URL',
  '3F000': () => 'the schema does not exist: run migrate() once (a FleetWorker does at start)',
  '42P01': () => "a table is missing: run migrate() once (a FleetWorker's start does)",
  '42703': () => "a column is missing: run migrate() once to upgrade the SDK's tables",
  '42501': () =>
    "this user lacks a privilege on the SDK's tables: grant it, or run migrate() as their owner",
  '53300': () =>
    'the database has no connection left: lower the pools (pg, pg-boss) or raise max_connections',
  '57P01': () => 'the database is shutting down: it is retried when it is back',
  '57P03': () => 'the database is starting up: it is retried when it accepts connections',
  '40001': () => 'a serialization failure: another transaction won; it is retried',
  '40P01': () => 'a deadlock was broken by the database; it is retried',
  '25P03': () => 'a transaction stayed idle longer than the lease and the database ended it',
  ECONNREFUSED: (host) =>
    `nothing listens at ${host ?? 'the database host and port'}: is PostgreSQL running, and the port right?`,
  ENOTFOUND: (host) =>
    `the host ${host ?? 'of the database URL'} cannot be resolved: check the host name`,
  EAI_AGAIN: (host) =>
    `the host ${host ?? 'of the database URL'} could not be resolved now: DNS is unavailable`,
  ETIMEDOUT: (host) =>
    `no answer from ${host ?? 'the database host'}: a firewall, or the wrong host or port`,
  ECONNRESET: () => 'the database closed the connection: it is retried',
  ENOENT: () => 'the file or its directory does not exist: create the directory',
  EACCES: () => 'permission denied: give this process write access to the directory',
};

/**
 * The class and code of any thrown value, for a {@link SafeCause}: never its message. A Node.js
 * connection failure also names the host and port it tried (`address`/`hostname` and `port`).
 */
export function safeCause(error: unknown): SafeCause {
  if (typeof error !== 'object' || error === null) return { name: typeof error };
  const { name, code, address, hostname, port } = error as Record<string, unknown>;
  const where =
    typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : undefined;
  const host =
    where !== undefined && /^[\w.:[\]-]{1,255}$/.test(where)
      ? typeof port === 'number'
        ? `${where}:${port}`
        : where
      : undefined;
  return {
    name: typeof name === 'string' ? name : 'Error',
    ...(typeof code === 'string' ? { code } : {}),
    ...(host !== undefined ? { host } : {}),
  };
}

/** A property code can read but that `JSON.stringify`, `util.inspect` and spreads do not show. */
function hide(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false });
}
