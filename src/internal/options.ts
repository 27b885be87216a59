/**
 * Client options: their types, defaults and validation. A bad option throws
 * {@link ConfigurationError} naming it, at construction, before anything is sent.
 */
import { ConfigurationError } from '../core/errors';
import type { CursorFormat } from '../core/cursor';
import { MAX_TIMER_MS } from '../core/limits';
import { API_VERSIONS, type ApiVersion } from '../models/enums';
import type { BasicAuthEncoding, Credentials, TokenCache } from './auth';
import type { RequestLimiter } from './limiter';
import { isPino, leveled, pinoLogger, silentLogger, type Logger, type LogLevel } from './log';
import { DEFAULT_BACKOFF, type Backoff } from './retry';
import { VERSION } from '../version';
import { isPathId } from '../core/path';
import { resolveProxy, type AxiosProxy, type ProxyOption, type ResolvedProxy } from './proxy';

/** Medfusion's hosts (wire spec section 1). */
export const ENVIRONMENTS = {
  demo: 'https://integration.demo.medfusion.net',
  production: 'https://integration.medfusion.net',
} as const;

/** Fills the `Sender` element of every `PatientBatch`. */
export interface SenderOptions {
  /** @default 'medfusion-patient-sdk' */
  vendorName?: string;
  /** @default 'medfusion-patient-sdk' */
  deviceName?: string;
  /** @default the SDK version */
  deviceVersion?: string;
}

/** Options of {@link MedfusionClient}. */
export interface ClientOptions {
  /** The integration practice UUID Medfusion issued. @default process.env.MEDFUSION_PRACTICE_ID (required one way or the other) */
  practiceId?: string;
  /** Medfusion's test (`demo`) or live (`production`) host. Give this or `baseUrl`. */
  environment?: keyof typeof ENVIRONMENTS;
  /**
   * Any other host, such as the sandbox: scheme, host, optional port and optional path prefix
   * (`https://gateway.example.com/medfusion`: requests then go to `/medfusion/v1/...`, and are logged
   * so). No credentials, query or fragment. Must be `https:` unless the host is loopback.
   * @default process.env.MEDFUSION_BASE_URL, when `environment` is not given either
   */
  baseUrl?: string;
  /** Version of the patient resource. @default 'v2' */
  apiVersion?: ApiVersion;
  /**
   * One of the three credential forms. Required, unless the environment holds them:
   * `MEDFUSION_CLIENT_ID`, `MEDFUSION_CLIENT_SECRET`, `MEDFUSION_USERNAME`, `MEDFUSION_PASSWORD`.
   */
  credentials?: Credentials;
  /** How `clientId:clientSecret` is written in the token request's Basic header. @default 'raw' (as Medfusion documents) */
  basicAuth?: BasicAuthEncoding;
  /** Time limit of each attempt, in ms. @default 30000 */
  timeoutMs?: number;
  /** Retries after the first attempt. @default 2 */
  maxRetries?: number;
  /** Backoff between retries. @default { initialDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60000 } */
  retryBackoff?: Partial<Backoff>;
  /** Where to log; silent by default. Only method, path, status, timing, attempt and request id are logged. */
  logger?: Logger;
  /** Lines below this level are not logged. @default 'info' */
  logLevel?: LogLevel;
  /** Fills the `Sender` element. */
  sender?: SenderOptions;
  /**
   * Largest response body accepted, in bytes, counted after decompression. A full page of 100
   * patients as Medfusion sends them is about 0.75 MB (7.4 KB a patient in the captured responses);
   * the default leaves five times that. @default 4194304 (4 MiB)
   */
  maxResponseBytes?: number;
  /**
   * The proxy requests go through: `false` (none), a proxy URL (`http://user:pass@proxy:3128`), or
   * `'environment'`: `HTTPS_PROXY` / `HTTP_PROXY` (by the target's protocol) unless `NO_PROXY`
   * matches. HTTPS is tunnelled (CONNECT), so it stays encrypted end to end. A loopback `baseUrl`
   * (the sandbox) is never proxied. The choice made is in `client.options.proxy` and logged once.
   * @default 'environment'
   */
  proxy?: ProxyOption;
  /**
   * How a `Date` given as `since` becomes a cursor: `seconds` gives `<epoch seconds>,0` (as the
   * vendor's own tests build it), `milliseconds` gives `<epoch ms>`. If the server read seconds as
   * milliseconds it would replay from 1970 (duplicates, never a gap), hence the default.
   * @default 'seconds'
   */
  sinceDateFormat?: 'seconds' | 'milliseconds';
  /**
   * How feed cursors (`Last-Timestamp`) are checked before they are sent back or saved: `medfusion`
   * accepts Medfusion's `<epoch>[,<n>]` only (at most 256 characters), and refuses one that moves
   * backwards or runs more than an hour ahead of the server's clock; `opaque` accepts any token of
   * letters, digits and `._~:,+=/-` (for a server of your own) and judges order only for
   * cursors in Medfusion's form. A refused cursor is a `CursorError`, before the page it came with is
   * delivered (see docs/syncing.md). @default 'medfusion'
   */
  cursorFormat?: CursorFormat;
  /**
   * A token cache shared with other clients: clients with the same host and credentials use one
   * token and one token request at a time (see {@link TokenCache}). @default a cache of this client's own
   */
  tokenCache?: TokenCache;
  /**
   * A cap on requests in flight shared with other clients (see {@link RequestLimiter}).
   * @default no cap
   */
  requestLimiter?: RequestLimiter;
  /**
   * Report spans and metrics through `@opentelemetry/api` when it is installed: a client span per
   * HTTP attempt, a span per sync and invitation run, and the metrics of docs/operations.md; never a
   * patient value, query string, header value or body. `false` reports nothing. @default true
   */
  telemetry?: boolean;
}

