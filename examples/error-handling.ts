/**
 * What can go wrong and what to do about it: invalid input, rate limits and outages (retried for
 * you), and a POST whose fate is unknown (never re-sent for you: a repeat could e-mail a patient twice).
 *
 *   npx tsx examples/error-handling.ts
 */
import {
  APIError,
  MedfusionClient,
  RateLimitError,
  SubmissionOutcomeUnknownError,
  ValidationError,
  type PatientInvite,
} from 'medfusion-patient-sdk';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';

const invite = (id: string, email = `${id.toLowerCase()}@example.test`): PatientInvite => ({
  practicePatientId: id,
  demographics: {
    name: { firstName: 'Grace', lastName: 'Hopper' },
    dateOfBirth: '1906-12-09',
    gender: 'FEMALE',
    email,
  },
});

async function main(): Promise<void> {
  const sandbox = await startSandbox();
  const client = new MedfusionClient({
    baseUrl: sandbox.url,
    practiceId: sandbox.practiceId,
    credentials: sandbox.credentials,
    maxRetries: 3,
    // Any pino/winston-like logger works; the SDK logs method, path, status and timing, never bodies.
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (m, f) => console.log(`  [warn] ${m} ${JSON.stringify(f)}`),
      error: console.error,
    },
  });
  try {
    // 1. Bad input never leaves the process; the error names paths and rules, never values.
    try {
      await client.patients.invitePatient(invite('MRN-1', 'not-an-address'));
    } catch (error) {
      if (error instanceof ValidationError)
        console.log(`1. rejected before sending: ${JSON.stringify(error.issues)}`);
    }

    // 2. 429 and 503 are retried with backoff (a POST only when the server certainly did not act).
    sandbox.injectFaults({ count429: 1, count503: 1, retryAfterSeconds: 0 });
    const job = await client.patients.invitePatient(invite('MRN-2'));
    console.log(`2. accepted after retries: job ${job.dataJobId}`);

    // 3. The connection drops after the server stored the batch: the SDK does not guess.
    sandbox.injectFaults({ countReset: 1 });
    try {
      await client.patients.invitePatient(invite('MRN-3'));
    } catch (error) {
      if (!(error instanceof SubmissionOutcomeUnknownError)) throw error;
      console.log(`3. outcome unknown for batch ${error.batchId}: look before resubmitting`);
      // Medfusion processes a repeated BatchId again: resubmitting a batch that did arrive e-mails
      // its patients a second invitation. Check first (in production: your records, Medfusion's
      // support, the feed once the patient registers); the sandbox can tell us directly.
      const arrived = sandbox.emulator.invitationsOf('MRN-3') > 0;
      if (!arrived)
        await client.patients.invitePatient(invite('MRN-3'), { batchId: error.batchId });
      console.log(
        `   it ${arrived ? 'arrived: not resubmitted' : 'never arrived: resubmitted'}; invitations sent to MRN-3: ${sandbox.emulator.invitationsOf('MRN-3')}`,
      );
    }

    // 4. Everything else is an APIError subclass with status and the server's request id.
    sandbox.injectFaults({ count429: 5, retryAfterSeconds: 0 });
    try {
      await client.patients.getUpdatedPatients({}, { maxRetries: 1 });
    } catch (error) {
      if (error instanceof RateLimitError)
        console.log(`4. still rate limited after retries: status ${error.status}`);
      else if (error instanceof APIError) console.log(`4. API error ${error.status}`);
      else throw error;
    }
  } finally {
    sandbox.clearFaults();
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
