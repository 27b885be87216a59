/**
 * Rough edges a new user hit, one test each (each failed on the main of 2026-11-24), and the
 * ecosystem fits: loggers (pino, winston, console, for real), raw responses, environment defaults.
 */
import { execFile } from 'node:child_process';
import { Console } from 'node:console';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import winston from 'winston';
import * as sdk from 'medfusion-patient-sdk';
import {
  AbortError,
  ConfigurationError,
  ConnectionError,
  FileCheckpointStore,
  MedfusionClient,
  MedfusionError,
  OAuthError,
  StateStoreError,
  TimeoutError,
} from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { minimalInvite } from './helpers/fixtures';

let sb: Sandbox;
let client: MedfusionClient;
beforeAll(async () => {
  sb = await startSandbox();
  client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
});
afterAll(() => sb.close());

const sink = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
};

describe('error classes', () => {
  const classes = Object.entries(sdk).filter(
    ([, v]) =>
      typeof v === 'function' &&
      v !== MedfusionError &&
      (v as { prototype?: unknown }).prototype instanceof Error,
  ) as [string, typeof MedfusionError][];

  it('every subclass: Sub.prototype instanceof MedfusionError, and its parents', () => {
    expect(classes.length).toBeGreaterThan(20);
    for (const [name, Class] of classes) {
      expect([name, Class.prototype instanceof MedfusionError]).toEqual([name, true]);
    }
    expect(sdk.TimeoutError.prototype instanceof sdk.ConnectionError).toBe(true);
    expect(sdk.RateLimitError.prototype instanceof sdk.APIError).toBe(true);
    expect(sdk.ConnectionError.prototype instanceof sdk.APIError).toBe(false);
    expect({} instanceof MedfusionError).toBe(false);
  });
});

describe('FileCheckpointStore', () => {
  it('a missing directory fails before the first request, as a StateStoreError, with onPage never called', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    rmSync(dir, { recursive: true });
    const requests = sb.stats.requests;
    let pages = 0;
    const error = await client.patients
      .sync({
        checkpoint: new FileCheckpointStore(join(dir, 'cursor')),
        onPage: async () => void pages++,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ operation: 'checkpoint.open', cause: { code: 'ENOENT' } });
    expect(pages).toBe(0);
    expect(sb.stats.requests).toBe(requests);
  });
});

describe('OAuthError', () => {
  it('keeps the OAuth error code and says what to check', async () => {
    const badClient = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: { ...sb.credentials, clientSecret: 'wrong-CANARY' },
    });
    const e1 = (await badClient.patients
      .getUpdatedPatients()
      .catch((e: unknown) => e)) as OAuthError;
    expect(e1).toBeInstanceOf(OAuthError);
    expect(e1).toMatchObject({ status: 401, code: 'invalid_client' });
    expect(e1.message).toMatch(/basicAuth/);
    const badUser = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: { ...sb.credentials, password: 'wrong-CANARY' },
    });
    const e2 = (await badUser.patients.getUpdatedPatients().catch((e: unknown) => e)) as OAuthError;
    expect(e2).toMatchObject({ status: 400, code: 'invalid_grant' });
    expect(e2.message).toMatch(/username and password/);
    expect(JSON.stringify([e1, e2])).not.toContain('CANARY');
  });
});

describe('options', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'environment %j is refused',
    (environment) => {
      expect(
        () =>
          new MedfusionClient({
            practiceId: 'p',
            environment: environment as 'demo',
            credentials: { accessToken: 't' },
          }),
      ).toThrow(ConfigurationError);
    },
  );

  it('a baseUrl with a path is logged and reported with its real path', async () => {
    const { lines, stream } = sink();
    const logger = new Console(stream);
    const c = new MedfusionClient({
      baseUrl: `${sb.url}/api`,
      practiceId: sb.practiceId,
      credentials: { accessToken: 'x' },
      logger,
      maxRetries: 0,
    });
    const error = await c.patients.getUpdatedPatients().catch((e: unknown) => e);
    // The sandbox has no /api prefix: its 401 now shows where the request really went.
    expect((error as Error).message).toContain(
      `GET /api/v2/practice/${sb.practiceId}/patient failed with status 401`,
    );
    expect(lines.join('\n')).toContain(`path: '/api/v2/practice/${sb.practiceId}/patient'`);
  });

  it('reads MEDFUSION_* variables for options not given; given options win', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        MEDFUSION_CLIENT_ID: sb.credentials.clientId,
        MEDFUSION_CLIENT_SECRET: sb.credentials.clientSecret,
        MEDFUSION_USERNAME: sb.credentials.username,
        MEDFUSION_PASSWORD: sb.credentials.password,
        MEDFUSION_PRACTICE_ID: sb.practiceId,
        MEDFUSION_BASE_URL: sb.url,
      });
      const fromEnv = new MedfusionClient();
      expect(fromEnv.options.practiceId).toBe(sb.practiceId);
      expect(fromEnv.options.baseUrl).toBe(sb.url);
      expect(
        (await fromEnv.patients.getUpdatedPatients()).lastResponse?.status,
      ).toBeGreaterThanOrEqual(200);
      const given = new MedfusionClient({ practiceId: 'other', environment: 'demo' });
      expect(given.options.practiceId).toBe('other');
      expect(given.options.baseUrl).toBe('https://integration.demo.medfusion.net');
      delete process.env.MEDFUSION_PRACTICE_ID;
      expect(() => new MedfusionClient()).toThrow(/MEDFUSION_PRACTICE_ID/);
    } finally {
      for (const k of Object.keys(process.env))
        if (k.startsWith('MEDFUSION_') && !(k in saved)) delete process.env[k];
    }
  });
});

