/**
 * The fleet on real parts: pg-boss 12 in worker processes on Node 22 (from the npm registry, via
 * tools/node-matrix), PostgreSQL from the test setup, and one sandbox serving every practice with
 * 50 ms of latency per request. This process (any Node) only orchestrates and checks: the sandbox's
 * counters, the rows the workers wrote, the lines their clients logged, and the operator view.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { http, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { readFleetStatus, formatFleetStatus } from 'medfusion-patient-sdk/fleet';
import { PostgresInvitationLedger } from 'medfusion-patient-sdk/postgres';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { recordFigures } from './helpers/figures';
import {
  feedSize,
  invitesFor,
  ready,
  spawnFleetWorker,
  type FleetWorkerConfig,
} from './helpers/fleet';

const server = setupServer(http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

jest.setTimeout(300_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Fleet {
  db: TestDatabase;
  sb: Sandbox;
  dir: string;
  bossSchema: string;
  children: Set<ChildProcess>;
  started: number;
  base: Omit<FleetWorkerConfig, 'name' | 'syncNow' | 'invite'>;
}

async function setUp(
  practices: number,
  overrides: Partial<FleetWorkerConfig> = {},
  logins = 1,
): Promise<Fleet> {
  const db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL);
    CREATE TABLE fleet_test.quarantined (practice_id text NOT NULL, practice_patient_id text, rules text[])`);
  const sb = await startSandbox({ practices, seed: 11, logins });
  sb.practiceIds.forEach((id, i) => sb.practice(id).seedRegisteredPatients(feedSize(i)));
  sb.injectFaults({ latencyMs: 50 });
  const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  const bossSchema = `pgboss_${randomBytes(3).toString('hex')}`;
  return {
    db,
    sb,
    dir,
    bossSchema,
    children: new Set(),
    started: 0,
    base: {
      databaseUrl: db.url,
      bossSchema,
      sandboxUrl: sb.url,
      credentials: sb.credentials,
      credentialsByPractice: Object.fromEntries(
        sb.practiceIds.map((id) => [id, sb.credentialsFor(id)]),
      ),
      concurrency: 3,
      leaseMs: 3000,
      pageDelayMs: 0,
      logFile: join(dir, 'requests.log'),
      ...overrides,
    },
  };
}

async function tearDown(f: Fleet): Promise<void> {
  for (const c of f.children) c.kill('SIGKILL');
  await Promise.all([...f.children].map((c) => new Promise((r) => c.once('exit', r))));
  await f.sb.close();
  await f.db.drop();
  rmSync(f.dir, { recursive: true, force: true });
}

/** Starts a worker process of the fleet (syncing every practice unless told otherwise). */
function launchWorker(f: Fleet, extra: Partial<FleetWorkerConfig> = {}): ChildProcess {
  const child = spawnFleetWorker({
    ...f.base,
    name: `worker-${++f.started}`,
    syncNow: f.sb.practiceIds,
    invite: [],
    ...extra,
  });
  f.children.add(child);
  child.once('exit', () => f.children.delete(child));
  return child;
}

/** Starts a worker and waits until it works. */
async function startWorker(
  f: Fleet,
  extra: Partial<FleetWorkerConfig> = {},
): Promise<ChildProcess> {
  const child = launchWorker(f, extra);
  await ready(child);
  return child;
}

/** SIGTERM, then the counters it printed; fails if it does not exit 0 within 30 s. */
async function stopWorker(child: ChildProcess): Promise<Record<string, number>> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30_000)));
  const code = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  expect(code).toBe(0);
  const line = out.split('\n').find((l) => l.startsWith('{"stopped"'));
  return (JSON.parse(line ?? '{}') as { stopped: Record<string, number> }).stopped;
}

