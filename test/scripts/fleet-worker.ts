// A fleet worker process for the fleet tests and benchmark (Node 22+: pg-boss 12). Configured by
// the JSON on its command line (FleetWorkerConfig); prints `ready` once working and its counters as
// JSON when it stops on SIGTERM. Each page's patients are inserted, in the checkpoint's transaction,
// into fleet_test.synced: a patient delivered twice or never shows there.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PgBoss } from 'pg-boss';
import type { PoolClient } from 'pg';
import type { Logger } from '../../src/index';
import { FleetWorker } from '../../src/fleet/index';
import { invitesFor, type FleetWorkerConfig } from '../helpers/fleet';
import { workerPool } from './worker';

const arg = process.argv[2] as string;
const config = JSON.parse(
  arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg,
) as FleetWorkerConfig;

let pagesWritten = 0;

/**
 * With `telemetryFile`: OpenTelemetry's SDK with in-memory exporters, registered before the worker
 * starts; on SIGTERM every span and metric data point goes to the file as JSON.
 */
async function telemetry(): Promise<(() => Promise<void>) | undefined> {
  const file = config.telemetryFile;
  if (!file) return undefined;
  const { context, metrics, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } =
    await import('@opentelemetry/sdk-trace');
  const { AggregationTemporality, MeterProvider, MetricReader } =
    await import('@opentelemetry/sdk-metrics');
  class Reader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  const exporter = new InMemorySpanExporter();
  const reader = new Reader();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return async () => {
    const { resourceMetrics } = await reader.collect();
    const spans = exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      spanId: s.spanContext().spanId,
      traceId: s.spanContext().traceId,
      parentSpanId: s.parentSpanContext?.spanId,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
    }));
    const points = resourceMetrics.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((m) =>
        m.dataPoints.map((p) => ({
          name: m.descriptor.name,
          attributes: p.attributes,
          value: p.value,
        })),
      ),
    );
    writeFileSync(file, JSON.stringify({ spans, metrics: points }));
  };
}

async function main(): Promise<void> {
  const dumpTelemetry = await telemetry();
  const pool = workerPool(config.databaseUrl);
  const boss = new PgBoss({
    connectionString: config.databaseUrl,
    schema: config.bossSchema,
    max: 4,
    useListenNotify: config.notify !== false,
    ...(config.bossIntervals === 'default'
      ? {}
      : { superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 }),
  });
  boss.on('error', () => undefined); // a killed peer's connection errors are expected here
  await boss.start();
  const log = (fields: Record<string, unknown> = {}): void =>
    appendFileSync(
      config.logFile,
      `${JSON.stringify({ pid: process.pid, at: Date.now(), ...fields })}\n`,
    );
  // The clients' request lines and the fleet's job lines, with their level, in one file.
  const line =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void =>
      log({ level, message, ...fields });
  const logger: Logger = {
    debug: () => undefined,
    info: config.quiet ? () => undefined : line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  const worker = new FleetWorker<PoolClient>({
    boss,
    pool,
    name: config.name,
    environment: 'sandbox',
    ...(config.queuePrefix ? { queuePrefix: config.queuePrefix } : {}),
    concurrency: config.concurrency,
    ...(config.maxRequestsInFlight ? { maxRequestsInFlight: config.maxRequestsInFlight } : {}),
    leaseMs: config.leaseMs,
    heartbeatSeconds: 10,
    // The tests' loops poll fast; the benchmark measures the defaults (2 s, and 30 s with NOTIFY).
    ...(config.syncOnSignal
      ? {}
      : { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 }),
    ...(config.resendGuardMs !== undefined ? { resendGuardMs: config.resendGuardMs } : {}),
    retry: {
      limit: config.retryLimit ?? 8,
      delaySeconds: config.retryDelaySeconds ?? 1,
      maxDelaySeconds: 4,
    },
    ...(config.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: config.maxRetryAfterMs } : {}),
    ...(config.shutdownTimeoutMs !== undefined
      ? { shutdownTimeoutMs: config.shutdownTimeoutMs }
      : {}),
    ...(config.jobTimeoutSeconds !== undefined
      ? { jobTimeoutSeconds: config.jobTimeoutSeconds }
      : {}),
    clientOptions: (practiceId) => ({
      baseUrl: config.sandboxUrl,
      credentials: config.credentialsByPractice?.[practiceId] ?? config.credentials,
      maxRetries: 2,
      retryBackoff: { initialDelayMs: 50, maxDelayMs: 200 },
      logger,
    }),
    logger,
    onPage: async ({ practiceId, page, transaction }) => {
      if (practiceId === config.poisonPractice)
        throw new Error('duplicate key: patient Jane Poison born 1985-12-10');
      if (practiceId === config.hangPractice && config.hangFile && existsSync(config.hangFile))
        await new Promise(() => undefined); // never settles: only pg-boss's timeout can end it
      await transaction.query(
        `INSERT INTO fleet_test.synced (practice_id, practice_patient_id)
         SELECT $1, unnest($2::text[])`,
        [practiceId, page.patients.map((p) => p.practicePatientId)],
      );
      if (config.pageDelayMs > 0) await new Promise((r) => setTimeout(r, config.pageDelayMs));
      // A kill at a fixed point of progress: inside this worker's n-th page's transaction, after its
      // rows were written and before the commit.
      if (config.dieInPage !== undefined && ++pagesWritten === config.dieInPage)
        process.kill(process.pid, 'SIGKILL');
    },
    loadInvites: async (practiceId) => invitesFor(practiceId),
    ...(config.quarantine
      ? {
          onInvalidRecord: async (practiceId, record) => {
            await pool.query(
              'INSERT INTO fleet_test.quarantined (practice_id, practice_patient_id, rules) VALUES ($1, $2, $3)',
              [practiceId, record.practicePatientId, record.issues.map((i) => i.rule)],
            );
          },
        }
      : {}),
  });
  if (config.schedule) {
    const { practices, everyMinutes, replace } = config.schedule;
    if (replace) await worker.schedule(practices, { everyMinutes, replace });
    else
      for (let i = 0; i < practices.length; i += 500)
        await worker.schedule(practices.slice(i, i + 500), { everyMinutes });
  }
  // Jobs are queued before this worker takes any: a worker doomed to die early queues them all.
  if (config.syncOnSignal) process.on('SIGUSR2', () => void worker.syncNow(config.syncNow));
  else await worker.syncNow(config.syncNow);
  for (const practiceId of config.invite)
    await worker.invite(practiceId, 'onboarding', { resendUnknown: config.resendUnknown === true });
  await worker.start();
  process.once('SIGTERM', () => {
    void (async () => {
      await worker.stop();
      await dumpTelemetry?.();
      await boss.stop({ graceful: false, close: true });
      await pool.end();
      process.stdout.write(`${JSON.stringify({ stopped: worker.stats })}\n`);
      process.exit(0);
    })();
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet worker failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
