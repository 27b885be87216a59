/**
 * The HTTP answer behind a result, as stripe-node's `lastResponse`: every object a call returns
 * (a page, a submission, a status, a sync result) carries it in a non-enumerable `lastResponse`, so
 * it never shows in JSON, logs or `toEqual`, and is there when you need the status, a header or the
 * request id for a support ticket. Imports nothing: errors and models build on it.
 */

/** Response headers, lower-case; cookies are never kept. */
export type ResponseHeaders = Record<string, string>;

/** Status, headers and request id of a successful answer. */
export interface ResponseInfo {
  /** The HTTP status (200, 202, 204). */
  status: number;
  /** The response headers, lower-case, cookies removed. */
  headers: ResponseHeaders;
  /** The server's request id (`x-request-id`, `x-correlation-id`), when it sent one. */
  requestId?: string;
}

/** A 2xx answer as the transport hands it to the code that reads it. */
export interface RawResponse extends ResponseInfo {
  /** The body, as text. */
  body: string;
  /** Its `Content-Type`. */
  contentType: string | undefined;
}

/** What carries the answer it came from. */
export interface HasLastResponse {
  /**
   * The HTTP answer this result came from (not enumerable). Absent on results that came from no
   * request, such as a batch an invitation ledger already held as accepted.
   */
  readonly lastResponse?: ResponseInfo;
}

/** Attaches `info` to `value` as a non-enumerable `lastResponse`, and returns `value`. */
export function withLastResponse<T extends object>(value: T, info: ResponseInfo | undefined): T {
  if (info !== undefined)
    Object.defineProperty(value, 'lastResponse', {
      value: info,
      enumerable: false,
      configurable: true,
    });
  return value;
}

/** What a result keeps of its answer: status, headers, request id; never the body. */
export const responseInfo = (res: ResponseInfo): ResponseInfo => ({
  status: res.status,
  headers: res.headers,
  ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
});
