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
import type { ChildProcess } from 'node:child_process';
import { http, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { readFleetStatus, formatFleetStatus } from 'medfusion-patient-sdk/fleet';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
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
): Promise<Fleet> {
  const db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  const sb = await startSandbox({ practices, seed: 11 });
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

async function startWorker(
  f: Fleet,
  extra: Partial<FleetWorkerConfig> = {},
): Promise<ChildProcess> {
  const child = spawnFleetWorker({
    ...f.base,
    name: `worker-${++f.started}`,
    syncNow: f.sb.practiceIds,
    invite: [],
    ...extra,
  });
  f.children.add(child);
  child.once('exit', () => f.children.delete(child));
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
  it('drains every practice once, with one token for all of them, and hands back on SIGTERM', async () => {
    const f = await setUp(12);
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
      const status = await readFleetStatus(f.db.pool, { bossSchema: f.bossSchema });
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
      const stats = await stopWorker(worker);
      expect(stats.synced).toBeGreaterThanOrEqual(12);
      expect(stats.failed).toBe(0);
    } finally {
      await tearDown(f);
    }
  });
});