describe('transport errors', () => {
  it('ConnectionError names the host it could not reach', async () => {
    const c = new MedfusionClient({
      baseUrl: 'http://127.0.0.1:1',
      practiceId: 'p',
      credentials: { accessToken: 't' },
      maxRetries: 0,
    });
    const error = (await c.patients
      .getUpdatedPatients()
      .catch((e: unknown) => e)) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.host).toBe('127.0.0.1:1');
    expect(error.message).toContain('127.0.0.1:1');
  });

  it('AbortError keeps whether a timeout signal or a cancel stopped it', async () => {
    sb.injectFaults({ latencyMs: 300 });
    try {
      const timedOut = (await client.patients
        .getUpdatedPatients({}, { signal: AbortSignal.timeout(30) })
        .catch((e: unknown) => e)) as AbortError;
      expect(timedOut).toBeInstanceOf(AbortError);
      expect(timedOut.reason).toBe('timeout');
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('user pressed stop CANARY')), 30);
      const cancelled = (await client.patients
        .getUpdatedPatients({}, { signal: controller.signal })
        .catch((e: unknown) => e)) as AbortError;
      expect(cancelled.reason).toBe('caller');
      expect(JSON.stringify(cancelled)).not.toContain('CANARY');
    } finally {
      sb.clearFaults();
    }
  });
});

describe('waitForCompletion', () => {
  it('waitTimeoutMs is the whole wait; requestOptions apply to each poll; timeoutMs still works, deprecated', async () => {
    const job = await client.patients.invitePatient(minimalInvite('W-1'));
    sb.injectFaults({ latencyMs: 200 });
    try {
      // Each poll may take 50 ms at most: the slow status answer is a TimeoutError of the poll.
      await expect(
        client.batches.waitForCompletion(job, {
          waitTimeoutMs: 5000,
          requestOptions: { timeoutMs: 50, maxRetries: 0 },
        }),
      ).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      sb.clearFaults();
    }
    const done = await client.batches.waitForCompletion(job, { timeoutMs: 5000, minDelayMs: 10 });
    expect(done.done).toBe(true);
  });
});

describe('raw responses', () => {
  it('every result carries lastResponse (status, headers, request id), out of its JSON', async () => {
    const job = await client.patients.invitePatient(minimalInvite('R-1'));
    expect(job.lastResponse).toMatchObject({
      status: 202,
      requestId: expect.stringMatching(/^sbx-/),
    });
    expect(job.lastResponse?.headers.location).toBe(job.statusUrl);
    expect(JSON.stringify(job)).not.toContain('lastResponse');
    const status = await client.batches.getStatus(job);
    expect(status.lastResponse).toMatchObject({
      status: 200,
      requestId: expect.stringMatching(/^sbx-/),
    });
    sb.registerPatient('R-1');
    const page = await client.patients.getUpdatedPatients();
    expect(page.lastResponse?.status).toBe(200);
    expect(page.lastResponse?.requestId).toMatch(/^sbx-/);
    const result = await client.patients.sync({
      checkpoint: new sdk.MemoryCheckpointStore(),
      onPage: async () => undefined,
    });
    expect(result.lastResponse?.requestId).toMatch(/^sbx-/);
    const [first] = await client.patients.invitePatients([minimalInvite('R-2')]);
    expect(first?.lastResponse?.status).toBe(202);
  });
});

describe('loggers, for real', () => {
  const fieldsOf = (line: Record<string, unknown>) => ({
    method: line.method,
    status: line.status,
  });

  it('pino gets the message and the fields (recognised and adapted)', async () => {
    const { lines, stream } = sink();
    const c = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
      logger: pino(stream),
    });
    await c.patients.getUpdatedPatients();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const get = parsed.find((l) => l.method === 'GET' && String(l.path).endsWith('/patient'));
    expect(get).toMatchObject({ msg: 'medfusion request', level: 30 });
    expect(fieldsOf(get as Record<string, unknown>)).toEqual({
      method: 'GET',
      status: expect.any(Number),
    });
    expect(get?.requestId).toMatch(/^sbx-/);
  });

  it('pinoLogger() adapts a pino logger explicitly', async () => {
    const { lines, stream } = sink();
    sdk.pinoLogger(pino(stream)).info('hello', { a: 1 });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'hello', a: 1 });
  });

  it('winston gets the message and the fields', async () => {
    const { lines, stream } = sink();
    const logger = winston.createLogger({
      format: winston.format.json(),
      transports: [new winston.transports.Stream({ stream })],
    });
    const c = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
      logger,
    });
    await c.patients.getUpdatedPatients();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const get = parsed.find((l) => l.method === 'GET' && String(l.path).endsWith('/patient'));
    expect(get).toMatchObject({ message: 'medfusion request', level: 'info', method: 'GET' });
    expect(get?.requestId).toMatch(/^sbx-/);
  });

  it('console gets the message and the fields', async () => {
    const { lines, stream } = sink();
    const c = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
      logger: new Console(stream),
    });
    await c.patients.getUpdatedPatients();
    const text = lines.join('\n');
    expect(text).toContain('medfusion request');
    expect(text).toMatch(/method: 'GET'/);
    expect(text).toMatch(/status: 20\d/);
  });
});

describe('medfusion-sandbox bin', () => {
  it('--seed-patients 3.5 is refused: counts are integers', async () => {
    const tsxCli = join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const error = (await promisify(execFile)(process.execPath, [
      tsxCli,
      join(__dirname, '..', 'src/sandbox/cli.ts'),
      '--seed-patients',
      '3.5',
    ]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toMatch(/--seed-patients must be an integer/);
  });
});
