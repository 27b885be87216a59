/** The SDK against the sandbox over real HTTP on 127.0.0.1, and the sandbox's strictness. */
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { MedfusionClient, MemoryCheckpointStore, type Patient } from 'medfusion-patient-sdk';
import { encodePatientBatch } from '../src/xml/documents';
import { fixture, fullInvite, minimalInvite } from './helpers/fixtures';
import { rawToken } from './helpers/sandbox';

let sb: Sandbox;
let client: MedfusionClient;
let token: string;

beforeAll(async () => {
  sb = await startSandbox({ processingDelayMs: 100 });
  client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
  token = await rawToken(sb);
});
afterAll(() => sb.close());

const post = (body: string, opts: { version?: string; type?: string } = {}) =>
  fetch(`${sb.url}/${opts.version ?? 'v2'}/practice/${sb.practiceId}/patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': opts.type ?? 'application/xml' },
    body,
  });
const batch = (invites = [minimalInvite('S-1')], version: 'v1' | 'v2' | 'v3' = 'v2') =>
  encodePatientBatch(
    version,
    version === 'v3' ? {} : { batchId: `B-${Math.random()}`, sender: { vendorName: 'x' } },
    invites,
    { practiceId: sb.practiceId },
  );

describe('life cycle over HTTP: invite → process → register → sync', () => {
  it('an invited patient is PROVISIONED and out of the feed until they register', async () => {
    const checkpoint = new MemoryCheckpointStore();
    const synced: Patient[] = [];
    const onPage = async (page: { patients: Patient[] }) => void synced.push(...page.patients);
    await client.patients.sync({ checkpoint, onPage });
    const before = synced.length;

    const job = await client.patients.invitePatient(fullInvite({ practicePatientId: 'LC-1' }));
    expect((await client.batches.getStatus(job)).state).toBe('PENDING');
    const done = await client.batches.waitForCompletion(job, { minDelayMs: 50 });
    expect(done).toMatchObject({ done: true, state: 'COMPLETED' });
    expect(sb.emulator.getPatient('LC-1')?.status.status).toBe('PROVISIONED');
    expect(sb.emulator.invitationsOf('LC-1')).toBe(1);
    await client.patients.sync({ checkpoint, onPage });
    expect(synced).toHaveLength(before);

    sb.registerPatient('LC-1', { demographics: { mobilePhone: '9195550999' } });
    await client.patients.sync({ checkpoint, onPage });
    const registered = synced[synced.length - 1];
    expect(registered).toMatchObject({
      practicePatientId: 'LC-1',
      status: { status: 'REGISTERED', portalStatus: 'ACTIVE' },
      medfusionPatientId: expect.stringMatching(/^\d+$/),
      demographics: { ...fullInvite().demographics, mobilePhone: '9195550999' },
      insurance: fullInvite().insurance,
    });

    sb.updatePatient('LC-1', { demographics: { homePhone: '9195550888' } });
    await client.patients.sync({ checkpoint, onPage });
    expect(synced[synced.length - 1]?.demographics.homePhone).toBe('9195550888');
  });

  it('re-posting a patient not yet registered invites again (a second e-mail); a registered one is not touched', async () => {
    for (let i = 0; i < 2; i++)
      await client.batches.waitForCompletion(
        await client.patients.invitePatient(minimalInvite('RE-1')),
        { minDelayMs: 50 },
      );
    expect(sb.emulator.invitationsOf('RE-1')).toBe(2);
    sb.registerPatient('RE-1');
    const before = sb.stats.reinvitations;
    await client.batches.waitForCompletion(
      await client.patients.invitePatient(minimalInvite('RE-1')),
      { minDelayMs: 50 },
    );
    expect(sb.emulator.invitationsOf('RE-1')).toBe(2);
    expect(sb.stats.reinvitations).toBe(before);
  });

  it('a repeated BatchId is processed again, as the real server does: the patients in it are invited again', async () => {
    const before = { ...sb.stats };
    const first = await client.patients.invitePatient(minimalInvite('DUP-1'), { batchId: 'SAME' });
    const again = await client.patients.invitePatients(
      [minimalInvite('DUP-1'), minimalInvite('DUP-2')],
      { batchId: 'SAME' },
    );
    expect(again[0]?.dataJobId).not.toBe(first.dataJobId);
    await client.batches.waitForCompletion(again[0] as (typeof again)[0], { minDelayMs: 50 });
    expect(sb.stats.duplicateBatches - before.duplicateBatches).toBe(1);
    expect(sb.emulator.invitationsOf('DUP-1')).toBe(2);
    expect(sb.emulator.invitationsOf('DUP-2')).toBe(1); // the new patient of the resend is invited
    expect(sb.stats.reinvitations - before.reinvitations).toBe(1);
  });

  it('dedupeBatchIds models a de-duplicating server: the first job, nothing processed again', async () => {
    const dedup = await startSandbox({ dedupeBatchIds: true });
    try {
      const c = new MedfusionClient({
        baseUrl: dedup.url,
        practiceId: dedup.practiceId,
        credentials: dedup.credentials,
      });
      const first = await c.patients.invitePatient(minimalInvite('DUP-1'), { batchId: 'SAME' });
      const again = await c.patients.invitePatient(minimalInvite('DUP-1'), { batchId: 'SAME' });
      expect(again.dataJobId).toBe(first.dataJobId);
      expect(dedup.stats).toMatchObject({ duplicateBatches: 1, reinvitations: 0 });
    } finally {
      await dedup.close();
    }
  });

  it('accepts every request shape the real server accepted (spec section 10), and truncates a long State as it does', async () => {
    // The vendor's captured POST, into this sandbox's practice: placeholder ids, no XML declaration,
    // another prefix, xsi:schemaLocation, a 7-character Country, placeholder contact e-mails, empty
    // and self-closing address parts, a date of birth with a time and no zone, a free-text phone.
    const captured = fixture('post-patient-batch-v1.xml')
      .replace('fbca8599-277f-41bf-9e63-633d334ec650', sb.practiceId)
      .replace('<Name>', '<!-- a comment inside Patient --><Name>')
      .replace('<State>NC</State>', '<State>California</State>')
      .replace('<City></City>', '<City/>')
      .replace(/\n/g, '\r\n');
    const res = await post(captured, { version: 'v1' });
    expect(res.status).toBe(202);
    const jobId = /<DataJobId>([^<]+)<\/DataJobId>/.exec(await res.text())?.[1] as string;
    await client.batches.waitForCompletion(jobId, { minDelayMs: 50 });
    const stored = sb.emulator.getPatient('ihgqa.demo.patient');
    expect(stored?.demographics.homeAddress?.state).toBe('Ca'); // kept as its first two characters
    expect(stored?.demographics.dateOfBirth).toBe('1987-01-11');
    expect(stored?.emergencyContact?.email).toBe('EmailAddress');
    // Two patients sharing one e-mail address.
    const twins = await post(
      batch([
        {
          ...minimalInvite('TWIN-1'),
          demographics: { ...minimalInvite('TWIN-1').demographics, email: 'family@example.test' },
        },
        {
          ...minimalInvite('TWIN-2'),
          demographics: { ...minimalInvite('TWIN-2').demographics, email: 'family@example.test' },
        },
      ]),
    );
    expect(twins.status).toBe(202);
  });

  it('a MedfusionPatientId that does not exist is a per-message ERROR', async () => {
    const job = await client.patients.invitePatients([
      minimalInvite('OK-1'),
      { ...minimalInvite('BAD-1'), medfusionPatientId: '404404' },
    ]);
    const status = await client.batches.waitForCompletion(job[0] as (typeof job)[0], {
      minDelayMs: 50,
    });
    expect(status.state).toBe('PARTIAL');
    expect(status.messages.find((m) => m.practiceResourceId === 'BAD-1')).toMatchObject({
      state: 'ERROR',
      error: { code: 'PATIENT_NOT_FOUND', severity: 'FATAL' },
    });
  });

  it('a MedfusionPatientId of an existing account links it to the practice id: no new account, no invitation', async () => {
    await client.batches.waitForCompletion(
      await client.patients.invitePatient(minimalInvite('SELF-1')),
      { minDelayMs: 50 },
    );
    sb.registerPatient('SELF-1');
    const portalId = sb.emulator.getPatient('SELF-1')?.medfusionPatientId as string;
    const invitations = sb.stats.invitationsSent;
    const job = await client.patients.invitePatient({
      ...minimalInvite('EHR-77'),
      medfusionPatientId: portalId,
    });
    expect((await client.batches.waitForCompletion(job, { minDelayMs: 50 })).state).toBe(
      'COMPLETED',
    );
    expect(sb.emulator.getPatient('EHR-77')).toMatchObject({
      practicePatientId: 'EHR-77',
      medfusionPatientId: portalId,
      status: { status: 'REGISTERED' },
    });
    expect(sb.emulator.getPatient('SELF-1')).toBeUndefined();
    expect(sb.stats.invitationsSent).toBe(invitations);
  });

  it('cancels a pending invitation (v3), refuses to cancel a registered patient', async () => {
    await client.batches.waitForCompletion(
      await client.patients
        .invitePatients([minimalInvite('CX-1'), minimalInvite('CX-2')])
        .then((j) => j[0] as (typeof j)[0]),
      { minDelayMs: 50 },
    );
    sb.registerPatient('CX-2');
    const status = await client.batches.waitForCompletion(
      await client.patients.cancelInvitation(['CX-1', 'CX-2']),
      { minDelayMs: 50 },
    );
    expect(
      status.messages
        .filter((m) => m.practiceResourceId)
        .map((m) => [m.practiceResourceId, m.state]),
    ).toEqual([
      ['CX-1', 'COMPLETED'],
      ['CX-2', 'ERROR'],
    ]);
    expect(sb.emulator.getPatient('CX-1')).toBeUndefined();
  });

  it('serves pages shaped like the captured ones: empty strings present, typed elements omitted', async () => {
    const fresh = await startSandbox();
    try {
      fresh.emulator.seedRegisteredPatients(1);
      const tok = await rawToken(fresh);
      const res = await fetch(`${fresh.url}/v1/practice/${fresh.practiceId}/patient?max=1`, {
        headers: { authorization: `Bearer ${tok}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('last-timestamp')).toMatch(/^\d+,\d+$/);
      const body = await res.text();
      expect(
        body.startsWith(
          '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns2:PatientBatch xmlns:ns2="http://schema.intuit.com/health/patient/v1">',
        ),
      ).toBe(true);
      expect(body).toContain('<Sender deviceName="PIDC" vendorName="Intuit"/>');
      expect(body).toContain(
        '<WorkAddress><Line1></Line1><Line2></Line2><City></City><State></State><Country></Country><ZipCode></ZipCode></WorkAddress>',
      );
      expect(body).toContain(
        '<ResourceRequestId></ResourceRequestId><PatientStatus><Status>REGISTERED</Status><Description></Description></PatientStatus>',
      );
      expect(body).toContain('<ProviderAssociation/></Patient>');
      expect(body).not.toContain('GenderIdentity');
      expect(body).not.toMatch(/<(EffectiveDate|Copay|Race|MaritalStatus)><\//);
      // Every element of the page is one the captured v1 responses have too.
      const captured = new Set(
        [...fixture('get-patient-v1-2020.xml').matchAll(/<(\w+)[ />]/g)].map((m) => m[1]),
      );
      expect(
        [...new Set([...body.matchAll(/<(\w+)[ />]/g)].map((m) => m[1]))].filter(
          (t) => !captured.has(t),
        ),
      ).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('answers 204 with a Last-Timestamp when nothing is new, 400 on bad since/max', async () => {
    const drained = await client.patients.sync({
      checkpoint: new MemoryCheckpointStore(),
      onPage: async () => undefined,
    });
    const empty = await fetch(
      `${sb.url}/v2/practice/${sb.practiceId}/patient?since=${drained.cursor}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(empty.status).toBe(204);
    expect(empty.headers.get('last-timestamp')).toBe(drained.cursor);
    for (const q of ['max=250', 'max=xyz', 'since=yesterday']) {
      const res = await fetch(`${sb.url}/v2/practice/${sb.practiceId}/patient?${q}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([q, res.status]).toEqual([q, 400]);
    }
  });

  it('401 without a valid token, 404 for another practice', async () => {
    expect((await fetch(`${sb.url}/v2/practice/${sb.practiceId}/patient`)).status).toBe(401);
    expect(
      (
        await fetch(`${sb.url}/v2/practice/other/patient`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(404);
  });
});

describe('the sandbox rejects malformed batches like the service', () => {
  const good = () => batch([minimalInvite('M-1')]);
  it.each([
    [
      'the wrong namespace',
      () => good().replace('patient/v2', 'patient/v1'),
      'PatientBatch : namespace',
    ],
    [
      'qualified children',
      () => good().replace('<BatchSize>1</BatchSize>', '<ns2:BatchSize>1</ns2:BatchSize>'),
      'unqualifiedChildren',
    ],
    [
      'elements out of order',
      () =>
        good()
          .replace(/<Gender>FEMALE<\/Gender>/, '')
          .replace('</EmailAddress>', '</EmailAddress><Gender>FEMALE</Gender>'),
      'Gender : elementOrder',
    ],
    [
      'an empty element',
      () =>
        good().replace(
          '<LastName>Lovelace</LastName>',
          '<MiddleName></MiddleName><LastName>Lovelace</LastName>',
        ),
      'Name/MiddleName : emptyElement',
    ],
    [
      'a wrong BatchSize',
      () => good().replace('<BatchSize>1</BatchSize>', '<BatchSize>2</BatchSize>'),
      'BatchSize : equalsPatientCount',
    ],
    [
      'a missing required field',
      () => good().replace(/<EmailAddress>[^<]*<\/EmailAddress>/, ''),
      'demographics.email : required',
    ],
    [
      'a value outside an enumeration',
      () => good().replace('<Gender>FEMALE</Gender>', '<Gender>UNDIFFERENTIATED</Gender>'),
      'demographics.gender : oneOf(Gender v2)',
    ],
    [
      'an unknown element',
      () => good().replace('<DateOfBirth>', '<Nickname>Ada</Nickname><DateOfBirth>'),
      'Nickname : unknownElement',
    ],
    [
      'another practice',
      () => good().replace(sb.practiceId, '00000000-0000-0000-0000-000000000000'),
      'PracticeIdentifier : practiceId',
    ],
    [
      'a bad date',
      () => good().replace('1985-12-10T00:00:00', '1985-13-45T00:00:00'),
      'demographics.dateOfBirth : date(YYYY-MM-DD)',
    ],
    ['not XML', () => 'patient=Ada', 'PatientBatch : no root element'],
    ['truncated XML', () => good().slice(0, 300), 'PatientBatch : not well-formed XML'],
    [
      'a DOCTYPE',
      () => `<!DOCTYPE x [<!ENTITY e "e">]>${good()}`,
      'DOCTYPE or ENTITY declarations are refused',
    ],
  ])('%s → 400 naming the rule', async (_what, make, expected) => {
    const received = sb.stats.batchesReceived;
    const res = await post(make());
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('<ProcessingStatus>Failure</ProcessingStatus>');
    expect(text).toContain(expected);
    expect(sb.stats.batchesReceived).toBe(received);
  });

  it('415 for another content type', async () => {
    expect((await post(good(), { type: 'application/json' })).status).toBe(415);
  });

  it('accepts v1 and v3 batches on their paths', async () => {
    expect((await post(batch([minimalInvite('V1-1')], 'v1'), { version: 'v1' })).status).toBe(202);
    expect((await post(batch([minimalInvite('V3-1')], 'v3'), { version: 'v3' })).status).toBe(202);
  });
});

describe('faults', () => {
  it('injects 429 with Retry-After and 503 with HTML by count', async () => {
    sb.injectFaults({ count429: 1, count503: 1, retryAfterSeconds: 7 });
    const a = await fetch(`${sb.url}/v2/practice/${sb.practiceId}/patient`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const b = await fetch(`${sb.url}/v2/practice/${sb.practiceId}/patient`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([
      a.status,
      a.headers.get('retry-after'),
      b.status,
      b.headers.get('content-type'),
    ]).toEqual([429, '7', 503, 'text/html']);
    expect(await b.text()).toContain('<html>');
  });

  it('resets connections, and expires tokens (the client re-authenticates once)', async () => {
    sb.injectFaults({ countReset: 1 });
    await expect(
      fetch(`${sb.url}/v2/practice/${sb.practiceId}/patient`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    ).rejects.toThrow();
    const issued = sb.stats.tokensIssued;
    sb.injectFaults({ expireTokens: true });
    await client.patients.getUpdatedPatients();
    expect(sb.stats.tokensIssued).toBe(issued + 1);
  });

  it('expires tokens by count: each call re-authenticates once and succeeds', async () => {
    const issued = sb.stats.tokensIssued;
    sb.injectFaults({ countExpiry: 1 });
    await client.patients.getUpdatedPatients({ max: 1 });
    sb.injectFaults({ countExpiry: 1 });
    await client.patients.getUpdatedPatients({ max: 1 });
    expect(sb.stats.tokensIssued).toBe(issued + 2);
  });

  it('adds latency', async () => {
    sb.injectFaults({ latencyMs: 150 });
    const started = Date.now();
    await client.patients.getUpdatedPatients({ max: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sb.clearFaults();
  });
});

describe('many practices in one sandbox', () => {
  it('serves each practice its own feed with one set of credentials and one token store', async () => {
    const fleet = await startSandbox({ practices: 3, seed: 7 });
    try {
      expect(fleet.practiceIds).toHaveLength(3);
      expect(fleet.practiceIds[0]).toBe(fleet.practiceId);
      fleet.practiceIds.forEach((id, i) => fleet.practice(id).seedRegisteredPatients(10 * (i + 1)));
      const seen: string[][] = [];
      for (const practiceId of fleet.practiceIds) {
        const c = new MedfusionClient({
          baseUrl: fleet.url,
          practiceId,
          credentials: fleet.credentials,
        });
        const ids: string[] = [];
        for await (const p of c.patients.getUpdatedPatients()) ids.push(p.practicePatientId);
        seen.push(ids);
      }
      expect(seen.map((s) => s.length)).toEqual([10, 20, 30]);
      // Seeded per practice: the second practice's data is not the first's.
      expect(seen[1]?.[0]).not.toBe(seen[0]?.[0]);
      expect(fleet.stats.tokensIssued).toBe(3); // one per client, all from one store
      expect(() => fleet.practice('nope')).toThrow(/no practice/);
      // A practice the sandbox does not serve is a 404, as at Medfusion.
      const stranger = new MedfusionClient({
        baseUrl: fleet.url,
        practiceId: 'unknown-practice',
        credentials: fleet.credentials,
        maxRetries: 0,
      });
      await expect(stranger.patients.getUpdatedPatients()).rejects.toMatchObject({ status: 404 });
    } finally {
      await fleet.close();
    }
  });
});
