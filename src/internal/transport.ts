/**
 * The one way out to the network. Every call (API and OAuth) goes through {@link Transport.request}:
 * one axios instance, one retry loop we own (`validateStatus: () => true`, so axios never throws on
 * a status), one `AbortController` per attempt fed by the timer and the caller's signal, and one
 * place that turns failures into SDK errors. A raw `AxiosError` never escapes: it carries request
 * headers (the `Authorization`) into whatever logs it (axios #2648, #4246).
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import {
  AbortError,
  abortReasonOf,
  APIError,
  ConnectionError,
  type MedfusionError,
  ResponseParseError,
  TimeoutError,
  type SafeCause,
  ValidationError,
} from '../core/errors';
import { errorTypeOf, type HttpAttempt, type Instrumentation } from '../core/instrumentation';
import { MAX_TIMER_MS } from '../core/limits';
import type { RequestOptions, RequestSpec, Requester } from '../core/request';
import type { RawResponse, ResponseHeaders } from '../models/response-info';
import { decodeProcessingResponse } from '../xml/documents';
import type { Logger } from './log';
import type { RequestLimiter } from './limiter';
import type { AxiosProxy } from './proxy';
import {
  backoffDelay,
  isAmbiguousStatusForPost,
  isRetryableStatus,
  isRetryableStatusForPost,
  NOT_SENT_CODES,
  retryAfterMs,
  type Backoff,
} from './retry';
import { sleep } from './sleep';

/** Where bearer tokens come from; see `auth.ts`. */
export interface TokenSource {
  get(signal?: AbortSignal): Promise<string>;
  invalidate(token: string): void;
}

export interface TransportConfig {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  maxResponseBytes: number;
  backoff: Backoff;
  logger: Logger;
  userAgent: string;
  /** The proxy decided by the options (`false`: none); axios never looks at the environment itself. */
  proxy: AxiosProxy | false;
  /** A cap on requests in flight shared with other clients; a slot is held for each attempt only. */
  limiter?: RequestLimiter | undefined;
  /** Spans and metrics of each attempt. */
  instrumentation: Instrumentation;
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-correlation-id', 'x-amzn-requestid'];

export class Transport implements Requester {
  private readonly http: AxiosInstance;
  tokens: TokenSource | undefined;

  /** `host:port` of the base URL, named in connection errors. */
  private readonly host: string;
  private readonly base: URL;
  /** The path of the base URL (`/api` in `https://host/api`), which every request path is under. */
  private readonly basePath: string;

  constructor(readonly config: TransportConfig) {
    const base = new URL(config.baseUrl);
    this.base = base;
    this.host = base.host;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.http = axios.create({
      baseURL: config.baseUrl,
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      // Never follow a redirect: it could carry the bearer token to another host.
      maxRedirects: 0,
      maxContentLength: config.maxResponseBytes,
      proxy: config.proxy,
      maxBodyLength: 64 * 1024 * 1024,
    });
  }

