// A sync worker for the PostgreSQL crash and lease tests: exactly-once sync of one practice into
// the `synced` table with a plain, non-idempotent INSERT per patient.
// argv: <baseUrl> <practiceId> <credentials JSON> <database url> <options JSON>
// Prints one JSON line at the end: { ok: true, patients, cursor } or { error: <class name> }.
import { PostgresCheckpointStore } from '../../src/postgres/index';
import { workerClient, workerPool, type SyncWorkerOptions } from './worker';

const { client, practiceId, rest } = workerClient();
const [databaseUrl, optionsJson] = rest as [string, string];
const options = JSON.parse(optionsJson) as SyncWorkerOptions;

async function main(): Promise<void> {
  const pool = workerPool(databaseUrl);
  const checkpoint = new PostgresCheckpointStore({
    pool,
    practiceId,
    environment: 'sandbox',
    holder: options.name,
    leaseMs: options.leaseMs,
    ...(options.renewEveryMs ? { renewEveryMs: options.renewEveryMs } : {}),
    waitForLeaseMs: options.waitForLeaseMs,
  });
  try {
    const result = await client.patients.sync({
      delivery: 'exactly-once',
      checkpoint,
      max: options.max,
      onPage: async (page, tx) => {
        for (const p of page.patients) {
          await tx.query(
            'INSERT INTO synced (practice_patient_id, page_cursor, worker) VALUES ($1, $2, $3)',
            [p.practicePatientId, page.cursor ?? null, options.name],
          );
        }
        // Work inside the transaction, so kills and stalls land mid-page too.
        await new Promise((r) => setTimeout(r, options.pageDelayMs));
      },
    });
    process.stdout.write(
      `${JSON.stringify({ ok: true, patients: result.patients, cursor: result.cursor })}\n`,
    );
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).name })}\n`);
    process.exitCode = 3;
  } finally {
    await pool.end();
  }
}

void main();