async function syncedCounts(f: Fleet): Promise<Map<string, { rows: number; distinct: number }>> {
  const res = await f.db.pool.query<{ practice_id: string; rows: number; distinct: number }>(
    `SELECT practice_id, count(*)::int AS rows, count(DISTINCT practice_patient_id)::int AS distinct
       FROM fleet_test.synced GROUP BY practice_id`,
  );
  return new Map(res.rows.map((r) => [r.practice_id, { rows: r.rows, distinct: r.distinct }]));
}

const expectedTotal = (f: Fleet): number =>
  f.sb.practiceIds.reduce((n, _id, i) => n + feedSize(i), 0);

async function syncedTotal(f: Fleet): Promise<number> {
  const res = await f.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM fleet_test.synced',
  );
  return res.rows[0]?.n ?? 0;
}

/** Jobs of a queue not yet settled (queued, retrying or running). */
async function openJobs(f: Fleet, queue: string): Promise<number> {
  const res = await f.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${f.bossSchema}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
    [queue],
  );
  return res.rows[0]?.n ?? 0;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The lines the workers' clients logged, by worker process. */
function requestLines(f: Fleet): Array<Record<string, unknown> & { pid: number }> {
  if (!existsSync(f.base.logFile)) return [];
  return readFileSync(f.base.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown> & { pid: number });
}

const overlaps = (f: Fleet): number =>
  f.sb.practiceIds.reduce((n, id) => n + f.sb.practice(id).stats.overlappingFeedReads, 0);

