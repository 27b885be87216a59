/**
 * The integrity guarantees through the fleet: pg-boss 12 worker processes on Node 22, real
 * PostgreSQL, and a hostile Medfusion (a scripted server answering exactly the bytes chosen here).
 * Cursor abuse ends each practice's jobs by themselves, as typed, PHI-free dead letters, with no
 * patient committed twice; a job whose onPage hangs past pg-boss's timeout frees its practice at
 * once (not after its lease). Waits are on conditions, with generous deadlines.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { ready, spawnFleetWorker, type FleetWorkerConfig } from './helpers/fleet';
import { ids, startScriptedFeed, type ScriptedFeed } from './helpers/scripted-feed';

jest.setTimeout(240_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
let feed: ScriptedFeed;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  feed = await startScriptedFeed();
  dir = mkdtempSync(join(tmpdir(), 'fleet-integrity-'));
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([...children].map((c) => new Promise((r) => c.once('exit', r))));
  await feed.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function worker(config: Partial<FleetWorkerConfig> & { syncNow: string[] }): Promise<void> {
  const child = spawnFleetWorker({
    name: `integrity-${children.size + 1}`,
    databaseUrl: db.url,
    bossSchema: `pgboss_${randomBytes(3).toString('hex')}`,
    sandboxUrl: feed.url,
    credentials: { accessToken: 'scripted-token' },
    concurrency: 4,
    leaseMs: 60_000,
    pageDelayMs: 0,
    invite: [],
    logFile: join(dir, 'requests.log'),
    retryLimit: 1,
    retryDelaySeconds: 1,
    ...config,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await ready(child);
  return undefined;
}

async function until(what: string, check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const A = '1700000000,1';
const B = '1700000000,2';
/** What each hostile practice's feed does, and the rule its jobs must end with. */
const HOSTILE: Record<string, { rule: string[]; page: (call: number) => object }> = {
  // The first run stops at the step back to A; its retry starts at B, which comes back at once.
  'p-cycle': {
    rule: ['backwards', 'repeated'],
    page: (call) => ({ patients: ids((call % 2) * 100, 100), cursor: call % 2 === 0 ? A : B }),
  },
  'p-backwards': {
    rule: ['backwards'],
    page: (call) => ({ patients: ids(call * 100, 100), cursor: `1700000000,${900 - call}` }),
  },
  'p-missing': { rule: ['missing'], page: () => ({ patients: ids(0, 100) }) },
  'p-garbage': { rule: ['malformed'], page: () => ({ patients: ids(0, 100), cursor: '-5' }) },
  'p-oversized': {
    rule: ['malformed'],
    page: () => ({ patients: ids(0, 100), cursor: '1'.repeat(12_000) }),
  },
  'p-future': { rule: ['ahead'], page: () => ({ cursor: '2500000000,0' }) },
};