/** The options in force, defaults filled in (`client.options`). */
export interface ResolvedOptions {
  /** The integration practice UUID. */
  practiceId: string;
  /** The host, without a trailing slash. */
  baseUrl: string;
  /** Version of the patient resource. */
  apiVersion: ApiVersion;
  /** The credential form in use. */
  credentials: Credentials;
  /** Encoding of the Basic header. */
  basicAuth: BasicAuthEncoding;
  /** Time limit of one attempt, in ms. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Backoff between retries. */
  backoff: Backoff;
  /** The logger, level filter applied. */
  logger: Logger;
  /** The `Sender` device names. */
  sender: Required<SenderOptions>;
  /** Largest response body accepted. */
  maxResponseBytes: number;
  /** The proxy in force (`false`: none), and where it came from. */
  proxy: ResolvedProxy;
  /** @internal What axios is given. */
  axiosProxy: AxiosProxy | false;
  /** How a `Date` becomes a cursor. */
  sinceDateFormat: 'seconds' | 'milliseconds';
  /** How feed cursors are checked. */
  cursorFormat: CursorFormat;
  /** The shared token cache, when one was given. */
  tokenCache: TokenCache | undefined;
  /** The shared cap on requests in flight, when one was given. */
  requestLimiter: RequestLimiter | undefined;
  /** Whether spans and metrics are reported (when `@opentelemetry/api` is installed). */
  telemetry: boolean;
}

const fail = (option: string, rule: string): never => {
  throw new ConfigurationError(option, rule);
};
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function positive(option: string, v: unknown, fallback: number, integer = false, min = 1): number {
  if (v === undefined) return fallback;
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < min ||
    (integer && !Number.isInteger(v))
  ) {
    return fail(option, `must be ${integer ? 'an integer' : 'a number'} >= ${min}`);
  }
  return v;
}

