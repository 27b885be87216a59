/**
 * Invite many patients: every invite is validated first, then sent in batches of up to 100, two at
 * a time; then every batch is followed to the end and per-patient errors are reported.
 *
 *   npx tsx examples/invite-batch-and-wait.ts
 */
import { MedfusionClient, PartialSubmissionError, ValidationError } from 'medfusion-patient-sdk';
import { sampleInvite, startSandbox } from 'medfusion-patient-sdk/sandbox';

async function main(): Promise<void> {
  const sandbox = await startSandbox({ processingDelayMs: 300 });
  const client = new MedfusionClient({
    baseUrl: sandbox.url,
    practiceId: sandbox.practiceId,
    credentials: sandbox.credentials,
  });
  try {
    const invites = Array.from({ length: 250 }, (_, i) => sampleInvite(i)); // from your practice system

    let jobs;
    try {
      jobs = await client.patients.invitePatients(invites, {
        batchSize: 100,
        concurrency: 2,
        onProgress: (p) =>
          console.log(`  ${p.patientsSubmitted}/${p.patientsTotal} patients accepted`),
      });
    } catch (error) {
      if (error instanceof ValidationError) {
        // Nothing was sent. Each issue names the invite and the field: invites[3].demographics.email (email)
        for (const issue of error.issues) console.error(`  fix ${issue.path}: ${issue.rule}`);
      } else if (error instanceof PartialSubmissionError) {
        // Accepted batches must not be sent again; failed ones need checking; notSent can be retried.
        console.error(
          `  ${error.submitted.length} accepted, ${error.failed.length} failed, ${error.notSent.length} not sent`,
        );
      }
      throw error;
    }

    const statuses = await Promise.all(
      jobs.map((job) => client.batches.waitForCompletion(job, { minDelayMs: 200 })),
    );
    const perPatient = statuses.flatMap((s) =>
      s.messages.filter((m) => m.practiceResourceId !== undefined),
    );
    const errors = perPatient.filter((m) => m.state === 'ERROR');
    console.log(
      `${jobs.length} batches, ${perPatient.length - errors.length} invitations sent, ${errors.length} errors`,
    );
    for (const m of errors)
      console.log(
        `  ${m.practiceResourceId}: ${m.error?.code ?? ''} ${m.error?.description ?? ''}`,
      );
  } finally {
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
