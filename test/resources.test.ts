import { http, HttpResponse, delay } from 'msw';
import {
  AbortError,
  MemoryCheckpointStore,
  PaginationLoopError,
  PartialSubmissionError,
  SubmissionOutcomeUnknownError,
  ValidationError,
  WaitTimeoutError,
  type PatientPage,
} from 'medfusion-patient-sdk';
import { BASE, PRACTICE, testClient, useMsw } from './helpers/msw';
import { fullInvite, minimalInvite } from './helpers/fixtures';
import {
  decodeCancelInvitation,
  decodePatientBatch,
  encodePatientElement,
  wrapPatientBatch,
} from '../src/xml/documents';

const server = useMsw();
const PATIENTS = `${BASE}/v2/practice/${PRACTICE}/patient`;
const STATUS = `${BASE}/v1/practice/${PRACTICE}/processingStatus/:job`;

const acceptedFor = (job: string) =>
  new HttpResponse(
    `<ns2:ProcessingResponse xmlns:ns2="urn:x"><DataJobId>${job}</DataJobId><ProcessingStatus>Successful</ProcessingStatus></ns2:ProcessingResponse>`,
    {
      status: 202,
      headers: {
        'content-type': 'application/xml',
        location: `${BASE}/v1/practice/${PRACTICE}/processingStatus/${job}`,
      },
    },
  );

/** A feed of `total` registered patients served by cursor = index of the last one sent. */
function feedOf(total: number, opts: { repeatCursor?: boolean } = {}) {
  const requests: { since: string | null; max: string | null }[] = [];
  server.use(
    http.get(PATIENTS, ({ request }) => {
      const url = new URL(request.url);
      const since = url.searchParams.get('since');
      const max = Number(url.searchParams.get('max'));
      requests.push({ since, max: url.searchParams.get('max') });
      const from = since === null ? 0 : Number(since.split(',')[1]);
      const ids = Array.from(
        { length: Math.max(0, Math.min(max, total - from)) },
        (_, i) => from + i,
      );
      if (ids.length === 0)
        return new HttpResponse(null, {
          status: 204,
          headers: { 'last-timestamp': since ?? '7,0' },
        });
      const elements = ids.map((i) =>
        encodePatientElement(
          { ...minimalInvite(`P-${i}`), status: { status: 'REGISTERED' } },
          'v2',
          'response',
          { practiceId: PRACTICE },
        ),
      );
      const cursor = opts.repeatCursor && since !== null ? since : `7,${from + ids.length}`;
      return HttpResponse.text(
        wrapPatientBatch('v2', 'response', { batchId: `B-${from}` }, elements),
        { headers: { 'content-type': 'application/xml', 'last-timestamp': cursor } },
      );
    }),
  );
  return requests;
}