/** A duration in ms that a timer can wait: `min` to 2^31 - 1 (a longer one fires at once). */
function duration(option: string, v: unknown, fallback: number, min = 1): number {
  const ms = positive(option, v, fallback, false, min);
  return ms <= MAX_TIMER_MS ? ms : fail(option, `must be at most ${MAX_TIMER_MS} (ms)`);
}

/**
 * Options not given are read from the environment, as the anchors do with their API keys:
 * `MEDFUSION_PRACTICE_ID`, `MEDFUSION_BASE_URL` (when no `environment` either), and the four
 * credential variables together. Options given always win.
 */
function withEnvironmentDefaults(
  o: ClientOptions,
  env: NodeJS.ProcessEnv = process.env,
): ClientOptions {
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v !== undefined && v.trim() !== '' ? v : undefined;
  };
  const practiceId = o.practiceId ?? read('MEDFUSION_PRACTICE_ID');
  const baseUrl =
    o.baseUrl ?? (o.environment === undefined ? read('MEDFUSION_BASE_URL') : undefined);
  const fromEnv = {
    clientId: read('MEDFUSION_CLIENT_ID'),
    clientSecret: read('MEDFUSION_CLIENT_SECRET'),
    username: read('MEDFUSION_USERNAME'),
    password: read('MEDFUSION_PASSWORD'),
  };
  const credentials =
    o.credentials ??
    (Object.values(fromEnv).some((v) => v !== undefined) ? (fromEnv as Credentials) : undefined);
  return {
    ...o,
    ...(practiceId !== undefined ? { practiceId } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  };
}

/** A full page is about 0.75 MB; this leaves five times that (see `maxResponseBytes`). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Whether `host` is loopback: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function resolveBaseUrl(o: ClientOptions): string {
  if (o.baseUrl !== undefined && o.environment !== undefined)
    fail('baseUrl', 'give environment or baseUrl, not both');
  if (o.environment !== undefined) {
    // By own key only: 'toString' or '__proto__' must not pass as an environment.
    return Object.prototype.hasOwnProperty.call(ENVIRONMENTS, o.environment)
      ? ENVIRONMENTS[o.environment]
      : fail('environment', "must be 'demo' or 'production'");
  }
  if (o.baseUrl === undefined)
    return fail('environment', "give environment ('demo' | 'production') or baseUrl");
  let url: URL;
  try {
    url = new URL(o.baseUrl);
  } catch {
    return fail('baseUrl', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    fail('baseUrl', 'must use https: unless the host is loopback');
  }
  if (url.username || url.password || url.search || url.hash)
    fail('baseUrl', 'must not hold credentials, a query or a fragment');
  return url.toString().replace(/\/+$/, '');
}

function resolveCredentials(c: unknown): Credentials {
  if (!isObject(c))
    return fail(
      'credentials',
      'required (or set MEDFUSION_CLIENT_ID, MEDFUSION_CLIENT_SECRET, MEDFUSION_USERNAME, MEDFUSION_PASSWORD)',
    );
  const has = (k: string) => c[k] !== undefined;
  const need = (keys: string[]) => {
    for (const k of keys)
      if (!nonEmpty(c[k])) fail(`credentials.${k}`, 'must be a non-empty string');
  };
  if (has('accessToken')) need(['accessToken']);
  else if (has('appToken')) need(['appToken', 'username', 'password']);
  else need(['clientId', 'clientSecret', 'username', 'password']);
  return c as unknown as Credentials;
}

function resolveLogger(l: unknown): Logger {
  if (l === undefined) return silentLogger;
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  if (!isObject(l) || methods.some((m) => typeof l[m] !== 'function')) {
    return fail('logger', 'must have debug, info, warn and error methods');
  }
  // pino takes (fields, message): handed the SDK's (message, fields) it would drop every field.
  return isPino(l) ? pinoLogger(l) : (l as unknown as Logger);
}

function oneOf<T extends string>(option: string, v: unknown, values: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  return values.includes(v as T) ? (v as T) : fail(option, `must be one of ${values.join(', ')}`);
}

/**
 * A shared object of ours, by its shape: the ESM and CJS builds (and the fleet's) each carry their
 * own copy of the class, so `instanceof` would refuse a cache made by another copy.
 */