describe('fleet worker', () => {
  it('drains every practice once, with one token for all of them and two requests in flight at most', async () => {
    const f = await setUp(12, { concurrency: 4, maxRequestsInFlight: 2 });
    try {
      const worker = await startWorker(f);
      await waitFor('drain', async () => (await syncedTotal(f)) === expectedTotal(f), 60_000);
      await waitFor(
        'queue settles',
        async () => (await openJobs(f, 'medfusion.sync')) === 0,
        30_000,
      );
      const counts = await syncedCounts(f);
      f.sb.practiceIds.forEach((id, i) => {
        const want = feedSize(i);
        expect(counts.get(id) ?? { rows: 0, distinct: 0 }).toEqual({ rows: want, distinct: want });
      });
      expect(f.sb.stats.tokensIssued).toBe(1);
      // Four practices at once, but never more than two requests in flight from the worker.
      expect(f.sb.traffic.maxInFlight).toBe(2);
      const status = await readFleetStatus(f.db.pool, {
        bossSchema: f.bossSchema,
        environment: 'sandbox',
      });
      expect(status.summary).toMatchObject({
        practices: 12,
        current: 12,
        neverSynced: 0,
        failing: 0,
        deadLetters: 0,
      });
      const byId = new Map(status.practices.map((p) => [p.practiceId, p]));
      f.sb.practiceIds.forEach((id, i) => {
        expect(byId.get(id)?.lastOutcome).toBe('synced');
        // The latest run of a drained practice read one empty page, unless it ran once only.
        expect(byId.get(id)?.lastRunPatients).toBeLessThanOrEqual(feedSize(i));
      });
      expect(formatFleetStatus(status)).toMatch(/12 practices: 12 current/);
      // The operator's command reads the same from the database alone (on this Node, no pg-boss).
      const cli = (...args: string[]): string =>
        execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            join(__dirname, '..', 'src', 'cli', 'fleet.ts'),
            'status',
            '--environment',
            'sandbox',
            ...args,
          ],
          { encoding: 'utf8', env: { ...process.env, MEDFUSION_DATABASE_URL: f.db.url } },
        );
      const table = cli('--boss-schema', f.bossSchema);
      for (const id of f.sb.practiceIds) expect(table).toContain(id);
      expect(table).toMatch(
        /^PRACTICE\s+ENVIRONMENT\s+LAST SUCCESS\s+LAG\s+PAGES\s+PATIENTS\s+LEASE\s+OUTCOME\s+LAST ERROR/,
      );
      expect(table).toMatch(
        /12 practices: 12 current, 0 stale, 0 never synced, 0 failing, 0 rate-limited, 0 syncing now; 0 invitation\(s\) of unknown outcome in 0 batch\(es\); 0 dead letter\(s\)/,
      );
      const json = JSON.parse(cli('--json')) as {
        summary: { practices: number; deadLetters?: number };
      };
      expect(json.summary.practices).toBe(12);
      expect(json.summary.deadLetters).toBeUndefined();
      const stats = await stopWorker(worker);
      expect(stats.synced).toBeGreaterThanOrEqual(12);
      expect(stats.failed).toBe(0);
    } finally {
      await tearDown(f);
    }
  });

  it('keeps one sync per practice by the lease alone, when two deployments queue the same practices', async () => {
    const f = await setUp(8, { pageDelayMs: 400, concurrency: 4 });
    try {
      // Two fleets on separate queues: pg-boss cannot see that their jobs are for the same practices.
      const [a, b] = await Promise.all([startWorker(f), startWorker(f, { queuePrefix: 'other' })]);
      await waitFor('drain', async () => (await syncedTotal(f)) === expectedTotal(f), 60_000);
      await waitFor(
        'queues settle',
        async () => (await openJobs(f, 'medfusion.sync')) + (await openJobs(f, 'other.sync')) === 0,
        60_000,
      );
      expect(overlaps(f)).toBe(0);
      const counts = await syncedCounts(f);
      f.sb.practiceIds.forEach((id, i) =>
        expect(counts.get(id) ?? { rows: 0, distinct: 0 }).toEqual({
          rows: feedSize(i),
          distinct: feedSize(i),
        }),
      );
      const held = requestLines(f).filter(
        (l) => l.message === 'fleet job' && l.outcome === 'lease-held',
      );
      expect(held.length).toBeGreaterThan(0);
      await stopWorker(a);
      await stopWorker(b);
    } finally {
      await tearDown(f);
    }
  });

  it('dead-letters a practice with an invalid record at once, and a quarantining worker gets past it', async () => {
    const f = await setUp(3);
    const practice = f.sb.practiceIds[1] as string;
    const emulator = f.sb.practice(practice);
    const bad = emulator.seedRegisteredPatients(1)[0] as string;
    emulator.updatePatient(bad, { demographics: { dateOfBirth: '1985-13-45' } } as never);
    const valid = feedSize(1);
    try {
      const strict = await startWorker(f);
      await waitFor(
        'dead letter',
        async () => (await openJobs(f, 'medfusion.dead-letter')) === 1,
        60_000,
      );
      const row = (await readFleetStatus(f.db.pool, { environment: 'sandbox' })).practices.find(
        (p) => p.practiceId === practice,
      );
      // A validation error cannot heal: no retry, straight to the dead letters.
      expect(row).toMatchObject({
        lastOutcome: 'failed',
        lastErrorClass: 'ValidationError',
        consecutiveFailures: 1,
      });
      await stopWorker(strict);

      const lenient = await startWorker(f, { quarantine: true, syncNow: [practice] });
      await waitFor(
        'the practice synced',
        async () => (await syncedTotal(f)) === expectedTotal(f),
        60_000,
      );
      const counts = await syncedCounts(f);
      expect(counts.get(practice)).toEqual({ rows: valid, distinct: valid });
      const set = await f.db.pool.query<{ practice_patient_id: string; rules: string[] }>(
        'SELECT practice_patient_id, rules FROM fleet_test.quarantined',
      );
      expect(set.rows).toEqual([{ practice_patient_id: bad, rules: ['date(YYYY-MM-DD)'] }]);
      await stopWorker(lenient);
    } finally {
      await tearDown(f);
    }
  });

  it('on SIGTERM finishes the page in hand, hands the practice back, and another worker goes on', async () => {
    const f = await setUp(6, { pageDelayMs: 400, concurrency: 3 });
    try {
      const first = await startWorker(f);
      await waitFor('a few pages in', async () => (await syncedTotal(f)) >= 100, 30_000);
      const stats = await stopWorker(first);
      expect(stats.handedBack).toBeGreaterThanOrEqual(1);
      const partial = await syncedTotal(f);
      expect(partial).toBeLessThan(expectedTotal(f));
      // What was committed stays committed; the rest comes from the next worker, nothing twice.
      const lines = requestLines(f);
      expect(lines.some((l) => l.message === 'fleet job' && l.outcome === 'handed-back')).toBe(
        true,
      );
      const second = await startWorker(f, { syncNow: [] });
      await waitFor('drain', async () => (await syncedTotal(f)) === expectedTotal(f), 60_000);
      const counts = await syncedCounts(f);
      f.sb.practiceIds.forEach((id, i) => {
        expect(counts.get(id) ?? { rows: 0, distinct: 0 }).toEqual({
          rows: feedSize(i),
          distinct: feedSize(i),
        });
      });
      await stopWorker(second);
    } finally {
      await tearDown(f);
    }
  });

  it('reschedules a practice answered 429 after its Retry-After, without a retry loop', async () => {
    const f = await setUp(4);
    const limited = f.sb.practiceIds[2] as string;
    f.sb.practice(limited).injectFaults({ count429: 1, retryAfterSeconds: 3 });
    try {
      const worker = await startWorker(f);
      await waitFor('drain', async () => (await syncedTotal(f)) === expectedTotal(f), 60_000);
      const mine = requestLines(f).filter(
        (l) => typeof l.path === 'string' && l.path.includes(limited) && l.status !== undefined,
      );
      const refused = mine.filter((l) => l.status === 429);
      expect(refused).toHaveLength(1);
      // The next request to that practice came no sooner than the server asked.
      const after = mine.filter((l) => (l.at as number) > (refused[0]?.at as number));
      expect(after.length).toBeGreaterThan(0);
      expect((after[0]?.at as number) - (refused[0]?.at as number)).toBeGreaterThanOrEqual(2900);
      const outcomes = requestLines(f)
        .filter((l) => l.message === 'fleet job' && l.practiceId === limited)
        .map((l) => l.outcome);
      expect(outcomes.slice(0, 2)).toEqual(['rate-limited', 'synced']);
      const counts = await syncedCounts(f);
      expect(counts.get(limited)).toEqual({ rows: feedSize(2), distinct: feedSize(2) });
      await stopWorker(worker);
    } finally {
      await tearDown(f);
    }
  });

  it('a 429 pauses the login, not just the practice: no practice behind it is asked, by any worker, until Retry-After', async () => {
    // 12 practices behind 2 logins (practice i uses login i % 2), two workers.
    const f = await setUp(12, { concurrency: 2 }, 2);
    const limited = f.sb.practiceIds[0] as string;
    f.sb.practice(limited).injectFaults({ count429: 1, retryAfterSeconds: 10 });
    const login0 = new Set(f.sb.practiceIds.filter((_, i) => i % 2 === 0));
    try {
      const workers = [await startWorker(f), await startWorker(f, { syncNow: [] })];
      await waitFor('drain', async () => (await syncedTotal(f)) === expectedTotal(f), 120_000);
      const feed = requestLines(f).filter(
        (l) => typeof l.path === 'string' && l.path.endsWith('/patient') && l.status !== undefined,
      );
      const refused = feed.find((l) => l.status === 429);
      expect(refused).toBeDefined();
      const pausedUntil = (refused?.at as number) + 9_900;
      const during = feed.filter(
        (l) =>
          (l.at as number) > (refused?.at as number) &&
          (l.at as number) < pausedUntil &&
          [...login0].some((id) => (l.path as string).includes(id)),
      );
      expect(during).toEqual([]);
      const counts = await syncedCounts(f);
      f.sb.practiceIds.forEach((id, i) =>
        expect(counts.get(id) ?? { rows: 0, distinct: 0 }).toEqual({
          rows: feedSize(i),
          distinct: feedSize(i),
        }),
      );
      for (const w of workers) await stopWorker(w);
    } finally {
      await tearDown(f);
    }
  });

  it('dead-letters a practice whose pages keep failing, with a PHI-free error, and syncs the rest', async () => {
    const f = await setUp(4);
    const poisoned = f.sb.practiceIds[1] as string;
    try {
      const worker = await startWorker(f, { poisonPractice: poisoned, retryLimit: 1 });
      const others = expectedTotal(f) - feedSize(1);
      await waitFor('the others drained', async () => (await syncedTotal(f)) === others, 60_000);
      await waitFor(
        'dead letter',
        async () => (await openJobs(f, 'medfusion.dead-letter')) === 1,
        60_000,
      );
      const jobs = await f.db.pool.query<{ name: string; output: unknown; data: unknown }>(
        `SELECT name, output, data FROM ${f.bossSchema}.job WHERE data->>'practiceId' = $1`,
        [poisoned],
      );
      const stored = JSON.stringify(jobs.rows);
      expect(stored).toContain('FleetJobError');
      expect(stored).not.toMatch(/Jane|Poison|1985/);
      const failedOutputs = jobs.rows.filter((r) => r.name === 'medfusion.sync' && r.output);
      expect(failedOutputs.length).toBeGreaterThan(0);
      expect(failedOutputs[0]?.output).toMatchObject({
        name: 'FleetJobError',
        kind: 'sync',
        practiceId: poisoned,
        errorClass: 'Error',
        origin: 'callback',
        retryable: true,
      });
      const status = await readFleetStatus(f.db.pool, {
        bossSchema: f.bossSchema,
        environment: 'sandbox',
      });
      expect(status.summary.failing).toBe(1);
      expect(status.summary.deadLetters).toBe(1);
      const row = status.practices.find((p) => p.practiceId === poisoned);
      expect(row).toMatchObject({
        lastOutcome: 'failed',
        lastErrorClass: 'Error',
        consecutiveFailures: 2,
      });
      expect(readFileSync(f.base.logFile, 'utf8')).not.toMatch(/Jane|Poison|1985/);
      // Failed runs are warnings, as failed invitation jobs are.
      const failedLines = requestLines(f).filter(
        (l) => l.message === 'fleet job' && l.outcome === 'failed',
      );
      expect(failedLines.length).toBeGreaterThan(0);
      expect(failedLines.map((l) => l.level)).toEqual(failedLines.map(() => 'warn'));
      await stopWorker(worker);
    } finally {
      await tearDown(f);
    }
  });
});

