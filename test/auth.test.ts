import { http, HttpResponse, delay } from 'msw';
import { AuthenticationError, OAuthError } from 'medfusion-patient-sdk';
import { BASE, CREDENTIALS, PRACTICE, captureLogger, testClient, useMsw } from './helpers/msw';

const server = useMsw();
const FEED = `${BASE}/v2/practice/${PRACTICE}/patient`;

interface Seen {
  tokenRequests: {
    authorization: string | null;
    contentType: string | null;
    accept: string | null;
    body: string;
  }[];
  apiAuth: (string | null)[];
}

function oauth(seen: Seen, opts: { expiresIn?: number; status?: number } = {}) {
  let n = 0;
  return http.post(`${BASE}/v1/oauth2/token`, async ({ request }) => {
    seen.tokenRequests.push({
      authorization: request.headers.get('authorization'),
      contentType: request.headers.get('content-type'),
      accept: request.headers.get('accept'),
      body: await request.text(),
    });
    await delay(20);
    if (opts.status) return HttpResponse.json({ error: 'invalid_grant' }, { status: opts.status });
    n++;
    return HttpResponse.json({
      tokenType: 'BEARER',
      expiresIn: opts.expiresIn ?? 1799,
      refreshToken: null,
      accessToken: `tok-${n}`,
      accessTokenSecret: null,
    });
  });
}

function feed(seen: Seen, valid: (auth: string | null) => boolean = (auth) => auth !== null) {
  return http.get(FEED, ({ request }) => {
    const auth = request.headers.get('authorization');
    seen.apiAuth.push(auth);
    return valid(auth)
      ? new HttpResponse(null, { status: 204, headers: { 'last-timestamp': '1,0' } })
      : new HttpResponse(null, { status: 401 });
  });
}

const fresh = (): Seen => ({ tokenRequests: [], apiAuth: [] });

describe('OAuth password grant', () => {
  it('sends raw Basic id:secret by default, a form body, and uses the camelCase token', async () => {
    const seen = fresh();
    server.use(oauth(seen), feed(seen));
    await testClient({ credentials: CREDENTIALS }).patients.getUpdatedPatients();
    expect(seen.tokenRequests).toEqual([
      {
        authorization: 'Basic cid-CANARY:csecret-CANARY',
        contentType: 'application/x-www-form-urlencoded',
        accept: 'application/json',
        body: 'grant_type=password&username=user-CANARY&password=pw-CANARY',
      },
    ]);
    expect(seen.apiAuth).toEqual(['Bearer tok-1']);
  });

  it('sends base64 Basic when asked', async () => {
    const seen = fresh();
    server.use(oauth(seen), feed(seen));
    await testClient({
      credentials: CREDENTIALS,
      basicAuth: 'base64',
    }).patients.getUpdatedPatients();
    expect(seen.tokenRequests[0]?.authorization).toBe(
      `Basic ${Buffer.from('cid-CANARY:csecret-CANARY').toString('base64')}`,
    );
  });

  it('fetches the client id and secret for an app token first', async () => {
    const seen = fresh();
    const apps: string[] = [];
    server.use(
      http.get(`${BASE}/v1/oauth2/oauthapplication/:token`, ({ params, request }) => {
        apps.push(`${String(params.token)} ${request.headers.get('accept')}`);
        return HttpResponse.json({
          applicationName: 'x',
          grantTypes: ['password'],
          clientId: 'app-id',
          clientSecret: 'app-secret',
          oauthVersion: 'O_AUTH_2_0',
        });
      }),
      oauth(seen),
      feed(seen, (auth) => auth !== 'Bearer tok-1'), // the first token is revoked: a second one
    );
    const client = testClient({
      credentials: { appToken: 'APP/TOKEN', username: 'u', password: 'p' },
    });
    await client.patients.getUpdatedPatients();
    await client.patients.getUpdatedPatients();
    expect(apps).toEqual(['APP/TOKEN application/json']);
    expect(seen.tokenRequests.map((r) => r.authorization)).toEqual([
      'Basic app-id:app-secret',
      'Basic app-id:app-secret',
    ]);
  });

  it('uses a caller-managed access token as is', async () => {
    const seen = fresh();
    server.use(feed(seen));
    await testClient({ credentials: { accessToken: 'mine' } }).patients.getUpdatedPatients();
    expect(seen.apiAuth).toEqual(['Bearer mine']);
    expect(seen.tokenRequests).toEqual([]);
  });

  it('reuses a token until shortly before it expires, then fetches a new one', async () => {
    const seen = fresh();
    server.use(oauth(seen, { expiresIn: 3600 }), feed(seen));
    const client = testClient({ credentials: CREDENTIALS });
    const start = Date.now();
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(start);
      await client.patients.getUpdatedPatients();
      now.mockReturnValue(start + 3479_000); // 121 s before expiry: still reused
      await client.patients.getUpdatedPatients();
      expect(seen.tokenRequests).toHaveLength(1);
      now.mockReturnValue(start + 3481_000); // inside the 120 s margin: renewed
      await client.patients.getUpdatedPatients();
    } finally {
      now.mockRestore();
    }
    expect(seen.tokenRequests).toHaveLength(2);
    expect(seen.apiAuth).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it.each([0, -5, 2])(
    'a token lifetime of %i s is floored at 60 s, logged once: five calls, one token request',
    async (expiresIn) => {
      const seen = fresh();
      server.use(oauth(seen, { expiresIn }), feed(seen));
      const log = captureLogger();
      const client = testClient({ credentials: CREDENTIALS, logger: log });
      for (let i = 0; i < 5; i++) await client.patients.getUpdatedPatients();
      expect(seen.apiAuth).toHaveLength(5);
      expect(seen.tokenRequests).toHaveLength(1);
      const warned = log.lines.filter((l) => /token lifetime below the floor/.test(l.message));
      expect(warned).toHaveLength(1);
      expect(warned[0]?.fields).toEqual({ expiresIn, floorSeconds: 60 });
    },
  );

  it('fifty concurrent calls with an expired token make exactly one token request', async () => {
    const seen = fresh();
    server.use(
      oauth(seen),
      feed(seen, (auth) => auth !== 'Bearer tok-1'),
    );
    const client = testClient({ credentials: CREDENTIALS });
    await expect(client.patients.getUpdatedPatients()).resolves.toBeDefined(); // tok-1 refused (expired), tok-2 taken
    seen.tokenRequests.length = 0;
    seen.apiAuth.length = 0;
    server.use(feed(seen, (auth) => auth === 'Bearer tok-3'));
    await Promise.all(Array.from({ length: 50 }, () => client.patients.getUpdatedPatients()));
    expect(seen.tokenRequests).toHaveLength(1);
    expect(seen.apiAuth.filter((a) => a === 'Bearer tok-3')).toHaveLength(50);
  });

  it('a 401 invalidates the token and retries the call once, then gives up', async () => {
    const seen = fresh();
    server.use(
      oauth(seen),
      feed(seen, () => false),
    );
    const err = await testClient({ credentials: CREDENTIALS })
      .patients.getUpdatedPatients()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401 });
    expect(seen.apiAuth).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('a refused token request is an OAuthError with the status and no credential', async () => {
    const seen = fresh();
    server.use(oauth(seen, { status: 400 }), feed(seen));
    const err = await testClient({ credentials: CREDENTIALS, maxRetries: 0 })
      .patients.getUpdatedPatients()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ status: 400 });
    expect(JSON.stringify(err) + String(err)).not.toMatch(/CANARY/);
    expect(seen.apiAuth).toEqual([]);
  });
});
