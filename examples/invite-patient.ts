/**
 * Invite one patient and wait until Medfusion has processed the invitation.
 *
 *   npx tsx examples/invite-patient.ts
 *
 * Runs against the embedded sandbox. For Medfusion itself, build the client from your own
 * configuration instead (see the comment below) and drop the sandbox.
 */
import { MedfusionClient, type PatientInvite } from 'medfusion-patient-sdk';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';

async function main(): Promise<void> {
  const sandbox = await startSandbox({ processingDelayMs: 500 });
  // Production: new MedfusionClient({ practiceId: process.env.MEDFUSION_PRACTICE_ID!, environment: 'production',
  //   credentials: { clientId, clientSecret, username, password } })
  const client = new MedfusionClient({
    baseUrl: sandbox.url,
    practiceId: sandbox.practiceId,
    credentials: sandbox.credentials,
  });
  try {
    const invite: PatientInvite = {
      practicePatientId: 'MRN-000123', // your own id for the patient: the key Medfusion links to
      demographics: {
        name: { firstName: 'Ada', lastName: 'Lovelace' },
        dateOfBirth: '1985-12-10', // a calendar date, never a Date: it must not move with time zones
        gender: 'FEMALE',
        email: 'ada.lovelace@example.test', // the invitation goes here
        mobilePhone: '9195550123',
      },
    };

    // 202 Accepted: stored, not yet processed. Keep job.batchId with the patient until processing ends.
    const job = await client.patients.invitePatient(invite);
    console.log(`accepted as job ${job.dataJobId} (batch ${job.batchId})`);

    const status = await client.batches.waitForCompletion(job, {
      minDelayMs: 250,
      onProgress: (s) => console.log(`  processing: ${s.state}`),
    });
    const message = status.messages.find((m) => m.practiceResourceId !== undefined);
    console.log(
      `invitation ${status.state === 'COMPLETED' ? 'sent' : `failed: ${message?.error?.description ?? status.state}`}`,
    );
  } finally {
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
