/**
 * The fleet's parts that need no job engine: the PHI-free job error, the operator view read from a
 * real PostgreSQL, the option checks and the status command's usage.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  APIError,
  OAuthError,
  StateStoreError,
  ValidationError,
  TimeoutError,
} from 'medfusion-patient-sdk';
import {
  FleetJobError,
  FleetWorker,
  formatAge,
  formatFleetStatus,
  migrateFleet,
  readFleetStatus,
  type FleetBoss,
  type BossJob,
} from 'medfusion-patient-sdk/fleet';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

describe('FleetJobError', () => {
  it('keeps the class of a failure of your code, never its message, stack or fields', () => {
    const yours = Object.assign(new Error('duplicate key (email)=(zebulon.canary@example.test)'), {
      detail: 'Key (name)=(Zebulon Quixote)',
      code: '23505',
    });
    const e = new FleetJobError('sync', 'practice-1', yours);
    expect(e.toJSON()).toEqual({
      name: 'FleetJobError',
      message: 'sync of practice practice-1 failed: Error [23505]',
      kind: 'sync',
      practiceId: 'practice-1',
      errorClass: 'Error',
      origin: 'callback',
      code: '23505',
      retryable: true,
    });
    expect(JSON.stringify(e)).not.toMatch(/zebulon|Quixote|duplicate/i);
    expect(String(e.stack)).not.toMatch(/zebulon|Quixote/i);
    expect(e).not.toHaveProperty('cause');
  });

  it('names SDK failures by class, with their status or code, and judges whether a retry can help', () => {
    const api = APIError.generate({
      status: 503,
      headers: {},
      method: 'GET',
      path: '/v2/practice/p/patient',
    });
    expect(new FleetJobError('sync', 'p', api)).toMatchObject({
      errorClass: 'InternalServerError',
      status: 503,
      origin: 'sdk',
      retryable: true,
    });
    const notFound = APIError.generate({ status: 404, headers: {}, method: 'GET', path: '/x' });
    expect(new FleetJobError('sync', 'p', notFound)).toMatchObject({
      errorClass: 'NotFoundError',
      retryable: false,
    });
    expect(new FleetJobError('invite', 'p', new ValidationError('invites', []))).toMatchObject({
      errorClass: 'ValidationError',
      retryable: false,
    });
    expect(
      new FleetJobError('sync', 'p', new OAuthError(400, 'refused', 'invalid_grant')),
    ).toMatchObject({
      errorClass: 'OAuthError',
      code: 'invalid_grant',
      status: undefined,
    });
    expect(
      new FleetJobError(
        'sync',
        'p',
        new StateStoreError('checkpoint.commit', { name: 'DatabaseError', code: '40001' }),
      ),
    ).toMatchObject({
      errorClass: 'StateStoreError',
      code: '40001',
    });
    expect(
      new FleetJobError('sync', 'p', new TimeoutError({ name: 'AxiosError' }, 30000, 'h:443'))
        .message,
    ).toBe('sync of practice p failed: TimeoutError');
    // A name or code that is not a plain identifier is not echoed.
    expect(
      new FleetJobError('sync', 'p', { name: 'Zebulon Quixote <x>', code: 'has spaces in it' }),
    ).toMatchObject({
      errorClass: 'Error',
      code: undefined,
    });
    expect(new FleetJobError('sync', 'p', 'a string').errorClass).toBe('string');
    expect(new FleetJobError('invite', 'p', new Error('x'), false).retryable).toBe(false);
  });
});

describe('readFleetStatus', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateFleet(db.pool, 'medfusion');
    await migrateFleet(db.pool, 'medfusion'); // idempotent
    await db.pool.query(`
      INSERT INTO medfusion.fleet_practices
        (practice_id, last_success_at, last_outcome, last_run_pages, last_run_patients, last_error_class, consecutive_failures, not_before)
      VALUES
        ('a-current', now() - interval '30 seconds', 'synced', 2, 150, NULL, 0, NULL),
        ('b-stale',   now() - interval '2 hours',    'failed', 1, 0, 'TimeoutError', 3, NULL),
        ('c-limited', now() - interval '5 minutes',  'rate-limited', 0, 0, NULL, 0, now() + interval '1 minute'),
        ('d-never',   NULL,                          'failed', 0, 0, 'OAuthError', 1, now() - interval '1 minute');
      INSERT INTO medfusion.checkpoints (practice_id, environment, api_version, cursor, fence, holder, lease_expires_at)
      VALUES ('a-current', 'production', 'v2', '1,0', 3, 'fleet:web-1', now() + interval '20 seconds'),
             ('e-leased-only', 'production', 'v2', NULL, 1, 'fleet:web-2', now() + interval '20 seconds'),
             ('b-stale', 'production', 'v2', '2,0', 9, 'fleet:web-9', now() - interval '1 minute');
      INSERT INTO medfusion.invitation_batches (content_hash, practice_id, practice_patient_ids, state)
      VALUES ('h1', 'c-limited', '{X1}', 'sending'), ('h2', 'c-limited', '{X2}', 'sending'),
             ('h3', 'a-current', '{X3}', 'accepted');`);
  });
  afterAll(() => db.drop());

  it('gives one line per practice and the counts', async () => {
    const status = await readFleetStatus(db.pool, { bossSchema: 'pgboss_missing' });
    expect(status.practices.map((p) => p.practiceId)).toEqual([
      'a-current',
      'b-stale',
      'c-limited',
      'd-never',
      'e-leased-only',
    ]);
    const [a, b, c, d, e] = status.practices;
    expect(a).toMatchObject({
      lastOutcome: 'synced',
      lastRunPages: 2,
      lastRunPatients: 150,
      leaseHolder: 'fleet:web-1',
    });
    expect(a?.lagSeconds).toBeGreaterThanOrEqual(29);
    expect(a?.lagSeconds).toBeLessThan(60);
    expect(b).toMatchObject({
      leaseHolder: undefined,
      lastErrorClass: 'TimeoutError',
      consecutiveFailures: 3,
    });
    expect(c?.rateLimitedUntil).toBeInstanceOf(Date);
    expect(c?.unknownInvitationBatches).toBe(2);
    expect(d).toMatchObject({
      lastSuccessAt: undefined,
      lagSeconds: undefined,
      rateLimitedUntil: undefined,
    });
    expect(e).toMatchObject({ leaseHolder: 'fleet:web-2', lastOutcome: undefined });
    expect(status.summary).toEqual({
      practices: 5,
      current: 2,
      stale: 1,
      neverSynced: 2,
      failing: 2,
      rateLimited: 1,
      syncing: 2,
      unknownInvitationBatches: 2,
      deadLetters: 0,
    });
    const text = formatFleetStatus(status);
    expect(text).toMatch(/^b-stale\s+\S+\s+2h\s+1\s+0\s+-\s+failed\s+TimeoutError x3$/m);
    expect(text).toMatch(
      /5 practices: 2 current, 1 stale, 2 never synced, 2 failing, 1 rate-limited, 2 syncing now; 2 invitation batch\(es\) of unknown outcome; 0 dead letter\(s\)$/,
    );
  });

  it('judges staleness by the threshold given', async () => {
    const status = await readFleetStatus(db.pool, { staleAfterSeconds: 10 });
    expect(status.summary).toMatchObject({ current: 0, stale: 3, deadLetters: undefined });
  });

  it('formats ages', () => {
    expect([undefined, 5, 125, 7200, 200000].map(formatAge)).toEqual([
      'never',
      '5s',
      '2m',
      '2h',
      '2d',
    ]);
  });

  it('reports a missing table as a StateStoreError with its SQLSTATE', async () => {
    await expect(readFleetStatus(db.pool, { schema: 'nothing_here' })).rejects.toMatchObject({
      name: 'StateStoreError',
      cause: { code: '42P01' },
    });
  });
});

describe('FleetWorker options', () => {
  const boss = {} as FleetBoss;
  const base = {
    boss,
    pool: { query: jest.fn(), connect: jest.fn() },
    clientOptions: () => ({}),
    onPage: async () => undefined,
  };
  it('refuses numbers out of range before touching anything', () => {
    expect(() => new FleetWorker({ ...base, concurrency: 0 })).toThrow(
      'FleetWorker: concurrency must be an integer >= 1',
    );
    expect(() => new FleetWorker({ ...base, heartbeatSeconds: 5 })).toThrow(
      /heartbeatSeconds must be an integer >= 10/,
    );
    expect(() => new FleetWorker({ ...base, maxRequestsInFlight: 1.5 })).toThrow(RangeError);
    expect(() => new FleetWorker({ ...base, leaseMs: 10 })).toThrow(/leaseMs/);
    expect(() => new FleetWorker({ ...base, retry: { limit: -1 } })).toThrow(/retry\.limit/);
    expect(() => new FleetWorker({ ...base, jobTimeoutSeconds: 0 })).toThrow(/jobTimeoutSeconds/);
  });
  it('refuses a schedule it cannot express', async () => {
    const worker = new FleetWorker(base);
    await expect(worker.schedule(['p'], { everyMinutes: 90 })).rejects.toThrow(
      /everyMinutes must be an integer from 1 to 60/,
    );
    expect(base.pool.query).not.toHaveBeenCalled();
  });
  it('names its queues after the prefix', () => {
    expect(new FleetWorker({ ...base, queuePrefix: 'acme' }).queues).toEqual({
      sync: 'acme.sync',
      invite: 'acme.invite',
      deadLetter: 'acme.dead-letter',
    });
  });
});

describe('medfusion-fleet', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', 'src', 'fleet', 'cli.ts'), ...args],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
      },
    );
  it('prints its usage with --help, and refuses a missing command or database', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/Usage: medfusion-fleet status/);
    await expect(cli([])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Usage/),
    });
    await expect(cli(['status'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--database-url/),
    });
    await expect(
      cli(['status', '--database-url', 'postgres://u@127.0.0.1:1/x', '--watch', '0']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--watch must be a number > 0/),
    });
  });
  it('says the class and code of a database failure, not its text', async () => {
    const failed = await cli([
      'status',
      '--database-url',
      'postgres://u:secret-pw@127.0.0.1:1/x',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(
      /^medfusion-fleet: Error \(ECONNREFUSED\)\n$/,
    );
    expect((failed as { stderr: string }).stderr).not.toContain('secret-pw');
  });
});

describe('FleetWorker jobs it cannot read', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it("dead-letters a job whose data is not the fleet's, and logs it through pino as pino expects", async () => {
    // The job engine's side of one exchange, recorded: which queues were made and worked.
    const handlers = new Map<string, (jobs: BossJob[]) => Promise<unknown>>();
    const created: string[] = [];
    const boss: FleetBoss = {
      createQueue: async (name) => void created.push(name),
      send: async () => null,
      work: async (name, _options, handler) => {
        handlers.set(name, handler);
        return name;
      },
      offWork: async () => undefined,
      schedule: async () => undefined,
      unschedule: async () => undefined,
    };
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const worker = new FleetWorker({
      boss,
      pool: db.pool,
      clientOptions: () => ({}),
      onPage: async () => undefined,
      logger: pino({ base: undefined, timestamp: false }, sink),
    });
    await worker.start();
    expect(created).toEqual(['medfusion.dead-letter', 'medfusion.sync', 'medfusion.invite']);
    expect([...handlers.keys()]).toEqual(['medfusion.sync']); // no loadInvites: no invitation jobs taken
    const results = await handlers.get('medfusion.sync')?.([
      { id: 'j1', data: { practiceId: '../../etc' }, retryCount: 0 },
    ]);
    expect(results).toEqual([
      {
        id: 'j1',
        status: 'deadletter',
        output: expect.objectContaining({
          name: 'FleetJobError',
          errorClass: 'InvalidJob',
          retryable: false,
        }),
      },
    ]);
    expect(lines).toEqual([
      {
        level: 40,
        msg: 'fleet job',
        queue: 'medfusion.sync',
        outcome: 'failed',
        errorClass: 'InvalidJob',
      },
    ]);
    expect(worker.stats).toMatchObject({ failed: 1, running: 0 });
    await worker.stop();
    await expect(worker.start()).rejects.toThrow(/stopped; create a new one/);
  });
});