describe('invitePatient', () => {
  it('posts one PatientBatch and returns the job', async () => {
    const seen: { headers: Record<string, string | null>; body: string }[] = [];
    server.use(
      http.post(PATIENTS, async ({ request }) => {
        seen.push({
          headers: {
            type: request.headers.get('content-type'),
            auth: request.headers.get('authorization'),
            accept: request.headers.get('accept'),
          },
          body: await request.text(),
        });
        return acceptedFor('J-7');
      }),
    );
    const client = testClient({
      sender: { vendorName: 'Acme EHR', deviceName: 'sync-svc', deviceVersion: '4.2' },
    });
    const job = await client.patients.invitePatient(fullInvite());
    expect(job).toEqual({
      dataJobId: 'J-7',
      statusUrl: `${BASE}/v1/practice/${PRACTICE}/processingStatus/J-7`,
      batchId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      practicePatientIds: ['PPID-CANARY-7731'],
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers).toEqual({
      type: 'application/xml',
      auth: 'Bearer token-CANARY',
      accept: 'application/xml',
    });
    const decoded = decodePatientBatch(seen[0]?.body ?? '', {
      strict: true,
      direction: 'request',
      expectedVersion: 'v2',
    });
    expect(decoded.issues).toEqual([]);
    expect(decoded.header).toMatchObject({
      batchId: job.batchId,
      batchSize: 1,
      sender: { vendorName: 'Acme EHR', deviceName: 'sync-svc', deviceVersion: '4.2' },
    });
    expect(decoded.practice).toEqual({ practiceId: PRACTICE });
    expect(decoded.patients).toEqual([fullInvite()]);
  });

  it('sends the caller’s batchId to resubmit deliberately', async () => {
    let body = '';
    server.use(
      http.post(PATIENTS, async ({ request }) => ((body = await request.text()), acceptedFor('J'))),
    );
    await testClient().patients.invitePatient(minimalInvite(), { batchId: 'MY-BATCH' });
    expect(body).toContain('<BatchId>MY-BATCH</BatchId>');
  });

  it('v3: no BatchId, IntegrationPracticeId, v3 path', async () => {
    let body = '';
    server.use(
      http.post(
        `${BASE}/v3/practice/${PRACTICE}/patient`,
        async ({ request }) => ((body = await request.text()), acceptedFor('J3')),
      ),
    );
    const job = await testClient({ apiVersion: 'v3' }).patients.invitePatient(minimalInvite());
    expect(job.batchId).toBeUndefined();
    expect(body).toContain(`<IntegrationPracticeId>${PRACTICE}</IntegrationPracticeId>`);
    expect(body).not.toContain('BatchId');
  });
});

describe('invitePatients', () => {
  it('validates everything first, then posts chunks of batchSize with bounded concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const sizes: number[] = [];
    let n = 0;
    server.use(
      http.post(PATIENTS, async ({ request }) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        sizes.push((await request.text()).match(/<Patient>/g)?.length ?? 0);
        await delay(20);
        inFlight--;
        return acceptedFor(`J-${n++}`);
      }),
    );
    const invites = Array.from({ length: 25 }, (_, i) => minimalInvite(`P-${i}`));
    const progress: number[] = [];
    const jobs = await testClient().patients.invitePatients(invites, {
      batchSize: 10,
      concurrency: 2,
      onProgress: (p) => progress.push(p.patientsSubmitted),
    });
    expect(sizes.sort()).toEqual([10, 10, 5]);
    expect(peak).toBe(2);
    expect(jobs.map((j) => j.practicePatientIds.length)).toEqual([10, 10, 5]);
    expect(jobs.flatMap((j) => j.practicePatientIds)).toEqual(
      invites.map((i) => i.practicePatientId),
    );
    expect(progress[progress.length - 1]).toBe(25);
  });

  it('sends nothing when one invite is invalid, and names it', async () => {
    let posts = 0;
    server.use(http.post(PATIENTS, () => (posts++, acceptedFor('J'))));
    const invites = [
      minimalInvite('A'),
      minimalInvite('B'),
      {
        ...minimalInvite('C'),
        demographics: { ...minimalInvite('C').demographics, dateOfBirth: '1999-02-31' },
      },
    ];
    await expect(testClient().patients.invitePatients(invites)).rejects.toMatchObject({
      issues: [{ path: 'invites[2].demographics.dateOfBirth', rule: 'date(YYYY-MM-DD)' }],
    });
    expect(posts).toBe(0);
  });

  it('stops after a failed chunk and says what was accepted, what failed and what was never sent', async () => {
    let n = 0;
    server.use(
      http.post(PATIENTS, () => {
        n++;
        return n === 2 ? new HttpResponse(null, { status: 502 }) : acceptedFor(`J-${n}`);
      }),
    );
    const invites = Array.from({ length: 5 }, (_, i) => minimalInvite(`P-${i}`));
    const err = (await testClient()
      .patients.invitePatients(invites, { batchSize: 1, concurrency: 1 })
      .catch((e: unknown) => e)) as PartialSubmissionError;
    expect(err).toBeInstanceOf(PartialSubmissionError);
    expect(err.submitted).toHaveLength(1);
    expect(err.failed).toEqual([
      {
        practicePatientIds: ['P-1'],
        batchId: expect.any(String),
        error: expect.any(SubmissionOutcomeUnknownError),
      },
    ]);
    expect(err.notSent).toEqual(['P-2', 'P-3', 'P-4']);
    expect(n).toBe(2);
  });

  it('refuses a batchSize over 100 before sending', async () => {
    await expect(
      testClient().patients.invitePatients([minimalInvite()], { batchSize: 101 }),
    ).rejects.toMatchObject({ issues: [{ path: 'options.batchSize', rule: 'integer(1..100)' }] });
  });
});

