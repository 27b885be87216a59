/**
 * The SDK's {@link Instrumentation} on `@opentelemetry/api` (an optional peer): loaded when first
 * needed; when it is not installed, nothing is reported. Spans and metrics go to whatever tracer and
 * meter providers the application registered; with none, the API's no-op ones take them.
 *
 * - An HTTP attempt is a client span following OpenTelemetry's HTTP client conventions (method,
 *   server address and port, scheme, route template, status, resend count, `error.type`); the trace
 *   goes to the server in `traceparent`; inside it, tracing is suppressed the way OpenTelemetry's own
 *   SDK does it, so `@opentelemetry/instrumentation-http` adds no second span.
 * - Never a query string, a header value, a body or a patient value: the attributes come only from
 *   the SDK's counts, classes and ids (see `core/instrumentation.ts`).
 */
import type * as OTel from '@opentelemetry/api';
import {
  errorTypeOf,
  type CounterName,
  type GaugeName,
  type GaugeReading,
  type HistogramName,
  type HttpAttempt,
  type Instrumentation,
  type OperationSpan,
  type TelemetryAttributes,
} from '../core/instrumentation';
import { VERSION } from '../version';

type Api = typeof OTel;

/** The tracer's and the meter's name. */
export const TELEMETRY_NAME = 'medfusion-patient-sdk';

/** The context key OpenTelemetry's SDK reads to suppress tracing (`suppressTracing` in `@opentelemetry/core`). */
const SUPPRESS_TRACING = 'OpenTelemetry SDK Context Key SUPPRESS_TRACING';

/** Every metric the SDK reports: its kind, unit and meaning. Also in docs/operations.md. */
export const METRICS = {
  'http.client.request.duration': {
    kind: 'histogram',
    unit: 's',
    description: 'Duration of HTTP client requests (one per attempt).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  },
  'medfusion.fleet.sync.staleness': {
    kind: 'histogram',
    unit: 's',
    description: "Time since the practice's previous successful sync, when a fleet sync starts.",
    buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400],
  },
  'medfusion.client.retries': {
    kind: 'counter',
    unit: '{retry}',
    description: 'Requests sent again after a retryable failure.',
  },
  'medfusion.sync.pages': {
    kind: 'counter',
    unit: '{page}',
    description: 'Feed pages processed by sync().',
  },
  'medfusion.sync.patients': {
    kind: 'counter',
    unit: '{patient}',
    description: 'Patient records delivered by sync().',
  },
  'medfusion.invitation.patients': {
    kind: 'counter',
    unit: '{patient}',
    description: 'Patients of invitation runs, by result (sent, already-accepted, unknown-resent).',
  },
  'medfusion.fleet.jobs': {
    kind: 'counter',
    unit: '{job}',
    description: 'Fleet jobs finished, by kind and outcome.',
  },
  'medfusion.fleet.dead_letters': {
    kind: 'counter',
    unit: '{job}',
    description: 'Fleet jobs sent to the dead-letter queue, by kind and error class.',
  },
  'medfusion.fleet.practice.lag': {
    kind: 'gauge',
    unit: 's',
    description: "Time since each practice's last successful sync (reported by one worker).",
  },
  'medfusion.fleet.dead_letters.waiting': {
    kind: 'gauge',
    unit: '{job}',
    description: 'Jobs waiting in the dead-letter queue (reported by one worker).',
  },
} as const satisfies Record<
  CounterName | HistogramName | GaugeName,
  {
    kind: 'counter' | 'histogram' | 'gauge';
    unit: string;
    description: string;
    buckets?: readonly number[];
  }
>;

const noSpan: OperationSpan = { set: () => undefined, fail: () => undefined };

let shared: Instrumentation | undefined;

/** The SDK's instrumentation on OpenTelemetry (one for the process). */
export function openTelemetry(): Instrumentation {
  shared ??= create();
  return shared;
}

function create(): Instrumentation {
  let ready: Reporter | undefined;
  const loaded: Promise<Reporter | undefined> = loadApi().then((api) =>
    api ? (ready = new Reporter(api)) : undefined,
  );
  const later = (f: (r: Reporter) => void): void => {
    if (ready) f(ready);
    else void loaded.then((r) => r && f(r));
  };
  return {
    async operation(name, attributes, fn) {
      const r = ready ?? (await loaded);
      return r ? r.operation(name, attributes, fn) : fn(noSpan);
    },
    async http(attempt, send) {
      const r = ready ?? (await loaded);
      return r ? r.http(attempt, send) : send({});
    },
    add: (name, value, attributes) => later((r) => r.add(name, value, attributes)),
    record: (name, seconds, attributes) => later((r) => r.record(name, seconds, attributes)),
    observe(name, read) {
      const gauge = { name, read };
      gauges.add(gauge);
      later((r) => r.instruments());
      return () => void gauges.delete(gauge);
    },
  };
}

