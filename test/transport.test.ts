import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { http, HttpResponse, delay } from 'msw';
import {
  AbortError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InternalServerError,
  type MedfusionError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ResponseParseError,
  SubmissionOutcomeUnknownError,
  TimeoutError,
  UnsupportedMediaTypeError,
  MedfusionClient,
} from 'medfusion-patient-sdk';
import { BASE, PRACTICE, captureLogger, testClient, useMsw } from './helpers/msw';
import { minimalInvite } from './helpers/fixtures';

const server = useMsw();
const FEED = `${BASE}/v2/practice/${PRACTICE}/patient`;
const POST = FEED;
const failure = (status: number, message?: string, headers: Record<string, string> = {}) =>
  new HttpResponse(
    message === undefined
      ? null
      : `<?xml version="1.0"?><ns2:ProcessingResponse xmlns:ns2="urn:x"><ProcessingStatus>Failure</ProcessingStatus><ResponseMessage>${message}</ResponseMessage></ns2:ProcessingResponse>`,
    { status, headers: { 'content-type': 'application/xml', ...headers } },
  );
const accepted = () =>
  new HttpResponse(
    '<ns2:ProcessingResponse xmlns:ns2="urn:x"><DataJobId>J-1</DataJobId><MessageId>M-1</MessageId><ProcessingStatus>Successful</ProcessingStatus></ns2:ProcessingResponse>',
    {
      status: 202,
      headers: {
        'content-type': 'application/xml',
        location: `${BASE}/v1/practice/${PRACTICE}/processingStatus/J-1`,
      },
    },
  );
const noContent = () =>
  new HttpResponse(null, { status: 204, headers: { 'last-timestamp': '5,0' } });

/** Answers with each response in turn, counting calls. */
function sequence(
  url: string,
  method: 'get' | 'post',
  answers: (() => Response | Promise<Response>)[],
) {
  const calls = { n: 0 };
  server.use(
    http[method](url, async () => {
      const answer = answers[Math.min(calls.n, answers.length - 1)] as () =>
        Response | Promise<Response>;
      calls.n++;
      return answer();
    }),
  );
  return calls;
}
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as MedfusionError,
  );

describe('status → error class', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [415, UnsupportedMediaTypeError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, InternalServerError],
    [418, APIError],
  ])('%i', async (status, Class) => {
    sequence(FEED, 'get', [() => failure(status, undefined, { 'x-request-id': 'req-42' })]);
    const err = await errorOf(testClient({ maxRetries: 0 }).patients.getUpdatedPatients());
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({
      status,
      requestId: 'req-42',
      headers: expect.objectContaining({ 'x-request-id': 'req-42' }),
    });
  });

  it('a 400 carries the ResponseMessage, but only its code reaches the message and JSON', async () => {
    const msg =
      "DC_CORE_033-Error in (16 , 25) : cvc-minLength-valid: Value 'Zebulon-CANARY' with length = '0' is not facet-valid";
    sequence(POST, 'post', [() => failure(400, msg)]);
    const err = (await errorOf(
      testClient().patients.invitePatient(minimalInvite()),
    )) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.responseMessage).toBe(msg);
    expect(err.responseCode).toBe('DC_CORE_033 cvc-minLength-valid');
    expect(err.message).toBe(
      `POST /v2/practice/${PRACTICE}/patient failed with status 400 (DC_CORE_033 cvc-minLength-valid)`,
    );
    expect(JSON.stringify(err)).not.toContain('CANARY');
  });

  it('an HTML 500 is an InternalServerError, not a parse crash', async () => {
    sequence(FEED, 'get', [
      () =>
        new HttpResponse('<html><body><h1>500</h1><p>NullPointerException</p></body></html>', {
          status: 500,
          headers: { 'content-type': 'text/html' },
        }),
    ]);
    const err = await errorOf(testClient({ maxRetries: 0 }).patients.getUpdatedPatients());
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as APIError).responseMessage).toBeUndefined();
  });

  it.each([
    ['HTML', '<html><body>maintenance</body></html>', 'text/html'],
    ['JSON', '{"ok":true}', 'application/json'],
    ['a wrong root', '<ns2:ProcessingStatus xmlns:ns2="urn:x"/>', 'application/xml'],
    [
      'truncated XML',
      '<ns2:PatientBatch xmlns:ns2="http://schema.intuit.com/health/patient/v2"><BatchId>x</Bat',
      'application/xml',
    ],
  ])('a 200 with %s is a ResponseParseError', async (_what, body, type) => {
    sequence(FEED, 'get', [
      () => new HttpResponse(body, { status: 200, headers: { 'content-type': type } }),
    ]);
    const err = await errorOf(testClient().patients.getUpdatedPatients());
    expect(err).toBeInstanceOf(ResponseParseError);
    expect(err).toMatchObject({ status: 200, contentType: type });
  });

  it('never lets an AxiosError escape', async () => {
    sequence(FEED, 'get', [() => HttpResponse.error()]);
    const err = await errorOf(testClient({ maxRetries: 0 }).patients.getUpdatedPatients());
    expect(err).toBeInstanceOf(ConnectionError);
    expect(Object.keys(err as object)).not.toContain('config');
    // The host is named (issue 13: which host could not be reached); never the path, query or headers.
    expect(JSON.stringify(err)).not.toMatch(
      /Bearer|token-CANARY|config|headers|\/v2\/practice|since=/i,
    );
    expect((err as ConnectionError).host).toBe('integration.demo.medfusion.net');
  });
});