  /** Sends `spec`, retrying per policy; resolves with a 2xx answer or rejects with an SDK error. */
  async request(spec: RequestSpec): Promise<RawResponse> {
    checkCallOptions(spec.options);
    const maxRetries = spec.options?.maxRetries ?? this.config.maxRetries;
    const signal = spec.options?.signal;
    let reauthenticated = false;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new AbortError(undefined, abortReasonOf(signal));
      const token = spec.auth.kind === 'bearer' ? await this.bearer(signal) : undefined;
      // Waiting for a slot is outside the try: an abort then is certainly before sending, and the
      // wait is not part of the attempt's time limit.
      const release = await this.config.limiter?.acquire(signal);
      const started = Date.now();
      let res: AxiosResponse<string>;
      try {
        res = await this.config.instrumentation
          .http(this.attempt(spec, attempt), (trace) => this.send(spec, token, trace))
          .finally(() => release?.());
      } catch (failure) {
        const error = failure as MedfusionError;
        this.log('warn', spec, { attempt, durationMs: Date.now() - started, error: error.name });
        if (!spec.idempotent && !neverSent(error)) {
          // The body may have reached the server: reporting beats guessing (a repeat e-mails twice).
          throw spec.onUnknownOutcome ? spec.onUnknownOutcome(error) : error;
        }
        // Only transport failures are worth another try (not an abort, not an oversized body).
        if (!(error instanceof ConnectionError) || attempt >= maxRetries) throw error;
        await this.backoff(spec, attempt, undefined, signal, errorTypeOf(error));
        continue;
      }

      const headers = plainHeaders(res.headers);
      const requestId = REQUEST_ID_HEADERS.map((h) => headers[h]).find((v) => v !== undefined);
      this.log(res.status < 400 ? 'info' : 'warn', spec, {
        attempt,
        status: res.status,
        durationMs: Date.now() - started,
        ...(requestId ? { requestId } : {}),
      });
      if (res.status >= 200 && res.status < 300) {
        return {
          status: res.status,
          headers,
          body: res.data ?? '',
          contentType: headers['content-type'],
          ...(requestId ? { requestId } : {}),
        };
      }

      if (res.status === 401 && token !== undefined && !reauthenticated && this.tokens) {
        // The token expired or was revoked: the server refused the call, so it is safe to repeat once.
        this.tokens.invalidate(token);
        reauthenticated = true;
        attempt--;
        continue;
      }

      const error = APIError.generate({
        status: res.status,
        headers,
        method: spec.method,
        path: this.basePath + (spec.logPath ?? spec.path),
        ...(requestId ? { requestId } : {}),
        ...responseMessageOf(res.data),
      });
      const retryable = spec.idempotent
        ? isRetryableStatus(res.status)
        : isRetryableStatusForPost(res.status);
      if (retryable && attempt < maxRetries) {
        const wish = retryAfterMs(headers);
        if (wish === undefined || wish <= this.config.backoff.maxRetryAfterMs) {
          await this.backoff(spec, attempt, wish, signal, String(res.status));
          continue;
        }
      }
      if (!spec.idempotent && isAmbiguousStatusForPost(res.status) && spec.onUnknownOutcome) {
        throw spec.onUnknownOutcome(error);
      }
      throw error;
    }
  }

  private async bearer(signal?: AbortSignal): Promise<string> {
    if (!this.tokens) throw new Error('no token source configured');
    return this.tokens.get(signal);
  }

  private async backoff(
    spec: RequestSpec,
    attempt: number,
    wish: number | undefined,
    signal: AbortSignal | undefined,
    reason: string,
  ) {
    const delayMs = wish ?? backoffDelay(attempt, this.config.backoff);
    this.log('info', spec, { attempt, retryInMs: delayMs });
    this.config.instrumentation.add('medfusion.client.retries', 1, {
      'http.request.method': spec.method,
      'server.address': this.base.hostname,
      'error.type': reason,
      ...(spec.route ? { 'url.template': spec.route } : {}),
    });
    await sleep(delayMs, signal);
  }

  /** What telemetry knows of an attempt: no query, no header, no body. */
  private attempt(spec: RequestSpec, attempt: number): HttpAttempt {
    const { protocol, hostname, port } = this.base;
    return {
      method: spec.method,
      scheme: protocol,
      host: hostname.replace(/^\[|\]$/g, ''),
      port: port ? Number(port) : protocol === 'https:' ? 443 : 80,
      path: this.basePath + (spec.logPath ?? spec.path),
      ...(spec.route ? { route: this.basePath + spec.route } : {}),
      resendCount: attempt,
    };
  }