describe('the fleet against a hostile feed', () => {
  it('each abused practice ends in a typed, PHI-free dead letter by itself; no patient is committed twice; a healthy one syncs', async () => {
    const bossSchema = `pgboss_${randomBytes(3).toString('hex')}`;
    feed.script((call, since, practiceId) => {
      const hostile = HOSTILE[practiceId];
      if (hostile) return hostile.page(call) as ReturnType<Parameters<typeof feed.script>[0]>;
      return since === null ? { patients: ids(0, 40), cursor: A } : { cursor: A };
    });
    const practices = [...Object.keys(HOSTILE), 'p-healthy'];
    await worker({ bossSchema, syncNow: practices });
    await until('every hostile practice dead-lettered', async () => {
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${bossSchema}.job WHERE name = 'medfusion.dead-letter'`,
      );
      return r.rows[0]?.n === Object.keys(HOSTILE).length;
    });
    const failed = await db.pool.query<{ practice: string; output: Record<string, unknown> }>(
      `SELECT data->>'practiceId' AS practice, output FROM ${bossSchema}.job
        WHERE name = 'medfusion.sync' AND state = 'failed'`,
    );
    for (const [practice, { rule }] of Object.entries(HOSTILE)) {
      const outputs = failed.rows.filter((r) => r.practice === practice).map((r) => r.output);
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) {
        expect(output).toMatchObject({ name: 'FleetJobError', origin: 'sdk' });
        expect(rule).toContain(output.rule);
        expect(['CursorError', 'PaginationLoopError']).toContain(output.errorClass);
        // The cursor's bytes are nowhere in what pg-boss keeps.
        expect(JSON.stringify(output)).not.toMatch(/-5|1111111111|2500000000/);
      }
    }
    // Each job read the feed from its start or from a sound cursor, and never sent a since twice.
    for (const practice of Object.keys(HOSTILE)) {
      const sent = feed.sincesOf.get(practice) ?? [];
      expect(
        sent.every((s) => s === null || s === A || s === B || /^1700000000,\d+$/.test(s)),
      ).toBe(true);
    }
    const doubled = await db.pool.query(
      `SELECT practice_id, practice_patient_id FROM fleet_test.synced
        GROUP BY 1, 2 HAVING count(*) > 1`,
    );
    expect(doubled.rows).toEqual([]);
    const healthy = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fleet_test.synced WHERE practice_id = 'p-healthy'`,
    );
    expect(healthy.rows[0]?.n).toBe(40);
    const saved = await db.pool.query<{ practice_id: string; cursor: string | null }>(
      `SELECT practice_id, cursor FROM medfusion.checkpoints WHERE practice_id = ANY($1)`,
      [practices],
    );
    for (const row of saved.rows)
      expect(row.cursor === null || /^1700000000,\d+$/.test(row.cursor)).toBe(true);
  });

  it("a job past pg-boss's timeout frees its practice at once, not after the lease; its retry syncs it", async () => {
    const bossSchema = `pgboss_${randomBytes(3).toString('hex')}`;
    const hangFile = join(dir, 'hang');
    writeFileSync(hangFile, 'hang');
    feed.script((_, since) =>
      since === null ? { patients: ids(0, 30), cursor: A } : { cursor: A },
    );
    await db.pool.query(`DELETE FROM medfusion.checkpoints WHERE practice_id = 'p-hang'`);
    // A lease of 2 minutes: were the practice left to its lease, the first wait below would fail.
    await worker({
      bossSchema,
      syncNow: ['p-hang'],
      hangPractice: 'p-hang',
      hangFile,
      jobTimeoutSeconds: 2,
      leaseMs: 120_000,
      retryDelaySeconds: 2,
      retryLimit: 5,
    });
    const lease = async (): Promise<{ holder: string | null } | undefined> =>
      (
        await db.pool.query<{ holder: string | null }>(
          `SELECT holder FROM medfusion.checkpoints WHERE practice_id = 'p-hang'`,
        )
      ).rows[0];
    await until('the hung job took the lease', async () => (await lease())?.holder != null);
    await until(
      'the timed-out job released it',
      async () => (await lease())?.holder === null,
      60_000,
    );
    rmSync(hangFile);
    await until('the retry synced the practice', async () => {
      const r = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM fleet_test.synced WHERE practice_id = 'p-hang'`,
      );
      return r.rows[0]?.n === 30;
    });
    const jobs = await db.pool.query<{ state: string; retry_count: number; output: unknown }>(
      `SELECT state, retry_count, output FROM ${bossSchema}.job WHERE name = 'medfusion.sync'`,
    );
    // One job: its first attempt timed out (retried), its retry synced.
    expect(jobs.rows).toEqual([
      {
        state: 'completed',
        retry_count: expect.any(Number),
        output: { outcome: 'synced', pages: 1, patients: 30 },
      },
    ]);
    expect(jobs.rows[0]?.retry_count).toBeGreaterThanOrEqual(1);
  });
});
