/**
 * The invitation ledger in invitePatients, file-backed and PostgreSQL-backed, against the sandbox
 * (which, like the real server, processes a repeated BatchId again). Its unit is the patient: a
 * rerun in any order, grown, or cut into other batches never sends an accepted patient again; a
 * patient changed after acceptance is reported; unknown outcomes are reported, and resent only when
 * asked, one worker per batch and round.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  inviteRecordHash,
  type InvitationLedger,
  type PatientInvite,
} from 'medfusion-patient-sdk';
import { PostgresInvitationLedger, migrate } from 'medfusion-patient-sdk/postgres';
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
// One process per file ledger: its resend guard is off here (a resend round may start at once);
// the PostgreSQL one keeps its default (10 min), and the tests age the batches they "crash".
const ledgers: [string, () => InvitationLedger][] = [
  [
    'file',
    () => new FileInvitationLedger(join(dir, `ledger-${++files}.jsonl`), { resendGuardMs: 0 }),
  ],
  ['PostgreSQL', () => new PostgresInvitationLedger({ pool: db.pool, schema: 'medfusion' })],
];

/** A fresh PostgreSQL ledger per test: the tables are shared, so start them empty. */
beforeEach(() =>
  db.pool.query('TRUNCATE medfusion.invitation_batches, medfusion.invitation_patients'),
);

/** POSTs of each patient the sandbox received, and invitation e-mails sent twice. */
const posts = (input: PatientInvite[]): number[] =>
  input.map((i) => sb.emulator.postsOf(i.practicePatientId));

/** Records `batch` as claimed, as invitePatients does before its POST, and "crashes" before it. */
async function claimThenCrash(
  ledger: InvitationLedger,
  batch: PatientInvite[],
  batchId: string,
): Promise<void> {
  const claimed = await ledger.claim(
    {
      batchKey: `crashed-${batchId}`,
      practiceId: sb.practiceId,
      batchId,
      patients: batch.map((i) => ({
        practicePatientId: i.practicePatientId,
        recordHash: inviteRecordHash(i),
      })),
    },
    { resendChanged: false },
  );
  expect(claimed).toEqual(batch.map((i) => i.practicePatientId));
  // The crash was an hour ago: past the PostgreSQL ledger's resend guard.
  await db.pool.query(
    `UPDATE medfusion.invitation_batches SET updated_at = now() - interval '1 hour' WHERE batch_key = $1`,
    [`crashed-${batchId}`],
  );
}