describe('retries', () => {
  it('retries a GET on 503, 500, 408 and 429, then succeeds', async () => {
    const log = captureLogger();
    const calls = sequence(FEED, 'get', [
      () => failure(503),
      () => failure(408),
      () => failure(429),
      noContent,
    ]);
    await testClient({ maxRetries: 3, logger: log }).patients.getUpdatedPatients();
    expect(calls.n).toBe(4);
    const delays = log.lines
      .filter((l) => l.fields?.retryInMs !== undefined)
      .map((l) => l.fields?.retryInMs as number);
    // min(5 * 2^n, 40) ms, times a jitter in (0.75, 1]
    expect(delays).toHaveLength(3);
    delays.forEach((d, n) => {
      const cap = Math.min(5 * 2 ** n, 40);
      expect(d).toBeGreaterThanOrEqual(Math.floor(cap * 0.75));
      expect(d).toBeLessThanOrEqual(cap);
    });
  });

  it('honours Retry-After (seconds) and retry-after-ms', async () => {
    const log = captureLogger();
    sequence(FEED, 'get', [
      () => failure(429, undefined, { 'retry-after': '0.2' }),
      () => failure(503, undefined, { 'retry-after-ms': '30' }),
      noContent,
    ]);
    const started = Date.now();
    await testClient({ logger: log }).patients.getUpdatedPatients();
    expect(Date.now() - started).toBeGreaterThanOrEqual(225);
    expect(
      log.lines.filter((l) => l.fields?.retryInMs !== undefined).map((l) => l.fields?.retryInMs),
    ).toEqual([200, 30]);
  });

  it('does not wait for a Retry-After beyond the cap; the error says so', async () => {
    const calls = sequence(FEED, 'get', [
      () => failure(429, undefined, { 'retry-after': '3600' }),
      noContent,
    ]);
    const err = await errorOf(testClient().patients.getUpdatedPatients());
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).headers['retry-after']).toBe('3600');
    expect(calls.n).toBe(1);
  });

  it('an error keeps only an allowlist of headers: a gateway echoing the token or a debug header with a patient value never shows', async () => {
    sequence(FEED, 'get', [
      () =>
        failure(400, undefined, {
          'x-echo-authorization': 'Bearer token-CANARY',
          'x-debug-patient': 'Zebulon Quixote',
          'www-authenticate': 'Bearer error="invalid_token", error_description="CANARY"',
          'x-request-id': 'req-7',
          'retry-after': '2',
          'x-ratelimit-remaining': '0',
        }),
    ]);
    const err = (await errorOf(
      testClient({ maxRetries: 0 }).patients.getUpdatedPatients(),
    )) as APIError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.headers).toEqual({
      'content-type': 'application/xml',
      'x-request-id': 'req-7',
      'retry-after': '2',
      'x-ratelimit-remaining': '0',
    });
    const shown = [String(err), JSON.stringify(err), inspect(err, { depth: 8 })].join('\n');
    expect(shown).not.toMatch(/CANARY|Zebulon|x-echo|x-debug/);
  });

  it('gives up after maxRetries (per call override too)', async () => {
    const calls = sequence(FEED, 'get', [() => failure(502)]);
    await expect(
      testClient().patients.getUpdatedPatients({}, { maxRetries: 1 }),
    ).rejects.toBeInstanceOf(InternalServerError);
    expect(calls.n).toBe(2);
  });

  it('does not retry other 4xx', async () => {
    const calls = sequence(FEED, 'get', [() => failure(404)]);
    await expect(testClient().patients.getUpdatedPatients()).rejects.toBeInstanceOf(NotFoundError);
    expect(calls.n).toBe(1);
  });

  it('retries a GET after a connection error and a timeout (timeoutMs is per attempt)', async () => {
    const calls = sequence(FEED, 'get', [
      () => HttpResponse.error(),
      async () => {
        await delay(300);
        return noContent();
      },
      noContent,
    ]);
    await testClient({ timeoutMs: 100 }).patients.getUpdatedPatients();
    expect(calls.n).toBe(3);
  });

  it('a GET that keeps timing out is a TimeoutError', async () => {
    sequence(FEED, 'get', [
      async () => {
        await delay(300);
        return noContent();
      },
    ]);
    const err = await errorOf(
      testClient({ timeoutMs: 50, maxRetries: 1 }).patients.getUpdatedPatients(),
    );
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err?.message).toBe('Request to integration.demo.medfusion.net timed out after 50 ms');
  });
});