function shaped<T>(option: string, v: unknown, type: string, method: string): T | undefined {
  if (v === undefined) return undefined;
  return isObject(v) && typeof v[method] === 'function'
    ? (v as T)
    : fail(option, `must be a ${type}`);
}

/** Validates and completes the options. */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  if (!isObject(o)) fail('options', 'required');
  o = withEnvironmentDefaults(o);
  if (o.practiceId === undefined) fail('practiceId', 'required (or set MEDFUSION_PRACTICE_ID)');
  if (!isPathId(o.practiceId))
    fail('practiceId', 'must be the practice UUID (letters, digits, -, _, . and ~ only)');
  const backoff = { ...DEFAULT_BACKOFF, ...(o.retryBackoff ?? {}) };
  duration('retryBackoff.initialDelayMs', backoff.initialDelayMs, 0, 0);
  duration('retryBackoff.maxDelayMs', backoff.maxDelayMs, 0, 0);
  duration('retryBackoff.maxRetryAfterMs', backoff.maxRetryAfterMs, 0, 0);
  const sender = o.sender ?? {};
  for (const k of ['vendorName', 'deviceName', 'deviceVersion'] as const) {
    if (sender[k] !== undefined && !nonEmpty(sender[k]))
      fail(`sender.${k}`, 'must be a non-empty string');
  }
  const level = oneOf('logLevel', o.logLevel, ['debug', 'info', 'warn', 'error', 'off'], 'info');
  const baseUrl = resolveBaseUrl(o);
  const proxy = resolveProxy(o.proxy, baseUrl, isLoopback(new URL(baseUrl).hostname));
  const resolved: ResolvedOptions = {
    practiceId: o.practiceId as string,
    baseUrl,
    apiVersion: oneOf('apiVersion', o.apiVersion, API_VERSIONS, 'v2'),
    credentials: resolveCredentials(o.credentials),
    basicAuth: oneOf('basicAuth', o.basicAuth, ['raw', 'base64'], 'raw'),
    timeoutMs: duration('timeoutMs', o.timeoutMs, 30_000),
    maxRetries: positive('maxRetries', o.maxRetries, 2, true, 0),
    backoff,
    logger: leveled(resolveLogger(o.logger), level),
    sender: {
      vendorName: sender.vendorName ?? 'medfusion-patient-sdk',
      deviceName: sender.deviceName ?? 'medfusion-patient-sdk',
      deviceVersion: sender.deviceVersion ?? VERSION,
    },
    maxResponseBytes: positive(
      'maxResponseBytes',
      o.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_BYTES,
      true,
    ),
    proxy: proxy.shown,
    axiosProxy: proxy.axios,
    sinceDateFormat: oneOf(
      'sinceDateFormat',
      o.sinceDateFormat,
      ['seconds', 'milliseconds'],
      'seconds',
    ),
    cursorFormat: oneOf('cursorFormat', o.cursorFormat, ['medfusion', 'opaque'], 'medfusion'),
    tokenCache: shaped<TokenCache>('tokenCache', o.tokenCache, 'TokenCache', 'sourceFor'),
    requestLimiter: shaped<RequestLimiter>(
      'requestLimiter',
      o.requestLimiter,
      'RequestLimiter',
      'acquire',
    ),
    telemetry:
      o.telemetry === undefined || typeof o.telemetry === 'boolean'
        ? o.telemetry !== false
        : fail('telemetry', 'must be true or false'),
  };
  // Not enumerable: a proxy's credentials must not show when the options are logged or inspected.
  Object.defineProperty(resolved, 'axiosProxy', { value: proxy.axios, enumerable: false });
  return resolved;
}
