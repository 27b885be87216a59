/**
 * Clients of many practices in one process: a shared token cache (one token, one token request per
 * credential set) and a shared cap on requests in flight, measured at the sandbox's server.
 */
import { http, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import {
  AbortError,
  AuthenticationError,
  ConfigurationError,
  MedfusionClient,
  RequestLimiter,
  TokenCache,
} from 'medfusion-patient-sdk';
import { sampleInvite, startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';

const server = setupServer(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ practices: 24, seed: 7 });
  for (const id of sb.practiceIds) sb.practice(id).seedRegisteredPatients(3);
});
afterAll(() => sb.close());
beforeEach(() => {
  sb.clearFaults();
  sb.traffic.maxInFlight = sb.traffic.inFlight;
});

const clientFor = (practiceId: string, extra: object = {}): MedfusionClient =>
  new MedfusionClient({
    baseUrl: sb.url,
    practiceId,
    credentials: sb.credentials,
    maxRetries: 0,
    ...extra,
  });

describe('TokenCache', () => {
  it('gives clients with the same credentials one token, fetched once however many ask at once', async () => {
    const tokenCache = new TokenCache();
    const before = sb.stats.tokensIssued;
    const clients = sb.practiceIds.map((id) => clientFor(id, { tokenCache }));
    const pages = await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    expect(pages.map((p) => p.patients.length)).toEqual(sb.practiceIds.map(() => 3));
    expect(sb.stats.tokensIssued - before).toBe(1);
    expect(tokenCache.size).toBe(1);
  });

  it('is what makes the difference: clients without one fetch a token each', async () => {
    const before = sb.stats.tokensIssued;
    const clients = sb.practiceIds.slice(0, 5).map((id) => clientFor(id));
    await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    expect(sb.stats.tokensIssued - before).toBe(5);
  });

  it('keeps credential sets apart, and hosts too', async () => {
    const tokenCache = new TokenCache();
    const other = await startSandbox({ seed: 8 });
    try {
      const a = clientFor(sb.practiceIds[0] as string, { tokenCache });
      const b = new MedfusionClient({
        baseUrl: other.url,
        practiceId: other.practiceId,
        credentials: other.credentials,
        tokenCache,
      });
      const c = clientFor(sb.practiceIds[1] as string, {
        tokenCache,
        credentials: {
          appToken: sb.credentials.appToken,
          username: sb.credentials.username,
          password: sb.credentials.password,
        },
      });
      await Promise.all([a, b, c].map((x) => x.patients.getUpdatedPatients()));
      expect(tokenCache.size).toBe(3);
      expect(other.stats.tokensIssued).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('shares a refreshed token after a 401: one new token request for all', async () => {
    const tokenCache = new TokenCache();
    const clients = sb.practiceIds.slice(0, 8).map((id) => clientFor(id, { tokenCache }));
    await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    sb.injectFaults({ expireTokens: true });
    const before = sb.stats.tokensIssued;
    await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    expect(sb.stats.tokensIssued - before).toBe(1);
  });

  it('fetches one token per login when practices have logins of their own', async () => {
    const many = await startSandbox({ practices: 12, logins: 3, seed: 9 });
    try {
      expect(many.logins.map((l) => l.username)).toEqual([
        'sandbox-practice-user',
        'sandbox-practice-user-1',
        'sandbox-practice-user-2',
      ]);
      const tokenCache = new TokenCache();
      const clients = many.practiceIds.map(
        (id) =>
          new MedfusionClient({
            baseUrl: many.url,
            practiceId: id,
            credentials: many.credentialsFor(id),
            tokenCache,
          }),
      );
      await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
      expect(tokenCache.size).toBe(3);
      expect(many.stats.tokensByUsername).toEqual({
        'sandbox-practice-user': 1,
        'sandbox-practice-user-1': 1,
        'sandbox-practice-user-2': 1,
      });
      // A practice accepts only its own login's tokens.
      const wrong = new MedfusionClient({
        baseUrl: many.url,
        practiceId: many.practiceIds[1] as string,
        credentials: many.logins[0] as (typeof many.logins)[number],
        maxRetries: 0,
      });
      await expect(wrong.patients.getUpdatedPatients()).rejects.toBeInstanceOf(AuthenticationError);
    } finally {
      await many.close();
    }
  });

  it('is refused when it is not a TokenCache', () => {
    expect(() => clientFor(sb.practiceId, { tokenCache: {} })).toThrow(ConfigurationError);
    expect(() => clientFor(sb.practiceId, { tokenCache: {} })).toThrow(
      /'tokenCache': must be a TokenCache/,
    );
  });
});

describe('RequestLimiter', () => {
  it('caps requests in flight across all the clients that share it, and the cap is reached', async () => {
    sb.injectFaults({ latencyMs: 40 });
    const tokenCache = new TokenCache();
    const requestLimiter = new RequestLimiter(4);
    const clients = sb.practiceIds.map((id) => clientFor(id, { tokenCache, requestLimiter }));
    await clients[0]?.patients.getUpdatedPatients(); // the token, so only feed reads race below
    sb.traffic.maxInFlight = 0;
    await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    expect(sb.traffic.maxInFlight).toBe(4);
    expect(requestLimiter.maxObserved).toBe(4);
    expect(requestLimiter.inFlight).toBe(0);
    expect(requestLimiter.waiting).toBe(0);
  });

  it('is what makes the difference: without it they all go at once', async () => {
    sb.injectFaults({ latencyMs: 40 });
    const tokenCache = new TokenCache();
    const clients = sb.practiceIds.map((id) => clientFor(id, { tokenCache }));
    await clients[0]?.patients.getUpdatedPatients();
    sb.traffic.maxInFlight = 0;
    await Promise.all(clients.map((c) => c.patients.getUpdatedPatients()));
    expect(sb.traffic.maxInFlight).toBeGreaterThan(4);
  });

  it('gives up a wait on abort with AbortError, and a POST that waited was never sent', async () => {
    sb.injectFaults({ latencyMs: 300 });
    const requestLimiter = new RequestLimiter(1);
    const tokenCache = new TokenCache();
    const [a, b] = sb.practiceIds.map((id) => clientFor(id, { tokenCache, requestLimiter }));
    await a?.patients.getUpdatedPatients();
    const target = sb.practice(sb.practiceIds[1] as string);
    const received = target.stats.batchesReceived;
    const slow = a?.patients.getUpdatedPatients().then((page) => page.patients.length);
    await new Promise((r) => setTimeout(r, 20)); // its request holds the one slot
    const controller = new AbortController();
    const invite = b?.patients.invitePatient(sampleInvite(1), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(invite).rejects.toBeInstanceOf(AbortError);
    await slow;
    expect(target.stats.batchesReceived).toBe(received);
    expect(requestLimiter.inFlight).toBe(0);
    expect(requestLimiter.waiting).toBe(0);
  });

  it('refuses a cap below 1', () => {
    expect(() => new RequestLimiter(0)).toThrow(RangeError);
    expect(() => new RequestLimiter(1.5)).toThrow(RangeError);
    expect(() => clientFor(sb.practiceId, { requestLimiter: { maxInFlight: 2 } })).toThrow(
      /'requestLimiter': must be a RequestLimiter/,
    );
  });
});