describe('a killed job whose retry meets a queued job of its practice', () => {
  it('is retried, never dead-lettered (the stately queue of 0.2 failed it into the dead letters)', async () => {
    const f = await setUp(1, { pageDelayMs: 400, concurrency: 1 });
    const [practice] = f.sb.practiceIds as [string];
    f.sb.practice(practice).seedRegisteredPatients(350); // four pages
    try {
      // 1. A worker dies inside its first page: the job stays active until its heartbeat lapses.
      const first = launchWorker(f, { dieInPage: 1, syncNow: [practice] });
      await new Promise((r) => first.once('exit', r));
      // 2. The practice is queued again meanwhile (a syncNow, a schedule's tick).
      // 3. The worker that takes a job of it dies too, inside its first page.
      const second = launchWorker(f, { dieInPage: 1, syncNow: [practice] });
      await new Promise((r) => second.once('exit', r));
      // The dead jobs' retries meet the queued one: a worker with nothing to die of finishes.
      await startWorker(f, { syncNow: [] });
      const want = feedSize(0) + 350;
      await waitFor('drained', async () => (await syncedTotal(f)) === want, 120_000);
      await waitFor('settled', async () => (await openJobs(f, 'medfusion.sync')) === 0, 120_000);
      expect(await syncedCounts(f)).toEqual(new Map([[practice, { rows: want, distinct: want }]]));
      const jobs = await f.db.pool.query<{ name: string; state: string }>(
        `SELECT name, state FROM ${f.bossSchema}.job ORDER BY name, state`,
      );
      expect(jobs.rows.filter((j) => j.name === 'medfusion.dead-letter')).toEqual([]);
      expect(jobs.rows.filter((j) => j.state === 'failed')).toEqual([]);
      expect(jobs.rows.filter((j) => j.name === 'medfusion.sync').length).toBeGreaterThanOrEqual(2);
    } finally {
      await tearDown(f);
    }
  });
});

