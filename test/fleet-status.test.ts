/**
 * The fleet's parts that need no job engine: the PHI-free job error, the operator view read from a
 * real PostgreSQL, the option checks and the status command's usage.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  APIError,
  ConfigurationError,
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
  type FleetWorkerOptions,
  type BossJob,
} from 'medfusion-patient-sdk/fleet';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

describe('FleetJobError', () => {
  it('keeps the class of a failure of your code, never its message, stack or fields', () => {
    // node-postgres's DatabaseError: a severity and a SQLSTATE, a message quoting the row.
    const yours = Object.assign(new Error('duplicate key (email)=(zebulon.canary@example.test)'), {
      severity: 'ERROR',
      detail: 'Key (name)=(Zebulon Quixote)',
      code: '23505',
    });
    const e = new FleetJobError('sync', 'practice-1', yours, undefined, 'onPage');
    expect(e.toJSON()).toEqual({
      name: 'FleetJobError',
      message: 'sync of practice practice-1 failed: DatabaseError in onPage [23505]',
      kind: 'sync',
      practiceId: 'practice-1',
      errorClass: 'DatabaseError',
      origin: 'callback',
      callback: 'onPage',
      code: '23505',
      retryable: true,
    });
    expect(JSON.stringify(e)).not.toMatch(/zebulon|Quixote|duplicate/i);
    expect(String(e.stack)).not.toMatch(/zebulon|Quixote/i);
    expect(e).not.toHaveProperty('cause');
  });

  it("records a callback's own error class and code as CallbackError: names and codes of yours can hold values", () => {
    class PHI_CANARY_MRN_12345 extends Error {
      code = 'PHI_CANARY_MRN_12345';
    }
    const named = Object.assign(new Error('x'), { name: 'PHI_CANARY_NAME', code: 'PHI_CANARY' });
    for (const failure of [new PHI_CANARY_MRN_12345('x'), { name: 'PHI_CANARY', code: 'X1' }])
      expect(new FleetJobError('sync', 'p', failure).toJSON()).toMatchObject({
        errorClass: 'CallbackError',
        origin: 'callback',
      });
    expect(new FleetJobError('sync', 'p', new PHI_CANARY_MRN_12345('x')).code).toBeUndefined();
    // A built-in class is kept (its name carries nothing of yours); a plain Error's code is not.
    expect(new FleetJobError('sync', 'p', named)).toMatchObject({ errorClass: 'Error' });
    expect(new FleetJobError('sync', 'p', named).code).toBeUndefined();
    expect(new FleetJobError('sync', 'p', new TypeError('x')).errorClass).toBe('TypeError');
    // A Node.js system error keeps its errno code.
    const system = Object.assign(new Error('connect ECONNRESET 10.0.0.1:5432'), {
      code: 'ECONNRESET',
      syscall: 'read',
    });
    expect(new FleetJobError('sync', 'p', system)).toMatchObject({
      errorClass: 'SystemError',
      code: 'ECONNRESET',
    });
    const shown = JSON.stringify(new FleetJobError('sync', 'p', new PHI_CANARY_MRN_12345('x')));
    expect(shown).not.toMatch(/CANARY|12345/);
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
    // A name or code of yours is never echoed.
    expect(
      new FleetJobError('sync', 'p', { name: 'Zebulon Quixote <x>', code: 'has spaces in it' }),
    ).toMatchObject({
      errorClass: 'CallbackError',
      code: undefined,
    });
    expect(new FleetJobError('sync', 'p', 'a string').errorClass).toBe('CallbackError');
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
        ('d-never',   NULL,                          'failed', 0, 0, 'OAuthError', 1, now() - interval '1 minute'),
        ('e-leased-only', NULL,                      NULL, NULL, NULL, NULL, 0, NULL);
      -- A practice of the fleet in another environment, and one synced by sync() alone (not the fleet's).
      INSERT INTO medfusion.fleet_practices (practice_id, environment, last_success_at, last_outcome)
      VALUES ('f-demo', 'demo', now(), 'synced');
      INSERT INTO medfusion.checkpoints
        (practice_id, environment, api_version, cursor, fence, holder, lease_expires_at, lease_renewed_at)
      VALUES ('a-current', 'production', 'v2', '1,0', 3, 'fleet:web-1', now() + interval '20 seconds', now()),
             -- its holder (killed by Ctrl-C) last renewed 25 s ago: expiring, not syncing
             ('e-leased-only', 'production', 'v2', NULL, 1, 'fleet:web-2', now() + interval '5 seconds',
              now() - interval '25 seconds'),
             ('b-stale', 'production', 'v2', '2,0', 9, 'fleet:web-9', now() - interval '1 minute', NULL),
             ('z-direct', 'production', 'v2', '5,0', 1, 'cron:web-1', now() + interval '20 seconds', now()),
             ('f-demo', 'demo', 'v2', '5,0', 1, 'fleet:demo-1', now() + interval '20 seconds', now());
      INSERT INTO medfusion.invitation_batches (batch_key, practice_id, practice_patient_ids, state)
      VALUES ('h1', 'c-limited', '{X1,X4}', 'sending'), ('h2', 'c-limited', '{X2}', 'sending'),
             ('h3', 'a-current', '{X3}', 'accepted');
      INSERT INTO medfusion.invitation_patients (practice_id, practice_patient_id, state, batch_key)
      VALUES ('c-limited', 'X1', 'sending', 'h1'), ('c-limited', 'X4', 'sending', 'h1'),
             ('c-limited', 'X2', 'sending', 'h2'), ('a-current', 'X3', 'accepted', 'h3');`);
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
      leaseState: 'held',
    });
    expect(a?.lagSeconds).toBeGreaterThanOrEqual(29);
    expect(a?.lagSeconds).toBeLessThan(3600); // seeded 30 s ago: only an upper sanity bound
    expect(b).toMatchObject({
      leaseHolder: undefined,
      lastErrorClass: 'TimeoutError',
      consecutiveFailures: 3,
    });
    expect(c?.rateLimitedUntil).toBeInstanceOf(Date);
    expect(c?.unknownInvitationBatches).toBe(2);
    expect(c?.unknownInvitations).toBe(3);
    expect(d).toMatchObject({
      lastSuccessAt: undefined,
      lagSeconds: undefined,
      rateLimitedUntil: undefined,
    });
    expect(e).toMatchObject({
      leaseHolder: 'fleet:web-2',
      leaseState: 'expiring',
      lastOutcome: undefined,
    });
    expect(status.summary).toEqual({
      practices: 5,
      current: 2,
      stale: 1,
      neverSynced: 2,
      failing: 2,
      rateLimited: 1,
      syncing: 1,
      expiringLeases: 1,
      unknownInvitationBatches: 2,
      unknownInvitations: 3,
      deadLetters: 0,
    });
    const text = formatFleetStatus(status);
    expect(text).toMatch(
      /^b-stale\s+production\s+\S+\s+2h\s+1\s+0\s+-\s+failed\s+TimeoutError x3$/m,
    );
    expect(text).toMatch(
      /5 practices: 2 current, 1 stale, 2 never synced, 2 failing, 1 rate-limited, 1 syncing now, 1 lease\(s\) of a gone worker expiring; 3 invitation\(s\) of unknown outcome in 2 batch\(es\); 0 dead letter\(s\)$/,
    );
    expect(text).toMatch(/^e-leased-only .*fleet:web-2 \(expiring\)/m);
  });

  it("shows the fleet's practices of one environment, with an environment column: never a checkpoint of sync() alone", async () => {
    const production = await readFleetStatus(db.pool);
    expect(production.environment).toBe('production');
    expect(production.practices.map((p) => p.practiceId)).not.toContain('z-direct');
    expect(production.practices.map((p) => p.practiceId)).not.toContain('f-demo');
    const demo = await readFleetStatus(db.pool, { environment: 'demo' });
    expect(demo.practices).toMatchObject([
      {
        practiceId: 'f-demo',
        environment: 'demo',
        leaseHolder: 'fleet:demo-1',
        leaseState: 'held',
      },
    ]);
    const all = await readFleetStatus(db.pool, { environment: 'all' });
    expect(all.practices.map((p) => `${p.practiceId}/${p.environment}`)).toEqual([
      'a-current/production',
      'b-stale/production',
      'c-limited/production',
      'd-never/production',
      'e-leased-only/production',
      'f-demo/demo',
    ]);
    expect(formatFleetStatus(demo)).toMatch(/^PRACTICE\s+ENVIRONMENT\s+LAST SUCCESS/);
    expect(formatFleetStatus(demo)).toMatch(/^f-demo\s+demo\s+/m);
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
  it('refuses numbers out of range before touching anything, naming the option', () => {
    const optionOf = (o: Partial<FleetWorkerOptions>): string | undefined => {
      try {
        new FleetWorker({ ...base, ...o });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigurationError);
        return (e as ConfigurationError).option;
      }
      return undefined;
    };
    expect(optionOf({ concurrency: 0 })).toBe('concurrency');
    expect(optionOf({ heartbeatSeconds: 5 })).toBe('heartbeatSeconds');
    expect(optionOf({ maxRequestsInFlight: 1.5 })).toBe('maxRequestsInFlight');
    expect(optionOf({ leaseMs: 10 })).toBe('leaseMs');
    expect(optionOf({ retry: { limit: -1 } })).toBe('retry.limit');
    expect(optionOf({ jobTimeoutSeconds: 0 })).toBe('jobTimeoutSeconds');
    // Past 2^31 - 1 ms a Node timer fires at once: renewals every millisecond.
    expect(optionOf({ leaseMs: 2 ** 31 })).toBe('leaseMs');
    expect(optionOf({ shutdownTimeoutMs: 2 ** 31 })).toBe('shutdownTimeoutMs');
    expect(optionOf({ pageTimeoutMs: 0 })).toBe('pageTimeoutMs');
    expect(optionOf({ leaseMs: 2 ** 31 - 1 })).toBeUndefined();
  });
  it('refuses a schedule it cannot express, and ids the client would refuse, before anything is sent', async () => {
    const worker = new FleetWorker(base);
    await expect(worker.schedule(['p'], { everyMinutes: 90 })).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'options.everyMinutes', rule: 'integer(1..60)' }],
    });
    await expect(worker.syncNow(['ok-1', 'not a valid id', 'a/b'])).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [
        { path: 'practiceIds[1]', rule: 'practiceId' },
        { path: 'practiceIds[2]', rule: 'practiceId' },
      ],
    });
    await expect(worker.schedule(['..'], { everyMinutes: 5 })).rejects.toMatchObject({
      name: 'ValidationError',
    });
    await expect(worker.invite('not a valid id', 'onboarding')).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'practiceId', rule: 'practiceId' }],
    });
    await expect(worker.invite('p-1', '')).rejects.toMatchObject({ name: 'ValidationError' });
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
      ['--import', 'tsx', join(__dirname, '..', 'src', 'cli', 'fleet.ts'), ...args],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
      },
    );
  it('prints its usage with --help, and refuses a missing command or database', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/Usage: medfusion-fleet <command>/);
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
      code: 2,
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
    expect((failed as { stderr: string }).stderr).toBe(
      'medfusion-fleet: State store failed during connect (ECONNREFUSED): nothing listens at 127.0.0.1:1: is PostgreSQL running, and the port right?\n',
    );
    expect((failed as { stderr: string }).stderr).not.toContain('secret-pw');
  });

  describe('errors that say what to do', () => {
    let db: TestDatabase;
    beforeAll(async () => (db = await createTestDatabase()));
    afterAll(() => db.drop());
    const fail = (url: string, ...args: string[]) =>
      cli(['status', '--database-url', url, ...args]).then(
        () => {
          throw new Error('succeeded');
        },
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const withUrl = (change: (u: URL) => void): string => {
      const u = new URL(db.url);
      change(u);
      return u.toString();
    };

    it('a wrong password, a missing database, tables never migrated: the code, its meaning, what to do; never the password', async () => {
      const password = await fail(withUrl((u) => (u.password = 'wrong-pw-canary')));
      expect(password.code).toBe(1);
      expect(password.stderr).toMatch(
        /\(28P01\): the password was refused: check the user and password/,
      );
      expect(password.stderr).not.toContain('wrong-pw-canary');
      const database = await fail(withUrl((u) => (u.pathname = '/no_such_database')));
      expect(database.stderr).toMatch(/\(3D000\): the database does not exist: create it/);
      expect(database.stderr).not.toContain('no_such_database');
      // The SDK's tables are there (createTestDatabase migrates them), the fleet's are not.
      const table = await fail(db.url);
      expect(table.stderr).toMatch(
        /during fleet\.status \(42P01\): a table is missing: run migrate\(\) once/,
      );
    });

    it('a malformed database URL is refused (exit 2), never replaced by localhost', async () => {
      for (const [url, said] of [
        ['postgres//u:pw@db.example/x', /is not a URL/],
        ['mysql://u:pw@db.example/x', /must start with postgres:\/\/ or postgresql:\/\//],
        ['postgres:///x', /names no host/],
      ] as const) {
        const r = await fail(url);
        expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(said) });
        expect(r.stderr).not.toContain('pw@');
      }
    });
  });
});

/** The rest of the job engine, for workers whose test never reaches it. */
const NO_MORE_BOSS = {
  insert: async () => null,
  findJobs: async () => [],
  notifyWorker: () => undefined,
  getQueue: async () => null,
  updateQueue: async () => undefined,
};