describe('POST invite: never sent twice on its own', () => {
  it.each([429, 503])('retries after %i (the server did not act)', async (status) => {
    const calls = sequence(POST, 'post', [
      () => failure(status, undefined, { 'retry-after': '0' }),
      accepted,
    ]);
    const job = await testClient().patients.invitePatient(minimalInvite());
    expect(calls.n).toBe(2);
    expect(job.dataJobId).toBe('J-1');
  });

  it.each([500, 502, 504, 408])('a %i is an unknown outcome, not retried', async (status) => {
    const calls = sequence(POST, 'post', [() => failure(status), accepted]);
    const err = (await errorOf(
      testClient().patients.invitePatient(minimalInvite('P-9'), { batchId: 'B-77' }),
    )) as SubmissionOutcomeUnknownError;
    expect(err).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect(err.batchId).toBe('B-77');
    expect(err.practicePatientIds).toEqual(['P-9']);
    expect(err.cause).toBeInstanceOf(APIError);
    expect(calls.n).toBe(1);
  });

  it('a reset after sending is an unknown outcome, not retried', async () => {
    const calls = sequence(POST, 'post', [() => HttpResponse.error(), accepted]);
    const err = await errorOf(testClient().patients.invitePatient(minimalInvite()));
    expect(err).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect((err as SubmissionOutcomeUnknownError).cause).toBeInstanceOf(ConnectionError);
    expect(calls.n).toBe(1);
  });

  it('a timeout is an unknown outcome, not retried', async () => {
    const calls = sequence(POST, 'post', [
      async () => {
        await delay(300);
        return accepted();
      },
    ]);
    const err = await errorOf(
      testClient({ timeoutMs: 50 }).patients.invitePatient(minimalInvite()),
    );
    expect(err).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect((err as SubmissionOutcomeUnknownError).cause).toBeInstanceOf(TimeoutError);
    expect(calls.n).toBe(1);
  });

  it('a 401 refreshes the token and posts again (the server refused it)', async () => {
    const calls = sequence(POST, 'post', [() => failure(401), accepted]);
    let tokens = 0;
    server.use(
      http.post(`${BASE}/v1/oauth2/token`, () =>
        HttpResponse.json({ accessToken: `t${++tokens}`, expiresIn: 1799, tokenType: 'BEARER' }),
      ),
    );
    await testClient({
      credentials: { clientId: 'a', clientSecret: 'b', username: 'c', password: 'd' },
    }).patients.invitePatient(minimalInvite());
    expect(calls.n).toBe(2);
    expect(tokens).toBe(2);
  });

  it('a 202 without a job id anywhere is an unknown outcome (accepted, but which job?)', async () => {
    sequence(POST, 'post', [() => new HttpResponse('<html>ok</html>', { status: 202 })]);
    const err = await errorOf(testClient().patients.invitePatient(minimalInvite()));
    expect(err).toBeInstanceOf(SubmissionOutcomeUnknownError);
    expect((err as SubmissionOutcomeUnknownError).cause).toBeInstanceOf(ResponseParseError);
  });
});

