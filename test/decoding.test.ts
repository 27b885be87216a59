/**
 * No silent data loss in decoding: repeated single-valued elements, content after the root, invalid
 * records (strict and quarantine), response size limits counted after decompression, ids that are
 * not ids, and the proxy. Served by a real server on 127.0.0.1 (no msw: the proxy tests need real
 * sockets, and nothing here may reach another host).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  ConfigurationError,
  MedfusionError,
  MedfusionClient,
  MemoryCheckpointStore,
  ResponseParseError,
  ValidationError,
  type InvalidRecord,
} from 'medfusion-patient-sdk';
import { encodePatientElement, wrapPatientBatch } from '../src/xml/documents';
import { captureLogger } from './helpers/msw';
import { fullInvite, minimalInvite } from './helpers/fixtures';

const PRACTICE = 'practice-1';
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) =>
  r.writeHead(500).end();
let server: Server;
let url: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (requests.length = 0));

const client = (options: Partial<ConstructorParameters<typeof MedfusionClient>[0]> = {}) =>
  new MedfusionClient({
    baseUrl: url,
    practiceId: PRACTICE,
    credentials: { accessToken: 'tk' },
    maxRetries: 0,
    ...options,
  });

const element = (id: string, invite = minimalInvite(id)) =>
  encodePatientElement({ ...invite, status: { status: 'REGISTERED' } }, 'v2', 'response', {
    practiceId: PRACTICE,
  });
const page = (elements: string[]) =>
  wrapPatientBatch('v2', 'response', { batchId: 'B-1' }, elements);
const serve = (body: string | Buffer, headers: Record<string, string> = {}, cursor = '1,1') => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/xml', 'last-timestamp': cursor, ...headers });
    res.end(body);
  };
};

describe('repeated single-valued elements', () => {
  it.each([
    ['FirstName', '<FirstName>Other</FirstName>', 'PatientBatch/Patient[0]/Name/FirstName'],
    [
      'DateOfBirth',
      '<DateOfBirth>1999-01-01T00:00:00</DateOfBirth>',
      'PatientBatch/Patient[0]/DateOfBirth',
    ],
  ])(
    'two %s elements are a ValidationError naming the XML path, not a silent pick',
    async (tag, second, path) => {
      const one = element('P-1');
      const doubled = one.replace(new RegExp(`(<${tag}>[^<]*</${tag}>)`), `$1${second}`);
      expect(doubled).not.toBe(one);
      serve(page([doubled]));
      const error = await client()
        .patients.getUpdatedPatients()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toContainEqual({ path, rule: 'repeated' });
    },
  );

  it('a repeated element that is empty in all but one copy is not ambiguous', async () => {
    const one = element('P-1');
    serve(page([one.replace('<MiddleName>', '<MiddleName></MiddleName><MiddleName>')]));
    const p = await client().patients.getUpdatedPatients();
    expect(p.patients).toHaveLength(1);
  });
});

describe('content after the root', () => {
  it.each([
    [
      'a second PatientBatch root',
      (b: string) => b + page([element('P-2')]).replace(/^<\?xml[^>]*>/, ''),
    ],
    ['text after the root', (b: string) => `${b}trailing`],
    ['an element after the root', (b: string) => `${b}<Patient/>`],
  ])('%s is a ResponseParseError', async (_name, mutate) => {
    serve(mutate(page([element('P-1')])));
    const error = await client()
      .patients.getUpdatedPatients()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseParseError);
    expect((error as Error).message).toMatch(/content after the root element/);
  });

  it('comments and whitespace after the root are fine', async () => {
    serve(`${page([element('P-1')])}\n<!-- generated -->\n`);
    expect((await client().patients.getUpdatedPatients()).patients).toHaveLength(1);
  });
});

describe('invalid records: strict and quarantine', () => {
  const poisoned = () => {
    const elements = Array.from({ length: 100 }, (_, i) => element(`P-${i}`));
    // Patient 41 lost its PracticePatientId; patient 77 has two dates of birth.
    elements[41] = (elements[41] as string).replace(
      /<PracticePatientId>[^<]*<\/PracticePatientId>/,
      '',
    );
    const bad = fullInvite({ practicePatientId: 'P-77' });
    elements[77] = element('P-77', bad).replace(
      /(<DateOfBirth>[^<]*<\/DateOfBirth>)/,
      '$1<DateOfBirth>1999-01-01T00:00:00</DateOfBirth>',
    );
    return page(elements);
  };

  it('strict (the default): the page is a ValidationError that says how to get past it', async () => {
    serve(poisoned());
    const error = await client()
      .patients.getUpdatedPatients()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/invalidRecords: 'quarantine'/);
  });

  it('quarantine: the 98 valid patients are delivered, the 2 invalid records set aside with their position and rules', async () => {
    serve(poisoned());
    const logger = captureLogger();
    const p = await client({ logger }).patients.getUpdatedPatients({
      invalidRecords: 'quarantine',
    });
    expect(p.patients).toHaveLength(98);
    expect(p.hasMore).toBe(true); // 100 records: the page was full
    const [missing, doubled] = p.invalidRecords as InvalidRecord[];
    expect(missing).toEqual({
      position: 41,
      issues: [{ path: 'patients[41].practicePatientId', rule: 'required' }],
      cursor: '1,1',
    });
    expect(doubled).toEqual({
      position: 77,
      issues: [{ path: 'PatientBatch/Patient[77]/DateOfBirth', rule: 'repeated' }],
      practicePatientId: 'P-77',
      cursor: '1,1',
    });
    // No other value of the record: not its name, its SSN, its e-mail.
    expect(JSON.stringify(p.invalidRecords)).not.toMatch(/Zebulon|987654329|canary/i);
    expect(logger.text()).toMatch(/invalid patient records set aside/);
  });

  it('quarantine with includeRawRecord hands over the raw element, for those who ask', async () => {
    serve(poisoned());
    const p = await client().patients.getUpdatedPatients({
      invalidRecords: 'quarantine',
      includeRawRecord: true,
    });
    const raw = p.invalidRecords?.[1]?.raw ?? '';
    expect(raw.startsWith('<Patient>')).toBe(true);
    expect(raw.endsWith('</Patient>')).toBe(true);
    expect(raw).toContain('<PracticePatientId>P-77</PracticePatientId>');
  });

  it('sync in quarantine hands each invalid record to onInvalidRecord before the cursor moves, and counts them', async () => {
    serve(poisoned());
    const checkpoint = new MemoryCheckpointStore();
    const events: string[] = [];
    const result = await client()
      .patients.sync({
        checkpoint,
        max: 100,
        invalidRecords: 'quarantine',
        onInvalidRecord: async (r) => {
          await new Promise((done) => setTimeout(done, 5));
          events.push(`invalid ${r.position} saved=${checkpoint.history.length}`);
        },
        onPage: async (pg) => void events.push(`page ${pg.patients.length}`),
        prefetch: false,
      })
      .catch((e: unknown) => e);
    // The same page is served for every cursor here, so paging stops at the repeated cursor.
    expect(events.slice(0, 3)).toEqual(['invalid 41 saved=0', 'invalid 77 saved=0', 'page 98']);
    expect(checkpoint.history[0]).toBe('1,1');
    expect(result).toMatchObject({ name: 'PaginationLoopError' });
  });

  it('sync refuses quarantine without onInvalidRecord, and an unknown policy, before any request', async () => {
    await expect(
      client().patients.sync({
        checkpoint: new MemoryCheckpointStore(),
        invalidRecords: 'quarantine',
        onPage: async () => undefined,
      }),
    ).rejects.toMatchObject({ issues: [{ path: 'options.onInvalidRecord' }] });
    await expect(
      // @ts-expect-error: not a policy
      client().patients.getUpdatedPatients({ invalidRecords: 'skip' }),
    ).rejects.toMatchObject({ issues: [{ path: 'params.invalidRecords' }] });
    expect(requests).toEqual([]);
  });
});

describe('response size', () => {
  it('defaults to 4 MiB, sized from a full page', () => {
    expect(client().options.maxResponseBytes).toBe(4 * 1024 * 1024);
  });

  it('counts the decompressed size: a small gzip of a large body is refused', async () => {
    const huge = page(Array.from({ length: 1200 }, (_, i) => element(`P-${i}`)));
    expect(huge.length).toBeGreaterThan(4 * 1024 * 1024);
    const gz = gzipSync(huge);
    expect(gz.length).toBeLessThan(1024 * 1024);
    serve(gz, { 'content-encoding': 'gzip' });
    const error = await client()
      .patients.getUpdatedPatients()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseParseError);
    expect((error as Error).message).toMatch(/maxResponseBytes/);
  });
});

describe('ids that are not ids', () => {
  it.each(['a%2F..%2Fb', 'a\nb', 'a/b', '..', 'a b', 'a\\b', 'a?b', 'a#b', '', 'x'.repeat(129)])(
    'practiceId %j is refused at construction',
    (practiceId) => {
      expect(() => client({ practiceId })).toThrow(ConfigurationError);
    },
  );

  it.each(['x/../y', '%2e%2e', 'a\u0000b', 'job 1', '..'])(
    'job id %j is refused before any request',
    async (job) => {
      await expect(client().batches.getStatus(job)).rejects.toBeInstanceOf(ValidationError);
      expect(requests).toEqual([]);
    },
  );
});

describe('proxy', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of [
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'http_proxy',
      'https_proxy',
      'NO_PROXY',
      'no_proxy',
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  /** A proxy on 127.0.0.1 that records what it was asked and refuses it. */
  async function recordingProxy(): Promise<{
    url: string;
    seen: string[];
    close(): Promise<void>;
  }> {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(502).end();
    });
    proxy.on('connect', (req: IncomingMessage, socket: Socket) => {
      seen.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    return {
      url: `http://user:secret-CANARY@127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      seen,
      close: () => new Promise((r) => proxy.close(() => r())),
    };
  }

  it('the loopback sandbox is never proxied, even with HTTP_PROXY set', async () => {
    const proxy = await recordingProxy();
    process.env.HTTP_PROXY = proxy.url;
    serve(page([element('P-1')]));
    try {
      const c = client();
      expect(c.options.proxy).toBe(false);
      expect((await c.patients.getUpdatedPatients()).patients).toHaveLength(1);
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy from the environment is visible in the options and logged once, without its credentials', () => {
    process.env.HTTPS_PROXY = 'http://user:secret-CANARY@proxy.internal:3128';
    const logger = captureLogger();
    const c = new MedfusionClient({
      environment: 'demo',
      practiceId: PRACTICE,
      credentials: { accessToken: 'tk' },
      logger,
    });
    expect(c.options.proxy).toEqual({ url: 'http://proxy.internal:3128', source: 'HTTPS_PROXY' });
    expect(logger.lines.filter((l) => /proxy/.test(l.message))).toHaveLength(1);
    expect(JSON.stringify(c.options)).not.toContain('secret');
    expect(logger.text()).not.toContain('secret');
    process.env.NO_PROXY = '.medfusion.net';
    expect(
      new MedfusionClient({
        environment: 'demo',
        practiceId: PRACTICE,
        credentials: { accessToken: 'tk' },
      }).options.proxy,
    ).toBe(false);
  });

  it('proxy: false ignores the environment; a bad proxy URL is a ConfigurationError', () => {
    process.env.HTTPS_PROXY = 'http://proxy.internal:3128';
    const c = new MedfusionClient({
      environment: 'demo',
      practiceId: PRACTICE,
      credentials: { accessToken: 'tk' },
      proxy: false,
    });
    expect(c.options.proxy).toBe(false);
    expect(
      () =>
        new MedfusionClient({
          environment: 'demo',
          practiceId: PRACTICE,
          credentials: { accessToken: 'tk' },
          proxy: 'ftp://x',
        }),
    ).toThrow(ConfigurationError);
  });

  it('an explicit proxy carries HTTPS through a CONNECT tunnel (the proxy sees only host and port)', async () => {
    const proxy = await recordingProxy();
    const c = new MedfusionClient({
      environment: 'demo',
      practiceId: PRACTICE,
      credentials: { accessToken: 'tk' },
      proxy: proxy.url,
      maxRetries: 0,
    });
    try {
      expect(c.options.proxy).toEqual({
        url: proxy.url.replace('user:secret-CANARY@', ''),
        source: 'option',
      });
      const error = await c.patients.getUpdatedPatients().catch((e: unknown) => e);
      // The proxy refused the tunnel and axios reports its status. Nothing left 127.0.0.1.
      expect(error).toBeInstanceOf(MedfusionError);
      expect(proxy.seen).toEqual(['CONNECT integration.demo.medfusion.net:443']);
      expect(JSON.stringify(error)).not.toContain('secret');
    } finally {
      await proxy.close();
    }
  });
});