describe('fleet under fire: 3 workers, 200 practices, 50 ms a request, 12 kills at fixed points', () => {
  it('drains every practice with 0 lost, 0 overlaps, 0 second invitations, one token per login per worker', async () => {
    // Four practice logins among the 200 practices: four credential sets.
    const f = await setUp(200, { pageDelayMs: 150, concurrency: 3, resendGuardMs: 2000 }, 4);
    const invited = f.sb.practiceIds;
    const allInvites = new Map(invited.map((id) => [id, invitesFor(id)]));
    const KILLS = 12;
    try {
      // The first 12 worker processes die (SIGKILL of themselves) inside the transaction of their
      // 2nd to 6th page, whatever the machine's speed: until the 12th death only they take pages,
      // and they need at most 72 of the fleet's 300 or so. Each death is replaced at once (by a
      // doomed worker while any is left to launch, then by normal ones once all 12 are dead).
      let doomedLaunched = 0;
      let kills = 0;
      const launch = (extra: Partial<FleetWorkerConfig> = {}): void => {
        const doomed = doomedLaunched < KILLS;
        const dieInPage = doomed ? 2 + (doomedLaunched++ % 5) : undefined;
        const child = launchWorker(f, { ...extra, ...(dieInPage ? { dieInPage } : {}) });
        child.once('exit', (_code, signal) => {
          if (!doomed || signal !== 'SIGKILL') return;
          kills++;
          if (doomedLaunched < KILLS) launch();
          else if (kills === KILLS) for (let i = 0; i < 3; i++) launch();
        });
      };
      launch({ invite: invited }); // the first one also queues every practice's invitation list
      launch();
      launch();
      await waitFor('12 kills inside page transactions', async () => kills === KILLS, 240_000);

      await waitFor(
        'every practice drained',
        async () => (await syncedTotal(f)) >= expectedTotal(f),
        180_000,
      );
      await waitFor(
        'queues settled',
        async () =>
          (await openJobs(f, 'medfusion.sync')) === 0 &&
          (await openJobs(f, 'medfusion.invite')) === 0,
        120_000,
      );

      // Every patient of every practice exactly once: none lost, none twice.
      const counts = await syncedCounts(f);
      const wrong = f.sb.practiceIds.filter((id, i) => {
        const c = counts.get(id) ?? { rows: 0, distinct: 0 };
        return c.rows !== feedSize(i) || c.distinct !== feedSize(i);
      });
      expect(wrong).toEqual([]);
      // Never two syncs of one practice at once (the sandbox records overlapping feed reads).
      expect(overlaps(f)).toBe(0);
      // No false dead letters: a killed job is retried, even when another job of its practice is queued.
      // (Invitation lists left only with unknown outcomes are dead-lettered on purpose: the operator's.)
      const failedSyncs = await f.db.pool.query(
        `SELECT 1 FROM ${f.bossSchema}.job WHERE name = 'medfusion.sync' AND state = 'failed'`,
      );
      expect(failedSyncs.rowCount).toBe(0);

      // Invitations: nobody twice; everybody either invited or of unknown outcome.
      const unknownOf = async () =>
        (
          await f.db.pool.query<{ practice_id: string; batch_key: string; ids: string[] }>(
            `SELECT practice_id, batch_key, array_agg(practice_patient_id) AS ids
               FROM medfusion.invitation_patients WHERE state = 'sending' GROUP BY 1, 2`,
          )
        ).rows;
      const unknown = await unknownOf();
      for (const id of invited) {
        const emulator = f.sb.practice(id);
        expect(emulator.stats.reinvitations).toBe(0);
        for (const invite of allInvites.get(id) ?? []) {
          const posts = emulator.postsOf(invite.practicePatientId);
          const inUnknown = unknown.some((u) => u.ids.includes(invite.practicePatientId));
          expect(posts <= 1 && (posts === 1 || inUnknown)).toBe(true);
        }
      }
      // The operator's remedy: check each unknown batch (the sandbox plays Medfusion's answer),
      // settle those that arrived, and send the lists again with resendUnknown for the rest.
      const ledger = new PostgresInvitationLedger({ pool: f.db.pool });
      let arrived = 0;
      for (const u of unknown)
        if (u.ids.some((pid) => f.sb.practice(u.practice_id).postsOf(pid) > 0)) {
          await ledger.settleUnknown(u.batch_key, 'accepted');
          arrived++;
        }
      const resendPractices = [...new Set((await unknownOf()).map((u) => u.practice_id))];
      if (resendPractices.length > 0) {
        await sleep(2500); // past the resend guard of the batches' last POSTs
        await startWorker(f, { syncNow: [], invite: resendPractices, resendUnknown: true });
        await waitFor('resends', async () => (await openJobs(f, 'medfusion.invite')) === 0, 60_000);
      }
      for (const id of invited) {
        const emulator = f.sb.practice(id);
        for (const invite of allInvites.get(id) ?? [])
          expect([invite.practicePatientId, emulator.postsOf(invite.practicePatientId)]).toEqual([
            invite.practicePatientId,
            1,
          ]);
        expect(emulator.stats.reinvitations).toBe(0);
      }

      // Tokens: at most one per credential set per worker process, per token lifetime.
      const lines = requestLines(f);
      const tokenRequests = new Map<number, number>();
      for (const l of lines)
        if (l.path === '/v1/oauth2/token' && l.status === 200)
          tokenRequests.set(l.pid, (tokenRequests.get(l.pid) ?? 0) + 1);
      // One token per login per worker process at most: four logins, so four tokens per process.
      expect(Math.max(...tokenRequests.values())).toBeLessThanOrEqual(4);
      const perLogin = f.sb.stats.tokensByUsername;
      expect(Object.keys(perLogin)).toHaveLength(4);
      for (const n of Object.values(perLogin)) expect(n).toBeLessThanOrEqual(f.started);
      expect(f.sb.stats.tokensIssued).toBeLessThanOrEqual(4 * f.started);
      // Nothing a worker logged holds a patient's id or name.
      const text = readFileSync(f.base.logFile, 'utf8');
      expect(text).not.toMatch(/INV-|SBX-/);

      const status = await readFleetStatus(f.db.pool, {
        bossSchema: f.bossSchema,
        environment: 'sandbox',
      });
      expect(status.summary).toMatchObject({ practices: 200, neverSynced: 0, syncing: 0 });
      expect(status.summary.unknownInvitations).toBe(0);
      recordFigures('fleet-under-fire', {
        practices: 200,
        patients: expectedTotal(f),
        invitations: [...allInvites.values()].reduce((n, l) => n + l.length, 0),
        kills,
        killsInsidePageTransactions: kills,
        workerProcesses: f.started,
        unknownInvitationBatches: unknown.length,
        unknownThatHadArrived: arrived,
        practicesResent: resendPractices.length,
        deadLetters: 0,
        tokensIssued: f.sb.stats.tokensIssued,
        maxTokensPerProcess: Math.max(...tokenRequests.values()),
        overlappingFeedReads: overlaps(f),
      });

      // Graceful stops: every worker exits 0 on SIGTERM.
      for (const child of [...f.children]) await stopWorker(child);
    } finally {
      await tearDown(f);
    }
  });
});
