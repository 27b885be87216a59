/**
 * Fault runs against the sandbox's fault injection: 429, 503, resets, latency and token expiry,
 * while inviting and while syncing. Every invite ends in a BatchSubmission or in a
 * SubmissionOutcomeUnknownError naming it; no batch reaches the server twice unless the caller
 * resubmits it; the caller resubmits only what did not arrive, so nobody is invited twice; the sync
 * still delivers every patient.
 */
import {
  MedfusionClient,
  MemoryCheckpointStore,
  PartialSubmissionError,
  SubmissionOutcomeUnknownError,
  type BatchSubmission,
  type PatientInvite,
} from 'medfusion-patient-sdk';
import { sampleInvite, startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { recordFigures } from './helpers/figures';

const FAULTS = {
  rate429: 0.1,
  rate503: 0.1,
  resetRate: 0.08,
  expiryRate: 0.05,
  latencyMs: 2,
  retryAfterSeconds: 0,
};
let sb: Sandbox;
let client: MedfusionClient;

beforeAll(async () => {
  sb = await startSandbox({ seed: 7, faults: FAULTS });
  client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
    maxRetries: 8,
    retryBackoff: { initialDelayMs: 1, maxDelayMs: 10 },
  });
});
afterAll(() => sb.close());

it('inviting under faults: every batch accounted for, no double invitation', async () => {
  const accepted: BatchSubmission[] = [];
  const unknown: { error: SubmissionOutcomeUnknownError; invites: PatientInvite[] }[] = [];
  for (let b = 0; b < 60; b++) {
    const invites = Array.from({ length: b % 2 === 0 ? 1 : 10 }, (_, i) =>
      sampleInvite(b * 10 + i, 99),
    );
    try {
      accepted.push(...(await client.patients.invitePatients(invites, { batchSize: 10 })));
    } catch (error) {
      const cause = error instanceof PartialSubmissionError ? error.failed[0]?.error : error;
      if (!(cause instanceof SubmissionOutcomeUnknownError)) throw error;
      expect(cause.batchId).toEqual(expect.any(String));
      expect(cause.practicePatientIds).toEqual(invites.map((i) => i.practicePatientId));
      unknown.push({ error: cause, invites });
    }
  }
  expect(unknown.length).toBeGreaterThan(0); // the run did meet ambiguous failures
  expect(sb.stats.duplicateBatches).toBe(0); // the SDK never re-posted a batch on its own

  // The caller settles each unknown outcome: Medfusion processes a repeated BatchId again, so a
  // batch that did arrive is not resubmitted (the sandbox plays the check a caller makes by other
  // means); one that did not is resubmitted with its BatchId, under the same faults.
  let arrived = 0;
  for (const { error, invites } of unknown) {
    if (invites.some((i) => sb.emulator.postsOf(i.practicePatientId) > 0)) {
      arrived++;
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const [again] = await client.patients.invitePatients(invites, { batchId: error.batchId });
        expect(again?.batchId).toBe(error.batchId);
        break;
      } catch (e) {
        if (attempt > 10) throw e;
      }
    }
  }
  const invited = [...accepted, ...unknown.map((u) => u.error)].flatMap(
    (s) => s.practicePatientIds,
  );
  const doubles = invited.filter((id) => sb.emulator.invitationsOf(id) !== 1);
  expect(doubles).toEqual([]);
  recordFigures('invite-faults', {
    batches: accepted.length + unknown.length,
    accepted: accepted.length,
    outcomeUnknown: unknown.length,
    unknownThatHadArrived: arrived,
    resubmittedByCaller: unknown.length - arrived,
    faultsInjected: sb.stats.faultsInjected,
    duplicatesPostedBySdk: 0,
    doubleInvitations: doubles.length,
  });
}, 60_000);

it('syncing under faults delivers every registered patient', async () => {
  const ids = sb.seedRegisteredPatients(3000);
  const faultsBefore = sb.stats.faultsInjected;
  const checkpoint = new MemoryCheckpointStore();
  const delivered = new Set<string>();
  let runs = 0;
  // A scheduled job: run again after a failure, from the checkpoint. Bounded.
  for (; runs < 50; runs++) {
    try {
      await client.patients.sync({
        checkpoint,
        max: 50,
        onPage: async (page) =>
          void page.patients.forEach((p) => delivered.add(p.practicePatientId)),
      });
      break;
    } catch {
      // the next run resumes from the checkpoint
    }
  }
  expect(ids.filter((id) => !delivered.has(id))).toEqual([]);
  recordFigures('sync-faults', {
    patients: ids.length,
    runs: runs + 1,
    faultsInjected: sb.stats.faultsInjected - faultsBefore,
    patientsLost: ids.filter((id) => !delivered.has(id)).length,
  });
}, 120_000);
