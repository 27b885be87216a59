// Type-checked by scripts/check-package.mjs against the installed tarball under node16, bundler and node10.
import {
  MedfusionClient,
  ValidationError,
  type Patient,
  type PatientInvite,
  type BatchStatus,
} from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { medfusionHandlers, createEmulator } from 'medfusion-patient-sdk/testing';
import {
  PostgresCheckpointStore,
  PostgresInvitationLedger,
  LeaseLostError,
  type SqlPool,
} from 'medfusion-patient-sdk/postgres';

import { FleetWorker, readFleetStatus, type FleetBoss } from 'medfusion-patient-sdk/fleet';

/** The fleet entry type-checks without pg-boss or pg installed: any boss and pool of that shape. */
export function fleet(boss: FleetBoss, pool: SqlPool): FleetWorker {
  void readFleetStatus(pool);
  return new FleetWorker({
    boss,
    pool,
    clientOptions: (practiceId) => ({
      practiceId,
      environment: 'demo',
      credentials: { accessToken: 't' },
    }),
    onPage: async ({ practiceId, page, transaction }) => {
      await transaction.query('INSERT INTO t VALUES ($1, $2)', [practiceId, page.patients.length]);
    },
  });
}

/** The PostgreSQL entry type-checks without `pg` installed: it takes any pool of that shape. */
export function durable(pool: SqlPool, client: MedfusionClient): Promise<unknown> {
  const checkpoint = new PostgresCheckpointStore({ pool, practiceId: 'p' });
  const lost: LeaseLostError = new LeaseLostError('p/production/v2', '1', 'commit');
  void lost;
  return Promise.all([
    client.patients.sync({
      delivery: 'exactly-once',
      checkpoint,
      onPage: async (page, tx) => {
        await tx.query('INSERT INTO t VALUES ($1)', [page.patients.length]);
      },
    }),
    client.patients.invitePatients([], { ledger: new PostgresInvitationLedger({ pool }) }),
  ]);
}

export async function check(): Promise<number> {
  const sb: Sandbox = await startSandbox();
  const client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
  const invite: PatientInvite = {
    practicePatientId: 'C-1',
    demographics: {
      name: { firstName: 'Ada', lastName: 'Lovelace' },
      dateOfBirth: '1985-12-10',
      gender: 'FEMALE',
      email: 'ada@example.test',
    },
  };
  const job = await client.patients.invitePatient(invite);
  const status: BatchStatus = await client.batches.waitForCompletion(job, { minDelayMs: 10 });
  sb.registerPatient('C-1');
  const seen: Patient[] = [];
  for await (const p of client.patients.getUpdatedPatients()) seen.push(p);
  await sb.close();
  const handlers = medfusionHandlers({ emulator: createEmulator() });
  return status.done &&
    seen.length === 1 &&
    handlers.length > 0 &&
    new ValidationError('x', []) instanceof Error
    ? 1
    : 0;
}