describe.each(ledgers)('%s ledger', (_name, makeLedger) => {
  it('a rerun of the same input sends nothing and returns the same jobs, with a report', async () => {
    const ledger = makeLedger();
    const input = invites(250);
    const first = await client.patients.invitePatients(input, { ledger, batchSize: 100 });
    expect(first).toHaveLength(3);
    expect(first.report).toMatchObject({ patients: 250, sent: 250, alreadyAccepted: 0 });
    expect(sb.stats.batchesReceived).toBe(3);
    const again = await client.patients.invitePatients(input, { ledger, batchSize: 100 });
    expect(sb.stats.batchesReceived).toBe(3);
    expect(again.map((s) => s.dataJobId).sort()).toEqual(first.map((s) => s.dataJobId).sort());
    expect(again.flatMap((s) => s.practicePatientIds).sort()).toEqual(
      input.map((i) => i.practicePatientId).sort(),
    );
    expect(again.report).toEqual({
      patients: 250,
      sent: 0,
      alreadyAccepted: 250,
      changed: [],
      unknownResent: 0,
    });
    expect(JSON.stringify(again)).not.toContain('report'); // not enumerable
  });

  it.each([
    ['reversed', (l: PatientInvite[]) => [...l].reverse(), 100],
    ['cut into other batches', (l: PatientInvite[]) => l, 7],
    ['shuffled and cut again', (l: PatientInvite[]) => [...l.slice(17), ...l.slice(0, 17)], 13],
  ])('the list %s: 0 accepted patients POSTed again', async (_shape, reshape, batchSize) => {
    const ledger = makeLedger();
    const input = invites(30);
    await client.patients.invitePatients(input, { ledger, batchSize: 10 });
    const before = sb.stats.batchesReceived;
    const rerun = await client.patients.invitePatients(reshape(input), { ledger, batchSize });
    expect(sb.stats.batchesReceived).toBe(before);
    expect(posts(input).every((n) => n === 1)).toBe(true);
    expect(rerun.report).toMatchObject({ sent: 0, alreadyAccepted: 30, changed: [] });
    expect(rerun.flatMap((s) => s.practicePatientIds)).toHaveLength(30);
  });

  it('the list grown at the front: only the new patient is sent', async () => {
    const ledger = makeLedger();
    const input = invites(30);
    await client.patients.invitePatients(input, { ledger, batchSize: 10 });
    const grown = [sampleInvite(999, 7), ...input];
    const rerun = await client.patients.invitePatients(grown, { ledger, batchSize: 10 });
    expect(posts(input).every((n) => n === 1)).toBe(true);
    expect(sb.emulator.postsOf(grown[0]?.practicePatientId as string)).toBe(1);
    expect(rerun.report).toMatchObject({ sent: 1, alreadyAccepted: 30 });
    expect(sb.stats.reinvitations).toBe(0);
  });

  it('one e-mail corrected after acceptance: reported per patient, not sent; sent only with resendChanged', async () => {
    const ledger = makeLedger();
    const input = invites(30);
    const first = await client.patients.invitePatients(input, { ledger, batchSize: 10 });
    const target = input[12] as PatientInvite;
    const corrected = input.map((i) =>
      i === target
        ? { ...i, demographics: { ...i.demographics, email: 'corrected@example.test' } }
        : i,
    );
    const rerun = await client.patients.invitePatients(corrected, { ledger, batchSize: 10 });
    expect(posts(input).every((n) => n === 1)).toBe(true);
    const acceptedIn = first.find((s) => s.practicePatientIds.includes(target.practicePatientId));
    expect(rerun.report.changed).toEqual([
      {
        practicePatientId: target.practicePatientId,
        acceptedBatchId: acceptedIn?.batchId,
        acceptedDataJobId: acceptedIn?.dataJobId,
        resent: false,
      },
    ]);
    expect(rerun.report).toMatchObject({ sent: 0, alreadyAccepted: 29 });
    // Explicitly: the changed record goes again (a second invitation e-mail), and only it.
    const resent = await client.patients.invitePatients(corrected, {
      ledger,
      batchSize: 10,
      resendChanged: true,
    });
    expect(resent.report).toMatchObject({ sent: 1, alreadyAccepted: 29 });
    expect(resent.report.changed[0]).toMatchObject({ resent: true });
    expect(sb.emulator.postsOf(target.practicePatientId)).toBe(2);
    expect(posts(input).filter((n) => n > 1)).toHaveLength(1);
    // Recorded with its new hash: the next rerun finds it unchanged.
    const after = await client.patients.invitePatients(corrected, { ledger, batchSize: 10 });
    expect(after.report).toMatchObject({ sent: 0, alreadyAccepted: 30, changed: [] });
  });

  it('after a crash: accepted skipped, never-attempted sent, unknown reported per patient, resent only when asked', async () => {
    const ledger = makeLedger();
    const input = invites(300);
    await client.patients.invitePatients(input.slice(0, 100), { ledger, batchSize: 100 });
    await claimThenCrash(ledger, input.slice(100, 200), 'claimed-before-crash');
    const received = sb.stats.batchesReceived;

    const error = await client.patients
      .invitePatients(input, { ledger, batchSize: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialSubmissionError);
    const partial = error as PartialSubmissionError;
    expect(partial.failed).toHaveLength(1);
    expect(partial.failed[0]).toMatchObject({ batchId: 'claimed-before-crash' });
    expect(partial.failed[0]?.practicePatientIds).toEqual(
      input.slice(100, 200).map((i) => i.practicePatientId),
    );
    expect(partial.failed[0]?.error).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect(partial.notSent).toEqual([]);
    expect(partial.report).toMatchObject({ sent: 100, alreadyAccepted: 100 });
    expect(sb.stats.batchesReceived).toBe(received + 1); // the never-attempted 100 only
    expect(sb.emulator.postsOf(input[150]?.practicePatientId as string)).toBe(0);

    // Asked to, it resends the unknown patients in their batch's round, with its BatchId.
    const done = await client.patients.invitePatients(input, {
      ledger,
      batchSize: 100,
      resendUnknown: true,
    });
    expect(done.report).toMatchObject({ unknownResent: 100, alreadyAccepted: 200 });
    expect(done.find((s) => s.batchId === 'claimed-before-crash')?.practicePatientIds).toHaveLength(
      100,
    );
    expect(posts(input).every((n) => n === 1)).toBe(true);
    expect(sb.stats.reinvitations).toBe(0);
  });

  it('claim takes only patients it may send: new, rejected, or changed since accepted when asked', async () => {
    const ledger = makeLedger();
    const batch = (key: string, ids: string[], hash = 'h1') => ({
      batchKey: key,
      practiceId: 'p-claim',
      patients: ids.map((practicePatientId) => ({ practicePatientId, recordHash: hash })),
    });
    const no = { resendChanged: false };
    expect(await ledger.claim(batch('k1', ['A', 'B', 'C']), no)).toEqual(['A', 'B', 'C']);
    await ledger.accept('k1', ['A'], { dataJobId: 'j', statusUrl: 'u' });
    await ledger.reject('k1', ['B']);
    // A accepted, C sending (someone's POST): neither; B rejected: yes; D new: yes.
    expect(await ledger.claim(batch('k2', ['A', 'B', 'C', 'D']), no)).toEqual(['B', 'D']);
    expect(await ledger.claim(batch('k3', ['A'], 'h1'), { resendChanged: true })).toEqual([]);
    expect(await ledger.claim(batch('k4', ['A'], 'h2'), { resendChanged: true })).toEqual(['A']);
    expect(await ledger.claim(batch('k5', ['C']), { resendChanged: true })).toEqual([]);
    expect((await ledger.batches(['k3', 'k5'])).size).toBe(0); // nothing claimed: nothing recorded
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

describe('PostgreSQL ledger across workers', () => {
  const other = (): MedfusionClient =>
    new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
    });

  it('two runs of the same input at once post each patient once', async () => {
    const input = invites(400);
    const a = new PostgresInvitationLedger({ pool: db.pool });
    const b = new PostgresInvitationLedger({ pool: db.pool });
    sb.injectFaults({ latencyMs: 20 });
    const results = await Promise.allSettled([
      client.patients.invitePatients(input, { ledger: a, batchSize: 50, concurrency: 2 }),
      other().patients.invitePatients(input, { ledger: b, batchSize: 50, concurrency: 2 }),
    ]);
    expect(sb.stats.repeatPatientPosts).toBe(0);
    expect(posts(input).every((n) => n <= 1)).toBe(true);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(PartialSubmissionError);
        for (const f of (r.reason as PartialSubmissionError).failed)
          expect(f.error).toBeInstanceOf(SubmissionOutcomeUnknownError);
      }
    }
    // Whatever one found claimed by the other, the other sent: every patient once, by a rerun's count.
    const rerun = await client.patients.invitePatients(input, { ledger: a, batchSize: 50 });
    expect(rerun.report).toMatchObject({ sent: 0, alreadyAccepted: 400 });
    expect(posts(input).every((n) => n === 1)).toBe(true);
  });

  it('two workers resending the same unknown batches at once: each batch is POSTed once more in all', async () => {
    const input = invites(50);
    const ledger = new PostgresInvitationLedger({ pool: db.pool });
    for (let i = 0; i < 5; i++)
      await claimThenCrash(ledger, input.slice(i * 10, i * 10 + 10), `unknown-${i}`);
    const received = new Map<string, number>();
    server.use(
      http.post(`${sb.url}/v2/practice/:practice/patient`, async ({ request }) => {
        const id = /<BatchId>([^<]+)<\/BatchId>/.exec(await request.clone().text())?.[1] ?? '?';
        received.set(id, (received.get(id) ?? 0) + 1);
        return passthrough();
      }),
    );
    sb.injectFaults({ latencyMs: 30 });
    const runs = await Promise.allSettled(
      [client, other(), other()].map((c) =>
        c.patients.invitePatients(input, {
          ledger: new PostgresInvitationLedger({ pool: db.pool }),
          batchSize: 10,
          concurrency: 3,
          resendUnknown: true,
        }),
      ),
    );
    expect([...received.entries()].sort()).toEqual([0, 1, 2, 3, 4].map((i) => [`unknown-${i}`, 1]));
    expect(posts(input).every((n) => n === 1)).toBe(true);
    // The losers of a round report its patients as being resent by another worker.
    for (const r of runs)
      if (r.status === 'rejected')
        expect(
          (r.reason as PartialSubmissionError).failed.every(
            (f) => f.error instanceof SubmissionOutcomeUnknownError,
          ),
        ).toBe(true);
  });
});

describe('the resend guard', () => {
  it.each([
    ['PostgreSQL', () => new PostgresInvitationLedger({ pool: db.pool })],
    ['file', () => new FileInvitationLedger(join(dir, `guard-${++files}.jsonl`))],
  ])(
    '%s: no resend round while the latest POST may still be in flight (resendGuardMs)',
    async (_name, makeLedger) => {
      const ledger = makeLedger();
      const input = invites(5);
      // Another worker claimed the batch a moment ago and is still POSTing it.
      const claimed = await ledger.claim(
        {
          batchKey: 'in-flight',
          practiceId: sb.practiceId,
          batchId: 'IN-FLIGHT',
          patients: input.map((i) => ({
            practicePatientId: i.practicePatientId,
            recordHash: inviteRecordHash(i),
          })),
        },
        { resendChanged: false },
      );
      expect(claimed).toHaveLength(5);
      const error = (await client.patients
        .invitePatients(input, { ledger, resendUnknown: true })
        .catch((e: unknown) => e)) as PartialSubmissionError;
      expect(error.failed).toHaveLength(1);
      expect(error.failed[0]).toMatchObject({ batchId: 'IN-FLIGHT' });
      expect((error.failed[0]?.error as SubmissionOutcomeUnknownError).cause.message).toMatch(
        /resendGuardMs/,
      );
      expect(sb.stats.batchesReceived).toBe(0);
    },
  );

  it('refuses a guard out of range', () => {
    expect(() => new PostgresInvitationLedger({ pool: db.pool, resendGuardMs: -1 })).toThrow(
      /resendGuardMs/,
    );
    expect(() => new FileInvitationLedger('x', { resendGuardMs: 2 ** 31 })).toThrow(
      /resendGuardMs/,
    );
  });
});

describe('upgrade in place', () => {
  it('migrate() brings a populated ledger of schema version 1 to patients, and the next run honours it', async () => {
    const legacy = 'legacy_ledger';
    await db.pool.query(`CREATE SCHEMA ${legacy};
      CREATE TABLE ${legacy}.schema_version (version integer NOT NULL);
      INSERT INTO ${legacy}.schema_version VALUES (1);
      CREATE TABLE ${legacy}.checkpoints (
        practice_id text NOT NULL, environment text NOT NULL, api_version text NOT NULL, cursor text,
        fence bigint NOT NULL DEFAULT 0, holder text, lease_expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (practice_id, environment, api_version));
      CREATE TABLE ${legacy}.invitation_batches (
        content_hash text PRIMARY KEY, practice_id text NOT NULL, batch_id text,
        practice_patient_ids text[] NOT NULL,
        state text NOT NULL CHECK (state IN ('sending', 'accepted', 'rejected')),
        data_job_id text, status_url text, message_id text, attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());`);
    const [a, b, c, d, e, f] = invites(6);
    const id = (i: PatientInvite | undefined): string => i?.practicePatientId as string;
    // Rows as version 1 wrote them: E is in an accepted batch and in a later one of unknown outcome.
    await db.pool.query(
      `INSERT INTO ${legacy}.invitation_batches
         (content_hash, practice_id, batch_id, practice_patient_ids, state, data_job_id, status_url, attempts, updated_at)
       VALUES ('h-acc', $1, 'B-ACC', $2, 'accepted', 'JOB-ACC', 'https://x/JOB-ACC', 1, now() - interval '2 hours'),
              ('h-unk', $1, 'B-UNK', $3, 'sending', NULL, NULL, 1, now() - interval '1 hour'),
              ('h-rej', $1, 'B-REJ', $4, 'rejected', NULL, NULL, 1, now())`,
      [sb.practiceId, [id(a), id(b), id(e)], [id(c), id(e)], [id(d)]],
    );
    await migrate(db.pool, { schema: legacy });
    const rows = await db.pool.query<{
      practice_patient_id: string;
      state: string;
      batch_key: string;
    }>(
      `SELECT practice_patient_id, state, batch_key FROM ${legacy}.invitation_patients ORDER BY 1`,
    );
    expect(rows.rows).toEqual(
      [
        { practice_patient_id: id(a), state: 'accepted', batch_key: 'h-acc' },
        { practice_patient_id: id(b), state: 'accepted', batch_key: 'h-acc' },
        { practice_patient_id: id(c), state: 'sending', batch_key: 'h-unk' },
        { practice_patient_id: id(d), state: 'rejected', batch_key: 'h-rej' },
        { practice_patient_id: id(e), state: 'accepted', batch_key: 'h-acc' },
      ].sort((x, y) => (x.practice_patient_id < y.practice_patient_id ? -1 : 1)),
    );
    await migrate(db.pool, { schema: legacy }); // idempotent
    const ledger = new PostgresInvitationLedger({ pool: db.pool, schema: legacy });
    const list = [a, b, c, d, e, f] as PatientInvite[];
    const outcome = await client.patients
      .invitePatients(list, { ledger, batchSize: 10 })
      .catch((x: unknown) => x);
    const partial = outcome as PartialSubmissionError;
    // A, B, E: accepted by version 1 (no hash: unchanged), returned with their job, not sent.
    expect(
      partial.submitted.find((s) => s.dataJobId === 'JOB-ACC')?.practicePatientIds.sort(),
    ).toEqual([id(a), id(b), id(e)].sort());
    // C: unknown, reported with its batch's BatchId. D (rejected) and F (new): sent.
    expect(partial.failed.map((x) => [x.batchId, x.practicePatientIds])).toEqual([
      ['B-UNK', [id(c)]],
    ]);
    expect(posts(list)).toEqual([0, 0, 0, 1, 0, 1]);
  });

  it('a file ledger written by 0.2 (one line per batch) is read as patients', async () => {
    const path = join(dir, 'legacy.jsonl');
    const [a, b, c] = invites(3);
    const id = (i: PatientInvite | undefined): string => i?.practicePatientId as string;
    writeFileSync(
      path,
      [
        {
          contentHash: 'h1',
          practiceId: sb.practiceId,
          batchId: 'B1',
          practicePatientIds: [id(a), id(b)],
          state: 'accepted',
          attempts: 1,
          submission: { dataJobId: 'J1', statusUrl: 'u1' },
        },
        {
          contentHash: 'h2',
          practiceId: sb.practiceId,
          batchId: 'B2',
          practicePatientIds: [id(c)],
          state: 'sending',
          attempts: 1,
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    const ledger = new FileInvitationLedger(path);
    expect([...(await ledger.patients(sb.practiceId, [id(a), id(c)])).values()]).toEqual([
      { practiceId: sb.practiceId, practicePatientId: id(a), state: 'accepted', batchKey: 'h1' },
      { practiceId: sb.practiceId, practicePatientId: id(c), state: 'sending', batchKey: 'h2' },
    ]);
    const error = (await client.patients
      .invitePatients([a, b, c] as PatientInvite[], { ledger })
      .catch((x: unknown) => x)) as PartialSubmissionError;
    expect(error.submitted[0]).toMatchObject({ dataJobId: 'J1', batchId: 'B1' });
    expect(error.failed[0]).toMatchObject({ batchId: 'B2', practicePatientIds: [id(c)] });
    expect(sb.stats.batchesReceived).toBe(0);
  });
});

describe('FileInvitationLedger', () => {
  it('ignores a line torn by a crash and keeps appending on a new line', async () => {
    const path = join(dir, 'torn.jsonl');
    const first = new FileInvitationLedger(path);
    const batch = (key: string, ids: string[]) => ({
      batchKey: key,
      practiceId: 'p',
      patients: ids.map((practicePatientId) => ({ practicePatientId, recordHash: 'h' })),
    });
    expect(await first.claim(batch('k1', ['A']), { resendChanged: false })).toEqual(['A']);
    await first.accept('k1', ['A'], { dataJobId: 'j1', statusUrl: 'u' });
    appendFileSync(path, '{"type":"claim","batch":{"batchKey":"k2","state":"send'); // torn
    const reopened = new FileInvitationLedger(path);
    expect((await reopened.patients('p', ['A'])).get('A')?.state).toBe('accepted');
    expect((await reopened.batches(['k2'])).size).toBe(0);
    expect(await reopened.claim(batch('k3', ['A', 'B']), { resendChanged: false })).toEqual(['B']);
    const third = new FileInvitationLedger(path, { resendGuardMs: 0 });
    expect((await third.batches(['k3'])).get('k3')).toMatchObject({
      state: 'sending',
      attempts: 1,
      practicePatientIds: ['B'],
    });
    expect(await third.claimResend('k3', 1)).toBe(true);
    expect(await third.claimResend('k3', 1)).toBe(false);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('a missing directory is a StateStoreError before anything is sent', async () => {
    const ledger = new FileInvitationLedger(join(dir, 'missing', 'ledger.jsonl'));
    const before = sb.stats.requests;
    const error = await client.patients.invitePatients(invites(2), { ledger }).catch((e) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ operation: 'ledger.open', cause: { code: 'ENOENT' } });
    expect(sb.stats.requests).toBe(before);
  });

  it('keeps only practice patient ids and hashes of the patients, no other patient value', async () => {
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
    const bodies: string[] = [];
    server.use(
      http.post(`${sb.url}/v2/practice/:practice/patient`, async ({ request }) => {
        bodies.push(await request.text());
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
    expect(bodies).toHaveLength(1);
  });
});
