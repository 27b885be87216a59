/**
 * The invitation ledger in invitePatients, file-backed and PostgreSQL-backed, against the sandbox:
 * reruns skip accepted batches, send what was never attempted, report unknown outcomes and resend
 * them only when asked, with the same BatchId.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import {
  FileInvitationLedger,
  MedfusionClient,
  PartialSubmissionError,
  StateStoreError,
  SubmissionOutcomeUnknownError,
  type InvitationLedger,
  type PatientInvite,
} from 'medfusion-patient-sdk';
import { PostgresInvitationLedger } from 'medfusion-patient-sdk/postgres';
import { sampleInvite, startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { fullInvite } from './helpers/fixtures';

// Loopback (the sandbox) passes through; a test may put a handler in front of it.
const server = setupServer(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'ledger-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

let sb: Sandbox;
let client: MedfusionClient;
beforeEach(async () => {
  sb = await startSandbox();
  client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
});
afterEach(() => sb.close());

const invites = (n: number, from = 0): PatientInvite[] =>
  Array.from({ length: n }, (_, i) => sampleInvite(from + i, 7));

let files = 0;
const ledgers: [string, () => InvitationLedger][] = [
  ['file', () => new FileInvitationLedger(join(dir, `ledger-${++files}.jsonl`))],
  ['PostgreSQL', () => new PostgresInvitationLedger({ pool: db.pool, schema: 'medfusion' })],
];

/** A fresh PostgreSQL ledger per test: the table is shared, so start it empty. */
beforeEach(() => db.pool.query('TRUNCATE medfusion.invitation_batches'));

describe.each(ledgers)('%s ledger', (_name, makeLedger) => {
  it('records each batch; a rerun of the same input sends nothing and returns the same jobs', async () => {
    const ledger = makeLedger();
    const input = invites(250);
    const first = await client.patients.invitePatients(input, { ledger, batchSize: 100 });
    expect(first).toHaveLength(3);
    expect(sb.stats.batchesReceived).toBe(3);
    const again = await client.patients.invitePatients(input, { ledger, batchSize: 100 });
    expect(sb.stats.batchesReceived).toBe(3);
    expect(again.map((s) => s.dataJobId)).toEqual(first.map((s) => s.dataJobId));
    expect(again.map((s) => s.batchId)).toEqual(first.map((s) => s.batchId));
    expect(again.flatMap((s) => s.practicePatientIds)).toEqual(
      input.map((i) => i.practicePatientId),
    );
  });

  it('after a crash mid-run: skips accepted, sends the never attempted, reports the unknown without resending', async () => {
    const ledger = makeLedger();
    const input = invites(300);
    // A first run that "crashed": batch 0 accepted, batch 1 claimed (POST started, no outcome), batch 2 never attempted.
    await client.patients.invitePatients(input.slice(0, 100), { ledger, batchSize: 100 });
    const claimed = await simulateClaim(ledger, client, input.slice(100, 200), sb);
    const received = sb.stats.batchesReceived;

    const error = await client.patients
      .invitePatients(input, { ledger, batchSize: 100 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PartialSubmissionError);
    const partial = error as PartialSubmissionError;
    expect(partial.submitted.map((s) => s.practicePatientIds[0])).toEqual([
      input[0]?.practicePatientId,
      input[200]?.practicePatientId,
    ]);
    expect(partial.failed).toHaveLength(1);
    expect(partial.failed[0]?.batchId).toBe(claimed);
    expect(partial.failed[0]?.error).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect(partial.failed[0]?.error).toMatchObject({ batchId: claimed });
    expect(partial.notSent).toEqual([]);
    expect(sb.stats.batchesReceived).toBe(received + 1); // only batch 2
    expect(sb.emulator.postsOf(input[150]?.practicePatientId as string)).toBe(0);

    // Asked to, it resends the unknown batch with its original BatchId.
    const done = await client.patients.invitePatients(input, {
      ledger,
      batchSize: 100,
      resendUnknown: true,
    });
    expect(done).toHaveLength(3);
    expect(done[1]?.batchId).toBe(claimed);
    expect(sb.emulator.postsOf(input[150]?.practicePatientId as string)).toBe(1);
    expect(sb.stats.repeatPatientPosts).toBe(0);
    expect(input.every((i) => sb.emulator.invitationsOf(i.practicePatientId) === 1)).toBe(true);
  });

  it('a batch refused outright (400) is recorded as rejected and sent again by the rerun', async () => {
    const ledger = makeLedger();
    const input = invites(3);
    let refused = 0;
    server.use(
      http.post(
        `${sb.url}/v2/practice/:practice/patient`,
        () => {
          refused++;
          return new HttpResponse(
            '<ProcessingResponse><ProcessingStatus>Failure</ProcessingStatus><ResponseMessage>DC_CORE_033-Error</ResponseMessage></ProcessingResponse>',
            { status: 400, headers: { 'content-type': 'application/xml' } },
          );
        },
        { once: true },
      ),
    );
    const error = await client.patients.invitePatients(input, { ledger }).catch((e) => e);
    expect((error as PartialSubmissionError).failed[0]?.error).toMatchObject({ status: 400 });
    expect(refused).toBe(1);
    const ok = await client.patients.invitePatients(input, { ledger });
    expect(ok).toHaveLength(1);
    expect(sb.stats.batchesReceived).toBe(1);
    expect(sb.emulator.invitationsOf(input[0]?.practicePatientId as string)).toBe(1);
  });
});

/** Claims a batch in the ledger exactly as invitePatients does before its POST, then "crashes". */
async function simulateClaim(
  ledger: InvitationLedger,
  c: MedfusionClient,
  batch: PatientInvite[],
  s: Sandbox,
): Promise<string> {
  // Find the hash invitePatients will use: run it against a ledger copy that refuses to claim.
  let seen: { contentHash: string } | undefined;
  const spy: InvitationLedger = {
    find: async () => new Map(),
    claim: async (b) => {
      seen = b;
      return false;
    },
    accept: async () => undefined,
    reject: async () => undefined,
  };
  await c.patients.invitePatients(batch, { ledger: spy, batchSize: 100 }).catch(() => undefined);
  const batchId = 'batch-claimed-before-crash';
  expect(
    await ledger.claim(
      {
        contentHash: seen?.contentHash as string,
        practiceId: s.practiceId,
        batchId,
        practicePatientIds: batch.map((b) => b.practicePatientId),
      },
      { resend: false },
    ),
  ).toBe(true);
  return batchId;
}

describe('PostgreSQL ledger across workers', () => {
  it('two runs of the same input at once post each batch once', async () => {
    const input = invites(400);
    const a = new PostgresInvitationLedger({ pool: db.pool });
    const b = new PostgresInvitationLedger({ pool: db.pool });
    const other = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
    });
    sb.injectFaults({ latencyMs: 20 });
    const results = await Promise.allSettled([
      client.patients.invitePatients(input, { ledger: a, batchSize: 50, concurrency: 2 }),
      other.patients.invitePatients(input, { ledger: b, batchSize: 50, concurrency: 2 }),
    ]);
    expect(sb.stats.repeatPatientPosts).toBe(0);
    expect(input.every((i) => sb.emulator.postsOf(i.practicePatientId) <= 1)).toBe(true);
    // Whatever a run found claimed by the other, it reported as unknown, never sent twice.
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(PartialSubmissionError);
        for (const f of (r.reason as PartialSubmissionError).failed)
          expect(f.error).toBeInstanceOf(SubmissionOutcomeUnknownError);
      }
    }
    // A later run completes what both left (each stops starting batches after a collision).
    await client.patients.invitePatients(input, { ledger: a, batchSize: 50 });
    expect(sb.stats.batchesReceived).toBe(8);
    expect(input.every((i) => sb.emulator.postsOf(i.practicePatientId) === 1)).toBe(true);
    const rows = await a.list(sb.practiceId, 'accepted');
    expect(rows).toHaveLength(8);
  });
});

