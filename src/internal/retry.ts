/**
 * When to retry and how long to wait. Kept apart from the transport so that the policy reads in
 * one screen (octokit's plugin-retry is the model).
 */

/** Backoff tuning. @see ClientOptions.retryBackoff */
export interface Backoff {
  /** First delay in ms. @default 500 */
  initialDelayMs: number;
  /** Largest delay in ms. @default 8000 */
  maxDelayMs: number;
  /** Largest `Retry-After` honoured, in ms; a longer one is not waited for. @default 60000 */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = {
  initialDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
};

/** `min(initial * 2^n, max)` times a jitter in (0.75, 1] (Stainless). */
export function backoffDelay(retry: number, b: Backoff): number {
  const base = Math.min(b.initialDelayMs * 2 ** retry, b.maxDelayMs);
  return Math.round(base * (1 - Math.random() * 0.25));
}

/**
 * The server's wish, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), in ms;
 * `undefined` when absent or unreadable.
 */
export function retryAfterMs(
  headers: Record<string, string>,
  now = Date.now(),
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Statuses worth another try for a request that is safe to repeat (GET, token). */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500;

/**
 * Statuses after which a POST certainly was not acted on and may be sent again: rate limited or
 * unavailable before acceptance.
 */
export const isRetryableStatusForPost = (status: number): boolean =>
  status === 429 || status === 503;

/**
 * Statuses after which a POST's fate is unknown: a timeout or a gateway error may come after the
 * service stored the batch.
 */
export const isAmbiguousStatusForPost = (status: number): boolean =>
  status === 408 || status === 500 || status === 502 || status === 504;

/** Connection failures that happen before a request is sent: a POST may be retried after them. */
export const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