describe('a real server on 127.0.0.1 (what a mock can hide)', () => {
  let real: Server;
  let url: string;
  const seen: { method?: string; url?: string; headers: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    real = createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.writeHead(204, { 'last-timestamp': '9,9' }).end();
    });
    await new Promise<void>((r) => real.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(real.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => real.close(() => r())));

  it('sends the query, the bearer token and a User-Agent', async () => {
    server.close(); // let this request reach the socket
    try {
      const client = new MedfusionClient({
        baseUrl: url,
        practiceId: 'p~1',
        credentials: { accessToken: 'tk' },
      });
      const page = await client.patients.getUpdatedPatients({ since: '1600364930000,0', max: 50 });
      expect(page).toEqual({ patients: [], cursor: '9,9', hasMore: false });
      expect(seen[0]).toMatchObject({
        method: 'GET',
        url: '/v2/practice/p~1/patient?since=1600364930000,0&max=50',
      });
      expect(seen[0]?.headers).toMatchObject({
        authorization: 'Bearer tk',
        accept: 'application/xml',
        'user-agent': expect.stringMatching(/^medfusion-patient-sdk\/0\.1\.0 node\//),
      });
    } finally {
      server.listen({ onUnhandledRequest: 'error' });
    }
  });

  it('a refused connection is retried even for a POST (nothing was sent), then a ConnectionError', async () => {
    server.close();
    try {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const log = captureLogger();
      const client = new MedfusionClient({
        baseUrl: `http://127.0.0.1:${port}`,
        practiceId: 'p',
        credentials: { accessToken: 'tk' },
        logger: log,
        retryBackoff: { initialDelayMs: 1 },
      });
      const err = await errorOf(client.patients.invitePatient(minimalInvite()));
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).cause).toEqual({ name: 'AxiosError', code: 'ECONNREFUSED' });
      expect(log.lines.filter((l) => l.fields?.error === 'ConnectionError')).toHaveLength(3);
    } finally {
      server.listen({ onUnhandledRequest: 'error' });
    }
  });
});

describe('abort', () => {
  it('rejects at once while sleeping in a backoff, not after its 30 s', async () => {
    sequence(FEED, 'get', [() => failure(503, undefined, { 'retry-after': '30' })]);
    const controller = new AbortController();
    const call = testClient({
      retryBackoff: { maxRetryAfterMs: 60_000 },
    }).patients.getUpdatedPatients({}, { signal: controller.signal });
    await delay(100);
    const aborted = Date.now();
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - aborted).toBeLessThan(15_000); // half the backoff, however busy the machine
  });

  it('rejects at once during a request, not when its 5 s answer comes', async () => {
    sequence(FEED, 'get', [
      async () => {
        await delay(5000);
        return noContent();
      },
    ]);
    const controller = new AbortController();
    const call = testClient().patients.getUpdatedPatients({}, { signal: controller.signal });
    await delay(50);
    const aborted = Date.now();
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - aborted).toBeLessThan(2500); // half the answer's delay
  });

  it('an already aborted signal sends nothing', async () => {
    const calls = sequence(FEED, 'get', [noContent]);
    await expect(
      testClient().patients.getUpdatedPatients({}, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(calls.n).toBe(0);
  });
});

describe('logging', () => {
  it('one line per attempt: method, path, status, attempt, duration, request id; no query, no body', async () => {
    const log = captureLogger();
    sequence(FEED, 'get', [
      () => failure(503),
      () =>
        new HttpResponse(null, {
          status: 204,
          headers: { 'x-request-id': 'r-1', 'last-timestamp': '1,1' },
        }),
    ]);
    // A cursor of digits nothing else in a log line would hold: the query must not be logged.
    await testClient({ logger: log }).patients.getUpdatedPatients({ since: '1,86420975' });
    const attempts = log.lines.filter((l) => l.fields?.status !== undefined);
    expect(attempts.map((l) => [l.level, l.fields?.status, l.fields?.attempt])).toEqual([
      ['warn', 503, 0],
      ['info', 204, 1],
    ]);
    expect(attempts[1]?.fields).toEqual({
      method: 'GET',
      path: `/v2/practice/${PRACTICE}/patient`,
      attempt: 1,
      status: 204,
      durationMs: expect.any(Number),
      requestId: 'r-1',
    });
    expect(log.text()).not.toContain('86420975');
  });

  it('logLevel filters lines', async () => {
    const log = captureLogger();
    sequence(FEED, 'get', [noContent]);
    await testClient({ logger: log, logLevel: 'warn' }).patients.getUpdatedPatients();
    expect(log.lines).toEqual([]);
  });
});
