// A user's process with OpenTelemetry's HTTP auto-instrumentation registered before anything else
// loads `http`, then the SDK (from the sources, through tsx) against the sandbox. Prints every span
// as JSON. `telemetry=off` in argv turns the SDK's telemetry off (the control: the auto-instrumentation
// then makes the client spans itself).
const { context, propagation, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} = require('@opentelemetry/sdk-trace');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

require('tsx/cjs/api').register();
const { MedfusionClient, MemoryCheckpointStore } = require('../../src/index.ts');
const { startSandbox } = require('../../src/sandbox/index.ts');

async function main() {
  const sb = await startSandbox({ seed: 5 });
  try {
    sb.seedRegisteredPatients(120);
    const client = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
      telemetry: !process.argv.includes('telemetry=off'),
    });
    await client.patients.sync({
      checkpoint: new MemoryCheckpointStore(),
      onPage: async () => undefined,
    });
  } finally {
    await sb.close();
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    scope: s.instrumentationScope.name,
    spanId: s.spanContext().spanId,
    traceId: s.spanContext().traceId,
    parentSpanId: s.parentSpanContext ? s.parentSpanContext.spanId : undefined,
  }));
  process.stdout.write(JSON.stringify(spans));
}

main().catch((error) => {
  process.stderr.write(`${error && error.name}: ${error && error.message}\n`);
  process.exitCode = 1;
});
