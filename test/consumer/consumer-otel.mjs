// The built package with OpenTelemetry installed, as ESM (argv[2] = 'cjs': the CommonJS build):
// one span for the sync and one client span per request reach the application's provider.
import { createRequire } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
);
const cjs = process.argv[2] === 'cjs';
const require = createRequire(import.meta.url);
const { MedfusionClient, MemoryCheckpointStore } = cjs
  ? require('medfusion-patient-sdk')
  : await import('medfusion-patient-sdk');
const { startSandbox } = await import('medfusion-patient-sdk/sandbox');

const sb = await startSandbox();
sb.seedRegisteredPatients(3);
const client = new MedfusionClient({
  baseUrl: sb.url,
  practiceId: sb.practiceId,
  credentials: sb.credentials,
});
await client.patients.sync({ checkpoint: new MemoryCheckpointStore(), onPage: async () => {} });
await sb.close();
const names = exporter
  .getFinishedSpans()
  .map((s) => s.name)
  .sort();
const want = ['GET /v2/practice/{practiceId}/patient', 'POST /v1/oauth2/token', 'medfusion.sync'];
if (JSON.stringify(names) !== JSON.stringify(want))
  throw new Error(
    `OpenTelemetry consumer (${cjs ? 'cjs' : 'esm'}): spans ${JSON.stringify(names)}`,
  );
console.log(`OpenTelemetry consumer (${cjs ? 'cjs' : 'esm'}): ok`);