describe('FileInvitationLedger', () => {
  it('ignores a line torn by a crash and keeps appending on a new line', async () => {
    const path = join(dir, 'torn.jsonl');
    const first = new FileInvitationLedger(path);
    await first.claim(
      { contentHash: 'h1', practiceId: 'p', batchId: 'b1', practicePatientIds: ['A'] },
      { resend: false },
    );
    await first.accept('h1', { dataJobId: 'j1', statusUrl: 'u' });
    appendFileSync(path, '{"contentHash":"h2","state":"send'); // torn
    const reopened = new FileInvitationLedger(path);
    expect((await reopened.find(['h1', 'h2'])).get('h1')?.state).toBe('accepted');
    expect((await reopened.find(['h2'])).size).toBe(0);
    await reopened.claim(
      { contentHash: 'h3', practiceId: 'p', practicePatientIds: ['B'] },
      { resend: false },
    );
    const third = new FileInvitationLedger(path);
    expect((await third.find(['h3'])).get('h3')).toMatchObject({ state: 'sending', attempts: 1 });
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('a missing directory is a StateStoreError before anything is sent', async () => {
    const ledger = new FileInvitationLedger(join(dir, 'missing', 'ledger.jsonl'));
    const before = sb.stats.requests;
    const error = await client.patients.invitePatients(invites(2), { ledger }).catch((e) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ operation: 'ledger.open', cause: { code: 'ENOENT' } });
    expect(sb.stats.requests).toBe(before);
  });

  it('keeps only practice patient ids of the patients, no other patient value', async () => {
    const path = join(dir, 'phi.jsonl');
    writeFileSync(path, '');
    const input = [fullInvite(), ...invites(4)];
    await client.patients.invitePatients(input, { ledger: new FileInvitationLedger(path) });
    const text = readFileSync(path, 'utf8');
    for (const i of input) {
      expect(text).toContain(i.practicePatientId);
      expect(text).not.toContain(i.demographics.name.lastName);
      expect(text).not.toContain(i.demographics.email as string);
      expect(text).not.toContain(i.demographics.dateOfBirth);
    }
    // The planted canaries of the PHI audit: name, SSN, phone, e-mail.
    expect(text).not.toMatch(/Zebulon|Quixote|987654329|9195550111|zebulon\.canary|ACCT-CANARY/i);
  });
});

describe('an unknown outcome stays unknown', () => {
  it('a POST that times out is left "sending" and reported by the rerun, not resent', async () => {
    const ledger = new FileInvitationLedger(join(dir, 'timeout.jsonl'));
    const posts: string[] = [];
    server.use(
      http.post(`${sb.url}/v2/practice/:practice/patient`, async ({ request }) => {
        posts.push(await request.text());
        return HttpResponse.error();
      }),
    );
    const first = await client.patients.invitePatients(invites(3), { ledger }).catch((e) => e);
    expect((first as PartialSubmissionError).failed[0]?.error).toBeInstanceOf(
      SubmissionOutcomeUnknownError,
    );
    const rerun = await client.patients.invitePatients(invites(3), { ledger }).catch((e) => e);
    expect((rerun as PartialSubmissionError).failed[0]?.error).toBeInstanceOf(
      SubmissionOutcomeUnknownError,
    );
    expect(posts).toHaveLength(1);
  });
});