describe('getUpdatedPatients', () => {
  it('await gives one page; the cursor is the Last-Timestamp, echoed verbatim next time', async () => {
    const requests = feedOf(250);
    const client = testClient();
    const first = await client.patients.getUpdatedPatients();
    expect(first.patients).toHaveLength(100);
    expect(first).toMatchObject({ cursor: '7,100', hasMore: true, batchId: 'B-0' });
    const second = await client.patients.getUpdatedPatients({ since: first.cursor });
    expect(second.patients[0]?.practicePatientId).toBe('P-100');
    expect(requests).toEqual([
      { since: null, max: '100' },
      { since: '7,100', max: '100' },
    ]);
  });

  it('for await yields every patient across pages and stops on a short page', async () => {
    const requests = feedOf(250);
    const ids: string[] = [];
    for await (const p of testClient().patients.getUpdatedPatients()) ids.push(p.practicePatientId);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `P-${i}`));
    expect(requests.map((r) => r.since)).toEqual([null, '7,100', '7,200']);
  });

  it('.pages() stops on a 204', async () => {
    const requests = feedOf(200);
    const pages: PatientPage[] = [];
    for await (const page of testClient()
      .patients.getUpdatedPatients({ max: 100, prefetch: false })
      .pages())
      pages.push(page);
    expect(pages.map((p) => [p.patients.length, p.hasMore])).toEqual([
      [100, true],
      [100, true],
      [0, false],
    ]);
    expect(requests).toHaveLength(3);
  });

  it('throws rather than loop when a full page repeats the cursor', async () => {
    feedOf(1000, { repeatCursor: true });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const p of testClient().patients.getUpdatedPatients({ since: '7,0', max: 10 }))
        seen.push(p.practicePatientId);
    };
    await expect(iterate()).rejects.toBeInstanceOf(PaginationLoopError);
    expect(seen).toHaveLength(10); // the page was delivered before paging stopped
  });

  it.each([0, 101, 2.5])('refuses max=%s without a request', async (max) => {
    await expect(testClient().patients.getUpdatedPatients({ max })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('turns a Date into `<epoch seconds>,0` by default, `<epoch ms>` on request', async () => {
    const requests = feedOf(0);
    const at = new Date('2026-01-02T03:04:05.678Z');
    await testClient().patients.getUpdatedPatients({ since: at });
    await testClient({ sinceDateFormat: 'milliseconds' }).patients.getUpdatedPatients({
      since: at,
    });
    expect(requests.map((r) => r.since)).toEqual(['1767323045,0', '1767323045678']);
  });

  it('leaving a loop early cancels the prefetched request', async () => {
    const requests = feedOf(1000);
    for await (const p of testClient().patients.getUpdatedPatients({ max: 10 })) {
      if (p.practicePatientId === 'P-3') break;
    }
    expect(requests.length).toBeLessThanOrEqual(2);
  });
});

describe('sync', () => {
  it('hands each page to onPage and saves its cursor only afterwards', async () => {
    feedOf(230);
    const checkpoint = new MemoryCheckpointStore();
    const events: string[] = [];
    const result = await testClient().patients.sync({
      checkpoint,
      onPage: async (page) => {
        events.push(`page ${page.patients.length} saved=${checkpoint.history.length}`);
        await delay(5);
      },
    });
    expect(events).toEqual(['page 100 saved=0', 'page 100 saved=1', 'page 30 saved=2']);
    expect(checkpoint.history).toEqual(['7,100', '7,200', '7,230']);
    expect(result).toEqual({
      pages: 3,
      patients: 230,
      quarantined: 0,
      uncheckpointedPages: 0,
      cursor: '7,230',
    });
  });

  it('resumes from the checkpoint', async () => {
    const requests = feedOf(230);
    const result = await testClient().patients.sync({
      checkpoint: new MemoryCheckpointStore('7,200'),
      onPage: async () => undefined,
    });
    expect(requests[0]?.since).toBe('7,200');
    expect(result).toEqual({
      pages: 1,
      patients: 30,
      quarantined: 0,
      uncheckpointedPages: 0,
      cursor: '7,230',
    });
  });

  it('a failing onPage leaves the checkpoint at the last processed page', async () => {
    feedOf(300);
    const checkpoint = new MemoryCheckpointStore();
    let pages = 0;
    const run = testClient().patients.sync({
      checkpoint,
      onPage: async () => {
        if (++pages === 2) throw new Error('database down');
      },
    });
    await expect(run).rejects.toThrow('database down');
    expect(checkpoint.history).toEqual(['7,100']);
  });
});

describe('cancelInvitation', () => {
  it('posts the v3 body and returns the job', async () => {
    let body = '';
    server.use(
      http.post(
        `${BASE}/v3/practice/${PRACTICE}/patient/cancelinvitation`,
        async ({ request }) => ((body = await request.text()), acceptedFor('JC')),
      ),
    );
    const job = await testClient().patients.cancelInvitation(['A', 'B']);
    expect(job).toMatchObject({ dataJobId: 'JC', practicePatientIds: ['A', 'B'] });
    expect(decodeCancelInvitation(body)).toEqual({ practicePatientIds: ['A', 'B'], issues: [] });
  });

  it('refuses an empty list or an empty id', async () => {
    await expect(testClient().patients.cancelInvitation([])).rejects.toMatchObject({
      issues: [{ path: 'practicePatientIds', rule: 'nonEmpty' }],
    });
    await expect(testClient().patients.cancelInvitation(['A', ''])).rejects.toMatchObject({
      issues: [{ path: 'practicePatientIds[1]', rule: 'nonEmpty' }],
    });
  });
});

describe('batches', () => {
  const statusXml = (states: string[], job = 'J-1') =>
    `<ns2:ProcessingStatus xmlns:ns2="http://schema.intuit.com/health/v1"><DataJobId>${job}</DataJobId>${states
      .map(
        (s, i) =>
          `<Message><MessageId>M${i}</MessageId>${i > 0 ? `<PracticeResourceId>R${i}</PracticeResourceId>` : ''}<Status><State>${s}</State></Status>${s === 'ERROR' ? '<Error><Description>no</Description><Severity>FATAL</Severity></Error>' : ''}</Message>`,
      )
      .join('')}</ns2:ProcessingStatus>`;
  const serveStates = (...answers: string[][]) => {
    let n = 0;
    server.use(
      http.get(STATUS, () =>
        HttpResponse.text(statusXml(answers[Math.min(n++, answers.length - 1)] ?? []), {
          headers: { 'content-type': 'application/xml' },
        }),
      ),
    );
    return () => n;
  };

  it.each([
    [['PROCESSING', 'PROCESSING'], false, 'PENDING'],
    [['COMPLETED', 'PROCESSING'], false, 'PENDING'],
    [['COMPLETED', 'COMPLETED', 'COMPLETED'], true, 'COMPLETED'],
    [['COMPLETED', 'ERROR', 'COMPLETED'], true, 'PARTIAL'],
    [['COMPLETED', 'ERROR', 'ERROR'], true, 'ERROR'],
  ])('%j is done=%s, %s', async (states, done, state) => {
    serveStates(states);
    const status = await testClient().batches.getStatus({
      dataJobId: 'J-1',
      statusUrl: 'ignored',
      practicePatientIds: [],
    });
    expect(status).toMatchObject({ dataJobId: 'J-1', done, state });
    if (state === 'PARTIAL')
      expect(status.messages[1]).toEqual({
        messageId: 'M1',
        practiceResourceId: 'R1',
        state: 'ERROR',
        error: { description: 'no', severity: 'FATAL' },
      });
  });

  it('waitForCompletion polls with growing delays until done', async () => {
    const calls = serveStates(
      ['PROCESSING'],
      ['PROCESSING'],
      ['PROCESSING'],
      ['COMPLETED', 'COMPLETED'],
    );
    const seen: string[] = [];
    const started = Date.now();
    const status = await testClient().batches.waitForCompletion('J-1', {
      minDelayMs: 20,
      maxDelayMs: 80,
      onProgress: (s) => seen.push(s.state),
    });
    expect(status.state).toBe('COMPLETED');
    expect(seen).toEqual(['PENDING', 'PENDING', 'PENDING', 'COMPLETED']);
    expect(calls()).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 20 + 40);
  });

  it('gives up with WaitTimeoutError carrying the last status', async () => {
    serveStates(['PROCESSING']);
    const err = (await testClient()
      .batches.waitForCompletion('J-1', { timeoutMs: 100, minDelayMs: 20, maxDelayMs: 20 })
      .catch((e: unknown) => e)) as WaitTimeoutError;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.lastStatus).toMatchObject({ dataJobId: 'J-1', done: false, state: 'PENDING' });
  });

  it('an abort during a polling sleep rejects at once, not after the 10 s pause', async () => {
    serveStates(['PROCESSING']);
    const controller = new AbortController();
    const wait = testClient().batches.waitForCompletion('J-1', {
      minDelayMs: 10_000,
      signal: controller.signal,
    });
    await delay(80);
    const aborted = Date.now();
    controller.abort();
    await expect(wait).rejects.toBeInstanceOf(AbortError);
    // Far below the pause it was in, on a machine however busy (the pause would be 10 s).
    expect(Date.now() - aborted).toBeLessThan(5000);
  });

  it('honours Retry-After between polls', async () => {
    let n = 0;
    server.use(
      http.get(STATUS, () =>
        HttpResponse.text(statusXml(n++ === 0 ? ['PROCESSING'] : ['COMPLETED']), {
          headers: { 'content-type': 'application/xml', 'retry-after': '0.3' },
        }),
      ),
    );
    const started = Date.now();
    await testClient().batches.waitForCompletion('J-1', { minDelayMs: 10, maxDelayMs: 1000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('refuses an empty job id', async () => {
    await expect(testClient().batches.getStatus('')).rejects.toBeInstanceOf(ValidationError);
  });
});
