/**
 * The seam telemetry plugs into: spans around HTTP attempts and around operations (a sync, an
 * invitation run, a fleet job), counters and histograms. The SDK calls only this interface;
 * `telemetry/` implements it on `@opentelemetry/api` when that is installed, and {@link noInstrumentation}
 * does nothing otherwise.
 *
 * What may go in: counts, durations, class names, status codes, the practice id, method, host, port
 * and a route template. Never a patient value, a query string, a header value, a body or a cursor.
 */

/** Attribute values: counts, class names, ids of practices and jobs. */
export type TelemetryAttributes = Record<string, string | number | boolean>;

/** The operations that get a span of their own. */
export type OperationName = 'medfusion.sync' | 'medfusion.invitations' | 'medfusion.fleet.job';

/** Counters. */
export type CounterName =
  | 'medfusion.client.retries'
  | 'medfusion.sync.pages'
  | 'medfusion.sync.patients'
  | 'medfusion.invitation.patients'
  | 'medfusion.fleet.jobs'
  | 'medfusion.fleet.dead_letters';

/** Histograms (seconds). */
export type HistogramName = 'http.client.request.duration' | 'medfusion.fleet.sync.staleness';

/** One value of a gauge. */
export interface GaugeReading {
  value: number;
  attributes: TelemetryAttributes;
}

/** Gauges, read when the metrics are collected. */
export type GaugeName = 'medfusion.fleet.practice.lag' | 'medfusion.fleet.dead_letters.waiting';

/** The span of an operation, while it runs. */
export interface OperationSpan {
  /** Adds attributes (counts, outcome). */
  set(attributes: TelemetryAttributes): void;
  /** Marks the operation failed (a failure handled without a throw): `error.type` is `errorType`. */
  fail(errorType: string): void;
}

/** One HTTP attempt, as the transport knows it. */
export interface HttpAttempt {
  method: string;
  /** `https:` or `http:`. */
  scheme: string;
  host: string;
  port: number;
  /** The path without its query, secrets replaced (the transport's logged path). */
  path: string;
  /** The route with placeholders (`/v2/practice/{practiceId}/patient`), when known. */
  route?: string;
  /** 0 for the first attempt, then 1, 2, …: OpenTelemetry's `http.request.resend_count`. */
  resendCount: number;
}

/** What the SDK reports through. */
export interface Instrumentation {
  /**
   * Runs `fn` in a span of `name` (the parent of the spans started inside): a failure ends it as an
   * error, its class in `error.type`.
   */
  operation<T>(
    name: OperationName,
    attributes: TelemetryAttributes,
    fn: (span: OperationSpan) => Promise<T>,
  ): Promise<T>;
  /**
   * Runs one HTTP attempt in a client span: `send` gets the headers that carry the trace
   * (`traceparent`); other HTTP instrumentation is suppressed inside it (no second span). The
   * attempt's duration is recorded with its status, or the class of its failure.
   */
  http<T extends { status: number }>(
    attempt: HttpAttempt,
    send: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T>;
  add(name: CounterName, value: number, attributes?: TelemetryAttributes): void;
  record(name: HistogramName, seconds: number, attributes?: TelemetryAttributes): void;
  /** Registers a gauge read on each collection; returns what unregisters it. */
  observe(name: GaugeName, read: () => GaugeReading[]): () => void;
}

const noSpan: OperationSpan = { set: () => undefined, fail: () => undefined };

/** Reports nothing. */
export const noInstrumentation: Instrumentation = {
  operation: (_name, _attributes, fn) => fn(noSpan),
  http: (_attempt, send) => send({}),
  add: () => undefined,
  record: () => undefined,
  observe: () => () => undefined,
};

/** The class of a failure, for `error.type`: its name, never its message. */
export function errorTypeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return typeof error;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && /^[\w.$-]{1,100}$/.test(name) ? name : '_OTHER';
}