  /** One attempt. Rejects only with SDK errors. */
  private async send(
    spec: RequestSpec,
    token: string | undefined,
    trace: Record<string, string>,
  ): Promise<AxiosResponse<string>> {
    const timeoutMs = spec.options?.timeoutMs ?? this.config.timeoutMs;
    const caller = spec.options?.signal;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    caller?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {
      ...trace,
      Accept: spec.accept,
      'User-Agent': this.config.userAgent,
    };
    if (spec.contentType) headers['Content-Type'] = spec.contentType;
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (spec.auth.kind === 'basic') headers.Authorization = spec.auth.header;
    try {
      return await this.http.request<string>({
        method: spec.method,
        url: spec.path,
        params: spec.query,
        data: spec.body,
        headers,
        signal: controller.signal,
      });
    } catch (failure) {
      throw toTransportError(failure, {
        timedOut,
        callerAborted: caller?.aborted === true,
        caller,
        timeoutMs,
        host: this.host,
      });
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }

  private log(level: 'info' | 'warn', spec: RequestSpec, fields: Record<string, unknown>): void {
    this.config.logger[level]('medfusion request', {
      method: spec.method,
      path: this.basePath + (spec.logPath ?? spec.path),
      ...fields,
    });
  }
}

/** A call's own `timeoutMs` and `maxRetries`, checked before anything is sent. */
function checkCallOptions(o: RequestOptions | undefined): void {
  const t: unknown = o?.timeoutMs;
  const r: unknown = o?.maxRetries;
  const issues = [
    ...(t !== undefined &&
    !(typeof t === 'number' && Number.isFinite(t) && t >= 1 && t <= MAX_TIMER_MS)
      ? [{ path: 'options.timeoutMs', rule: `ms(1..${MAX_TIMER_MS})` }]
      : []),
    ...(r !== undefined && !(typeof r === 'number' && Number.isInteger(r) && r >= 0)
      ? [{ path: 'options.maxRetries', rule: 'integer >= 0' }]
      : []),
  ];
  if (issues.length > 0) throw new ValidationError('request options', issues);
}

/** A failure that certainly happened before any byte of the request left. */
function neverSent(error: MedfusionError): boolean {
  return (
    error instanceof ConnectionError &&
    !(error instanceof TimeoutError) &&
    NOT_SENT_CODES.has(error.cause.code ?? '')
  );
}

/** Keeps only the code and class of an axios failure: no config, no headers, no URL, no body. */
function toTransportError(
  failure: unknown,
  how: {
    timedOut: boolean;
    callerAborted: boolean;
    caller: AbortSignal | undefined;
    timeoutMs: number;
    host: string;
  },
): MedfusionError {
  const code =
    typeof failure === 'object' && failure !== null
      ? (failure as { code?: unknown }).code
      : undefined;
  const cause: SafeCause = { name: 'AxiosError', ...(typeof code === 'string' ? { code } : {}) };
  if (how.callerAborted) return new AbortError(cause, abortReasonOf(how.caller));
  if (how.timedOut) return new TimeoutError(cause, how.timeoutMs, how.host);
  if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(String((failure as Error).message))) {
    // A body far larger than any page: not retried, it would only come back as large.
    return new ResponseParseError(0, undefined, 'body larger than maxResponseBytes');
  }
  return new ConnectionError(cause, undefined, how.host);
}

function plainHeaders(raw: unknown): ResponseHeaders {
  const out: ResponseHeaders = {};
  if (typeof raw !== 'object' || raw === null) return out;
  const source =
    typeof (raw as { toJSON?: unknown }).toJSON === 'function'
      ? (raw as { toJSON(): object }).toJSON()
      : raw;
  for (const [k, v] of Object.entries(source)) {
    const key = k.toLowerCase();
    if (key === 'set-cookie' || v === undefined || v === null) continue;
    out[key] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * The server's `ResponseMessage`, when an error body is a `ProcessingResponse`, or the OAuth `error`
 * code of a JSON body (a code like `invalid_grant`, never free text); HTML bodies give none.
 */
function responseMessageOf(body: unknown): { responseMessage?: string; errorCode?: string } {
  if (typeof body === 'string' && body.trimStart().startsWith('{')) {
    try {
      const code = (JSON.parse(body) as { error?: unknown }).error;
      return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? { errorCode: code } : {};
    } catch {
      return {};
    }
  }
  if (typeof body !== 'string' || !body.includes('ProcessingResponse')) return {};
  try {
    const { responseMessage } = decodeProcessingResponse(body);
    return responseMessage ? { responseMessage } : {};
  } catch {
    return {};
  }
}