/** A job engine that records the queues made and the handler of each queue worked. */
function recordingBoss(): {
  boss: FleetBoss;
  handlers: Map<string, (jobs: BossJob[]) => Promise<unknown>>;
  created: string[];
} {
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
    getSchedules: async () => [],
    schedule: async () => undefined,
    unschedule: async () => undefined,
    ...NO_MORE_BOSS,
  };
  return { boss, handlers, created };
}

describe('FleetWorker jobs it cannot read', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it("dead-letters a job whose data is not the fleet's, and logs it through pino as pino expects", async () => {
    // The job engine's side of one exchange, recorded: which queues were made and worked.
    const { boss, handlers, created } = recordingBoss();
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

  it('without a logger it talks: one line per job on the console; logger: false keeps it silent', async () => {
    const run = async (logger?: false): Promise<string[]> => {
      const { boss, handlers } = recordingBoss();
      const worker = new FleetWorker({
        boss,
        pool: db.pool,
        clientOptions: () => ({}),
        onPage: async () => undefined,
        ...(logger === false ? { logger } : {}),
      });
      await worker.start();
      const written: string[] = [];
      const spy = jest
        .spyOn(process.stderr, 'write')
        .mockImplementation((chunk: string | Uint8Array) => {
          written.push(String(chunk));
          return true;
        });
      try {
        await handlers.get('medfusion.sync')?.([
          { id: 'j1', data: { practiceId: 'bad/id' }, retryCount: 0 },
        ]);
      } finally {
        spy.mockRestore();
        await worker.stop();
      }
      return written;
    };
    const talking = await run();
    expect(talking).toHaveLength(1);
    expect(talking[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN fleet job queue=medfusion\.sync outcome=failed errorClass=InvalidJob\n$/,
    );
    expect(await run(false)).toEqual([]);
  });

  it('every stop() resolves when the worker has stopped: a second call (SIGINT after SIGTERM) does not resolve at once', async () => {
    let finishDraining!: () => void;
    const draining = new Promise<void>((resolve) => (finishDraining = resolve));
    const boss: FleetBoss = {
      createQueue: async () => undefined,
      send: async () => null,
      work: async (name) => name,
      offWork: () => draining, // a job still finishing its page
      getSchedules: async () => [],
      schedule: async () => undefined,
      unschedule: async () => undefined,
      ...NO_MORE_BOSS,
    };
    const worker = new FleetWorker({
      boss,
      pool: db.pool,
      clientOptions: () => ({}),
      onPage: async () => undefined,
    });
    await worker.start();
    const settled: string[] = [];
    const first = worker.stop().then(() => settled.push('first'));
    const second = worker.stop().then(() => settled.push('second'));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    finishDraining();
    await Promise.all([first, second]);
    expect(settled.sort()).toEqual(['first', 'second']);
  });
});
