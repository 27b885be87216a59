// A bulk-invitation worker for the PostgreSQL crash test: invites the same `count` sandbox patients
// through the PostgreSQL invitation ledger on every run.
// argv: <baseUrl> <practiceId> <credentials JSON> <database url> <count> <resendUnknown: 0|1>
// Prints one JSON line: { ok: true, batches, report } or { error, unknown: [batchId], failed, notSent, report }.
import { PartialSubmissionError, SubmissionOutcomeUnknownError } from '../../src/index';
import { PostgresInvitationLedger } from '../../src/postgres/index';
import { sampleInvite } from '../../src/sandbox/index';
import { workerClient, workerPool } from './worker';

const { client, rest } = workerClient();
const [databaseUrl, count, resend] = rest as [string, string, string];

async function main(): Promise<void> {
  const pool = workerPool(databaseUrl);
  const invites = Array.from({ length: Number(count) }, (_, i) => sampleInvite(i, 11));
  try {
    const batches = await client.patients.invitePatients(invites, {
      // The operator resends only after checking: no POST of these runs is still in flight.
      ledger: new PostgresInvitationLedger({ pool, resendGuardMs: 0 }),
      batchSize: 25,
      concurrency: 2,
      resendUnknown: resend === '1',
    });
    process.stdout.write(
      `${JSON.stringify({ ok: true, batches: batches.length, report: batches.report })}\n`,
    );
  } catch (error) {
    const partial = error instanceof PartialSubmissionError ? error : undefined;
    const unknown = (partial?.failed ?? [])
      .filter((f) => f.error instanceof SubmissionOutcomeUnknownError)
      .map((f) => f.batchId);
    process.stdout.write(
      `${JSON.stringify({
        error: (error as Error).name,
        unknown,
        failed: partial?.failed.length ?? 0,
        notSent: partial?.notSent.length ?? 0,
        report: partial?.report,
      })}\n`,
    );
    process.exitCode = 3;
  } finally {
    await pool.end();
  }
}

void main();
