/**
 * Incremental sync of new and updated patients into your own store, resumable after a crash.
 * Run it on a schedule (cron, a queue, a timer); each run starts where the last one saved.
 *
 *   npx tsx examples/incremental-sync.ts [checkpoint-file]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCheckpointStore, MedfusionClient, type Patient } from 'medfusion-patient-sdk';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';

/** Your database. The upsert is keyed by practicePatientId: a page delivered twice changes nothing. */
const store = new Map<string, Patient>();
async function upsert(patients: Patient[]): Promise<void> {
  for (const p of patients) store.set(p.practicePatientId, p); // later versions replace earlier ones
}

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  sandbox.seedRegisteredPatients(320); // patients who registered on the portal
  const client = new MedfusionClient({
    baseUrl: sandbox.url,
    practiceId: sandbox.practiceId,
    credentials: sandbox.credentials,
  });
  const checkpoint = new FileCheckpointStore(
    process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'sync-')), 'cursor'),
  );
  // SIGTERM or Ctrl-C: finish the page in hand, save its cursor, then stop.
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  try {
    const result = await client.patients.sync({
      checkpoint, // the cursor is saved only after onPage resolved: a crash re-delivers, never skips
      onPage: (page) => upsert(page.patients),
      stopSignal: stop.signal, // graceful; `signal` would abort at once, even mid-page
      onProgress: (p) => console.log(`  ${p.patients} patients so far`),
    });
    console.log(
      `synced ${result.patients} patients in ${result.pages} pages; ${store.size} in the store; next run starts at ${result.cursor}`,
    );

    const again = await client.patients.sync({
      checkpoint,
      onPage: (page) => upsert(page.patients),
    });
    console.log(`an immediate second run finds ${again.patients} new patients`);
  } finally {
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