/** `@opentelemetry/api`, when installed (ESM and CommonJS copies share one global registry). */
async function loadApi(): Promise<Api | undefined> {
  try {
    const m = (await import('@opentelemetry/api')) as Api & { default?: Api };
    return typeof m.trace?.getTracer === 'function' ? m : m.default;
  } catch {
    return undefined;
  }
}

/** Gauges registered by the SDK, read on each collection of whichever meter is current. */
const gauges = new Set<{ name: GaugeName; read: () => GaugeReading[] }>();

interface Instruments {
  counters: Map<string, OTel.Counter>;
  histograms: Map<string, OTel.Histogram>;
}

class Reporter {
  private readonly suppress: symbol;
  /** Instruments per meter: an application may register its meter provider after our first call. */
  private readonly byMeter = new WeakMap<OTel.Meter, Instruments>();

  constructor(private readonly api: Api) {
    this.suppress = api.createContextKey(SUPPRESS_TRACING);
  }

  private get tracer(): OTel.Tracer {
    return this.api.trace.getTracer(TELEMETRY_NAME, VERSION);
  }

  async operation<T>(
    name: string,
    attributes: TelemetryAttributes,
    fn: (span: OperationSpan) => Promise<T>,
  ): Promise<T> {
    const { api } = this;
    return this.tracer.startActiveSpan(
      name,
      { kind: api.SpanKind.INTERNAL, attributes },
      async (span) => {
        try {
          return await fn({
            set: (a) => span.setAttributes(a),
            fail: (errorType) => {
              span.setAttribute('error.type', errorType);
              span.setStatus({ code: api.SpanStatusCode.ERROR });
            },
          });
        } catch (error) {
          span.setAttribute('error.type', errorTypeOf(error));
          span.setStatus({ code: api.SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  async http<T extends { status: number }>(
    attempt: HttpAttempt,
    send: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    const { api } = this;
    const scheme = attempt.scheme.replace(/:$/, '');
    const common: TelemetryAttributes = {
      'http.request.method': attempt.method,
      'server.address': attempt.host,
      'server.port': attempt.port,
      'url.scheme': scheme,
      ...(attempt.route ? { 'url.template': attempt.route } : {}),
    };
    const parent = api.context.active();
    const span = this.tracer.startSpan(
      attempt.route ? `${attempt.method} ${attempt.route}` : attempt.method,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          ...common,
          'url.full': `${scheme}://${attempt.host}:${attempt.port}${attempt.path}`,
          ...(attempt.resendCount > 0 ? { 'http.request.resend_count': attempt.resendCount } : {}),
        },
      },
      parent,
    );
    const context = api.trace.setSpan(parent, span);
    const headers: Record<string, string> = {};
    api.propagation.inject(context, headers);
    const started = performance.now();
    const outcome: TelemetryAttributes = {};
    try {
      const res = await api.context.with(context.setValue(this.suppress, true), () =>
        send(headers),
      );
      outcome['http.response.status_code'] = res.status;
      if (res.status >= 400) outcome['error.type'] = String(res.status);
      return res;
    } catch (error) {
      outcome['error.type'] = errorTypeOf(error);
      throw error;
    } finally {
      span.setAttributes(outcome);
      if (outcome['error.type'] !== undefined) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
      this.record('http.client.request.duration', (performance.now() - started) / 1000, {
        ...common,
        ...outcome,
      });
    }
  }

  add(name: CounterName, value: number, attributes?: TelemetryAttributes): void {
    this.instruments().counters.get(name)?.add(value, attributes);
  }

  record(name: HistogramName, seconds: number, attributes?: TelemetryAttributes): void {
    this.instruments().histograms.get(name)?.record(seconds, attributes);
  }

  /** The instruments of the current meter, created on first use (gauges included). */
  instruments(): Instruments {
    const meter = this.api.metrics.getMeter(TELEMETRY_NAME, VERSION);
    let found = this.byMeter.get(meter);
    if (found) return found;
    found = { counters: new Map(), histograms: new Map() };
    for (const [name, m] of Object.entries(METRICS)) {
      const options = { unit: m.unit, description: m.description };
      if (m.kind === 'counter') found.counters.set(name, meter.createCounter(name, options));
      else if (m.kind === 'histogram')
        found.histograms.set(
          name,
          meter.createHistogram(name, {
            ...options,
            advice: { explicitBucketBoundaries: [...m.buckets] },
          }),
        );
      else
        meter.createObservableGauge(name, options).addCallback((result) => {
          for (const g of gauges)
            if (g.name === name)
              for (const { value, attributes } of g.read()) result.observe(value, attributes);
        });
    }
    this.byMeter.set(meter, found);
    return found;
  }
}
