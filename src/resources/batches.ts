import { APIResource } from '../core/resource';
import { ValidationError, WaitTimeoutError } from '../core/errors';
import { MAX_TIMER_MS } from '../core/limits';
import { decodeResponse } from '../core/read-response';
import { responseInfo, withLastResponse } from '../models/response-info';
import { retryAfterMs } from '../internal/retry';
import { sleep } from '../internal/sleep';
import type { RequestOptions } from '../core/request';
import type { RawResponse } from '../models/response-info';
import { isPathId, path } from '../core/path';
import { decodeOrThrow } from '../core/validate';
import { TERMINAL_STATES } from '../models/enums';
import { BatchStatusCodec, type BatchStatus, type BatchSubmission } from '../models/batch';
import { decodeProcessingStatus, type ProcessingStatusFields } from '../xml/documents';

/** Options of `waitForCompletion`. */
export interface WaitOptions {
  /** Give up after this long in all, in ms, with a `WaitTimeoutError`. @default 600000 (10 min) */
  waitTimeoutMs?: number;
  /**
   * @deprecated Use `waitTimeoutMs`: everywhere else `timeoutMs` means one attempt. Still read
   * here, as the whole wait, when `waitTimeoutMs` is not given.
   */
  timeoutMs?: number;
  /** Options of each status request: `timeoutMs` (per attempt) and `maxRetries`. */
  requestOptions?: Omit<RequestOptions, 'signal'>;
  /** First delay between polls, in ms. @default 2000 */
  minDelayMs?: number;
  /** Largest delay between polls, in ms. @default 30000 */
  maxDelayMs?: number;
  /** Cancels the wait at once, even during a pause between polls. */
  signal?: AbortSignal;
  /** Called with each status seen. */
  onProgress?: (status: BatchStatus) => void;
}

const TERMINAL = new Set<string>(TERMINAL_STATES);

/** A wait option in ms: 0 to 2^31 - 1 (a timer cannot wait longer), checked before any request. */
function waitOption(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIMER_MS) return v;
  throw new ValidationError('options', [
    { path: `options.${name}`, rule: `ms(0..${MAX_TIMER_MS})` },
  ]);
}

/** Sums up the messages: see {@link BatchStatus}. Patient messages decide when there are any. */
export function summarize(fields: ProcessingStatusFields): BatchStatus {
  const messages = (fields.messages ?? []).map((m) => ({ ...m, state: m.state ?? 'UNKNOWN' }));
  const done = messages.length > 0 && messages.every((m) => TERMINAL.has(m.state));
  const patientMessages = messages.filter((m) => m.practiceResourceId !== undefined);
  const deciding = patientMessages.length > 0 ? patientMessages : messages;
  const state = !done
    ? 'PENDING'
    : deciding.every((m) => m.state === 'COMPLETED')
      ? 'COMPLETED'
      : deciding.every((m) => m.state === 'ERROR')
        ? 'ERROR'
        : 'PARTIAL';
  return decodeOrThrow(
    BatchStatusCodec,
    { dataJobId: fields.dataJobId, done, state, messages },
    'processing status',
  );
}

/** Follow submitted batches through processing. */
export class Batches extends APIResource {
  /**
   * The processing status of a job, by `dataJobId` or from a `BatchSubmission`.
   *
   * @throws {ValidationError} `job` is not a job id (before any request), or the status breaks the model.
   * @throws {NotFoundError} no such job for this practice.
   * @throws {ResponseParseError} {@link APIError} {@link OAuthError} {@link ConnectionError} {@link AbortError} after retries, or the caller's signal.
   * @example
   * const status = await client.batches.getStatus(job);
   * if (status.done && status.state !== 'COMPLETED') console.warn(status.messages.filter((m) => m.error));
   */
  async getStatus(job: string | BatchSubmission, options?: RequestOptions): Promise<BatchStatus> {
    return (await this.fetchStatus(job, options)).status;
  }

  /**
   * Polls until every message is `COMPLETED` or `ERROR`, with exponential backoff and jitter
   * between `minDelayMs` and `maxDelayMs`, honouring `Retry-After`.
   *
   * A finished job resolves, whatever its state: check `state` (`COMPLETED`, `ERROR`, `PARTIAL`).
   * @throws {WaitTimeoutError} not done within `waitTimeoutMs`; `lastStatus` is the last status seen.
   * @throws {AbortError} the caller's signal fired.
   * @throws {ValidationError} {@link NotFoundError} {@link APIError} {@link OAuthError} {@link ConnectionError} as for `getStatus`.
   * @example
   * const status = await client.batches.waitForCompletion(job, { onProgress: (s) => metrics.gauge(s.state) });
   */
  async waitForCompletion(
    job: string | BatchSubmission,
    options: WaitOptions = {},
  ): Promise<BatchStatus> {
    const timeoutMs = waitOption(
      'waitTimeoutMs',
      options.waitTimeoutMs ?? options.timeoutMs,
      600_000,
    );
    const minDelay = waitOption('minDelayMs', options.minDelayMs, 2000);
    const maxDelay = Math.max(minDelay, waitOption('maxDelayMs', options.maxDelayMs, 30_000));
    const deadline = Date.now() + timeoutMs;
    const request = {
      ...options.requestOptions,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    for (let poll = 0; ; poll++) {
      const { status, retryAfter } = await this.fetchStatus(job, request);
      options.onProgress?.(status);
      if (status.done) return status;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new WaitTimeoutError(status, timeoutMs);
      const base = Math.min(maxDelay, minDelay * 2 ** poll);
      const jittered = base / 2 + Math.random() * (base / 2);
      const delay = Math.max(minDelay, Math.min(maxDelay, retryAfter ?? jittered));
      await sleep(Math.min(delay, remaining), options.signal);
    }
  }

  private async fetchStatus(job: string | BatchSubmission, options?: RequestOptions) {
    const dataJobId = typeof job === 'string' ? job : job?.dataJobId;
    if (!isPathId(dataJobId)) {
      // Not an id: an empty string, a separator, an encoded separator or a control character.
      throw new ValidationError('job', [{ path: 'job', rule: 'dataJobId' }]);
    }
    // Built from our base URL, never by following `Location`: the token must not go to another host.
    const res = await this.core.transport.request({
      method: 'GET',
      path: `/v1${path`/practice/${this.core.options.practiceId}/processingStatus/${dataJobId}`}`,
      route: '/v1/practice/{practiceId}/processingStatus/{dataJobId}',
      accept: 'application/xml',
      auth: { kind: 'bearer' },
      idempotent: true,
      ...(options ? { options } : {}),
    });
    return { status: readBatchStatus(res), retryAfter: retryAfterMs(res.headers) };
  }
}

/** Turns a processingStatus answer into a {@link BatchStatus}; a body that is not one is a typed error. */
export function readBatchStatus(res: RawResponse): BatchStatus {
  const decoded = decodeResponse(res, decodeProcessingStatus);
  if (decoded.issues.length > 0) throw new ValidationError('processing status', decoded.issues);
  return withLastResponse(summarize(decoded.fields), responseInfo(res));
}
