/**
 * The operator's side of a real fleet: pg-boss 12 worker processes on Node 22, the sandbox, real
 * PostgreSQL. What the run log and the minute snapshots keep; dead letters listed by practice with
 * the reason kept in FleetJobError, and redriven; a gone holder's lease released (fenced: it cannot
 * commit after); a cursor reset; a practice removed; `schedule({ replace: true })`; a span per job
 * with its sync and requests beneath it, and no patient value in any span, metric or run-log row.
 * Waits are on conditions, with generous deadlines.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { PostgresCheckpointStore } from 'medfusion-patient-sdk/postgres';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { node22, ready, spawnFleetWorker, type FleetWorkerConfig } from './helpers/fleet';
import { FleetHistory } from '../src/fleet/history';
import { noInstrumentation } from '../src/core/instrumentation';

jest.setTimeout(300_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const root = join(__dirname, '..');
const ENV = 'sandbox';

let db: TestDatabase;
let sb: Sandbox;
let dir: string;
let p: string[];
const bossSchema = `pgboss_${randomBytes(3).toString('hex')}`;
const children = new Set<ChildProcess>();

async function until(what: string, check: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function worker(config: Partial<FleetWorkerConfig>): Promise<ChildProcess> {
  const child = spawnFleetWorker({
    name: `ops-${children.size + 1}`,
    databaseUrl: db.url,
    bossSchema,
    sandboxUrl: sb.url,
    credentials: sb.credentials,
    concurrency: 2,
    leaseMs: 30_000,
    pageDelayMs: 0,
    syncNow: [],
    invite: [],
    logFile: join(dir, 'requests.log'),
    retryLimit: 0,
    ...config,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return ready(child).then(() => child);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** `medfusion-fleet` from the sources: on Node 22 (pg-boss) or on this Node. */
const cli = (args: string[], node = process.execPath) =>
  promisify(execFile)(node, ['--import', 'tsx', join(root, 'src', 'cli', 'fleet.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', USER: 'test-operator' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
const opts = () => ['--database-url', db.url, '--environment', ENV, '--boss-schema', bossSchema];

const q = async <T>(sql: string, values: unknown[] = []): Promise<T[]> =>
  (await db.pool.query(sql, values)).rows as T[];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  sb = await startSandbox({ seed: 33, practices: 4 });
  p = sb.practiceIds;
  for (const [i, id] of p.entries()) sb.practice(id).seedRegisteredPatients(20 + i * 60);
  dir = mkdtempSync(join(tmpdir(), 'fleet-ops-'));
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([...children].map((c) => new Promise((r) => c.once('exit', r))));
  await sb.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('operating a fleet', () => {
  const telemetryFile = () => join(dir, 'telemetry.json');
  let poison: string;

  it('logs every run, dead-letters a poisoned practice with its reason, and traces each job with its sync beneath it', async () => {
    poison = p[3] as string;
    const a = await worker({
      syncNow: p,
      poisonPractice: poison,
      telemetryFile: telemetryFile(),
    });
    await until('three syncs and a dead letter', async () => {
      const [runs] = await q<{ ok: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE outcome = 'synced')::int AS ok,
                count(*) FILTER (WHERE outcome = 'failed')::int AS failed FROM medfusion.fleet_runs`,
      );
      return runs?.ok === 3 && runs.failed === 1;
    });
    await stop(a);

    const runs = await q<Record<string, unknown>>(
      `SELECT practice_id, environment, kind, outcome, pages, patients, error_class, error_code,
              http_status, actor, job_id, detail FROM medfusion.fleet_runs ORDER BY practice_id`,
    );
    expect(runs.map((r) => [r.practice_id, r.outcome])).toEqual(
      [...p].sort().map((id) => [id, id === poison ? 'failed' : 'synced']),
    );
    for (const r of runs) {
      expect(r).toMatchObject({ environment: ENV, kind: 'sync', actor: 'ops-1' });
      expect(r.job_id).toEqual(expect.any(String));
    }
    const synced = runs.find((r) => r.practice_id === p[1]);
    expect(synced).toMatchObject({ patients: 80, error_class: null });
    expect(runs.find((r) => r.practice_id === poison)).toMatchObject({
      error_class: 'Error', // a built-in class is kept; a class of yours would be CallbackError
      detail: expect.objectContaining({ callback: 'onPage', origin: 'callback' }),
    });
    // The poisoned onPage threw a message with a patient's name and birth date: never kept.
    const everything = JSON.stringify(await q('SELECT * FROM medfusion.fleet_runs'));
    expect(everything).not.toMatch(/Jane|Poison|1985-12-10/);

    // Telemetry: a span per job, its sync beneath it, the sync's requests beneath that.
    const t = JSON.parse(readFileSync(telemetryFile(), 'utf8')) as {
      spans: {
        name: string;
        spanId: string;
        parentSpanId?: string;
        attributes: Record<string, unknown>;
        status: { code: number };
      }[];
      metrics: { name: string; attributes: Record<string, unknown>; value: unknown }[];
    };
    const jobs = t.spans.filter((s) => s.name === 'medfusion.fleet.job');
    expect(jobs.map((j) => j.attributes['medfusion.practice.id']).sort()).toEqual([...p].sort());
    const poisoned = jobs.find((j) => j.attributes['medfusion.practice.id'] === poison);
    expect(poisoned?.attributes).toMatchObject({
      'medfusion.job.kind': 'sync',
      'medfusion.job.outcome': 'failed',
      'error.type': 'Error',
    });
    expect(poisoned?.status.code).toBe(2);
    const ok = jobs.find((j) => j.attributes['medfusion.practice.id'] === p[1]);
    expect(ok?.attributes).toMatchObject({
      'medfusion.job.outcome': 'synced',
      'medfusion.job.patients': 80,
    });
    const sync = t.spans.find((s) => s.name === 'medfusion.sync' && s.parentSpanId === ok?.spanId);
    expect(sync?.attributes).toMatchObject({ 'medfusion.sync.patients': 80 });
    expect(t.spans.filter((s) => s.parentSpanId === sync?.spanId).map((s) => s.name)).toContain(
      'GET /v2/practice/{practiceId}/patient',
    );
    const jobCount = (outcome: string) =>
      t.metrics.find(
        (m) =>
          m.name === 'medfusion.fleet.jobs' && m.attributes['medfusion.job.outcome'] === outcome,
      )?.value;
    expect(jobCount('synced')).toBe(3);
    expect(jobCount('failed')).toBe(1);
    expect(t.metrics.find((m) => m.name === 'medfusion.fleet.dead_letters')?.attributes).toEqual({
      'medfusion.job.kind': 'sync',
      'error.type': 'Error',
    });
    expect(JSON.stringify(t)).not.toMatch(/Jane|Poison|1985-12-10/);
  });

  it('one snapshot a minute, by whichever worker writes it first: states, lag percentiles, runs since the previous one', async () => {
    // The previous snapshot, a day ago: this one counts every run since.
    await db.pool.query(`DELETE FROM medfusion.fleet_snapshots;
      INSERT INTO medfusion.fleet_snapshots (environment, minute, taken_at, practices, current, stale,
        never_synced, failing, rate_limited, syncing, syncs, failures, patients)
      VALUES ('${ENV}', date_trunc('minute', now() - interval '1 day'), now() - interval '1 day',
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`);
    const history = () =>
      new FleetHistory(
        db.pool,
        {
          schema: 'medfusion',
          environment: ENV,
          retentionDays: 7,
          staleAfterSeconds: 900,
          deadLetters: async () => 1,
        },
        noInstrumentation,
      );
    const wrote = await Promise.all([history().tick(), history().tick(), history().tick()]);
    // Two in a row can straddle a minute: then both wrote, each its own minute.
    const rows = await q<Record<string, unknown>>(
      `SELECT * FROM medfusion.fleet_snapshots WHERE minute > now() - interval '1 hour' ORDER BY minute`,
    );
    expect(wrote.filter(Boolean).length).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({
      environment: ENV,
      practices: 4,
      current: 3,
      never_synced: 1,
      failing: 1,
      dead_letters: 1,
    });
    // The first new snapshot counts the runs since the previous one (a day ago).
    expect(rows[0]).toMatchObject({ syncs: 3, failures: 1, patients: 20 + 80 + 140 });
    expect(Number(rows[0]?.lag_p50)).toBeGreaterThanOrEqual(0);
  });

  it('lists dead letters by practice with the reason FleetJobError kept, and redrives them; the run log records who', async () => {
    const listed = await cli(['dead-letters', ...opts(), '--json']);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(letters).toEqual([
      expect.objectContaining({
        practiceId: poison,
        kind: 'sync',
        attempts: 1,
        reason: expect.objectContaining({
          errorClass: 'Error',
          callback: 'onPage',
          origin: 'callback',
        }),
      }),
    ]);
    const table = await cli(['dead-letters', ...opts()]);
    expect(table.stdout).toMatch(new RegExp(`^${poison}\\s+sync\\s+Error in onPage`, 'm'));
    expect(table.stdout + listed.stdout).not.toMatch(/Jane|Poison|1985-12-10/);

    const redriven = await cli(['redrive', poison, ...opts()], node22());
    expect(redriven).toMatchObject({ code: 0, stdout: '1 job(s) sent back to their queue\n' });
    const after = JSON.parse(
      (await cli(['dead-letters', ...opts(), '--json'])).stdout,
    ) as unknown[];
    expect(after).toEqual([]);
    const jobs = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${bossSchema}.job
        WHERE name = 'medfusion.sync' AND state = 'created' AND data->>'practiceId' = $1`,
      [poison],
    );
    expect(jobs[0]?.n).toBe(1);
    const actions = await q<Record<string, unknown>>(
      `SELECT practice_id, outcome, actor, detail FROM medfusion.fleet_runs WHERE kind = 'action'`,
    );
    expect(actions).toEqual([
      { practice_id: poison, outcome: 'redrive', actor: 'test-operator', detail: { jobs: 1 } },
    ]);
  });

  it('releases the lease of a gone holder, fenced: that holder cannot commit after; a live holder keeps its lease', async () => {
    const practiceId = p[0] as string;
    const store = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId,
      environment: ENV,
      leaseMs: 3_600_000, // renewed every 20 minutes: not during this test
      holder: 'fleet:gone-1',
    });
    const held = await store.begin({ practiceId, apiVersion: 'v2' });
    // Alive: it renews its lease.
    const alive = await cli(['release-lease', practiceId, ...opts()]);
    expect(alive).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/fleet:gone-1 holds the practice and is renewing its lease/),
    });
    // The process froze (the row shows no renewal for more than half the lease): gone.
    await db.pool.query(
      `UPDATE medfusion.checkpoints SET lease_renewed_at = now() - interval '40 minutes',
              lease_expires_at = now() + interval '20 minutes'
        WHERE practice_id = $1 AND environment = $2`,
      [practiceId, ENV],
    );
    const released = await cli(['release-lease', practiceId, ...opts()]);
    expect(released).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^released the lease of fleet:gone-1 \(fence \d+\)\n$/),
    });
    const [row] = await q<{ holder: string | null }>(
      'SELECT holder FROM medfusion.checkpoints WHERE practice_id = $1 AND environment = $2',
      [practiceId, ENV],
    );
    expect(row?.holder).toBeNull();
    // The holder comes back: its commit is refused.
    await expect(held.commit('1700000000,5')).rejects.toMatchObject({ name: 'LeaseLostError' });
    await held.end().catch(() => undefined);
    const again = await cli(['release-lease', practiceId, ...opts()]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/no lease to release/) });
  });

  it('resets a cursor (fenced, refused while a live holder has the practice), never printing it', async () => {
    const practiceId = p[1] as string;
    const [before] = await q<{ fence: string; cursor: string }>(
      'SELECT fence, cursor FROM medfusion.checkpoints WHERE practice_id = $1 AND environment = $2',
      [practiceId, ENV],
    );
    const set = await cli(['reset-cursor', practiceId, '--to', '1700000000,0', ...opts()]);
    expect(set).toMatchObject({ code: 0, stdout: expect.stringMatching(/^cursor set \(fence/) });
    expect(set.stdout).not.toContain('1700000000');
    const [after] = await q<{ fence: string; cursor: string }>(
      'SELECT fence, cursor FROM medfusion.checkpoints WHERE practice_id = $1 AND environment = $2',
      [practiceId, ENV],
    );
    expect(after?.cursor).toBe('1700000000,0');
    expect(Number(after?.fence)).toBe(Number(before?.fence) + 1);
    const bad = await cli(['reset-cursor', practiceId, '--to', 'not a cursor', ...opts()]);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringMatching(/to \(cursor/) });
    const cleared = await cli(['reset-cursor', practiceId, ...opts()]);
    expect(cleared.stdout).toMatch(/cleared: the next sync reads the feed from its start/);
    const none = await cli(['reset-cursor', 'no-such-practice', ...opts()]);
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/no checkpoint/) });
    const store = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId,
      environment: ENV,
      leaseMs: 60_000,
      holder: 'fleet:live-1',
    });
    const held = await store.begin({ practiceId, apiVersion: 'v2' });
    const refused = await cli(['reset-cursor', practiceId, ...opts()]);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/fleet:live-1 holds/) });
    await held.end();
  });

  it("removes a practice (schedule, queued jobs, row, checkpoint; its ledger stays); schedule({ replace: true }) keeps only the list's", async () => {
    const gone = p[2] as string;
    await stop(await worker({ schedule: { practices: p, everyMinutes: 60 } }));
    const removed = await cli(['remove', gone, ...opts()], node22());
    expect(removed).toMatchObject({ code: 0 });
    const schedules = async () =>
      (
        await q<{ key: string }>(
          `SELECT key FROM ${bossSchema}.schedule WHERE name = 'medfusion.sync' ORDER BY key`,
        )
      ).map((r) => r.key);
    expect(await schedules()).toEqual([...p].filter((id) => id !== gone).sort());
    expect(
      await q('SELECT 1 FROM medfusion.fleet_practices WHERE practice_id = $1', [gone]),
    ).toEqual([]);
    expect(await q('SELECT 1 FROM medfusion.checkpoints WHERE practice_id = $1', [gone])).toEqual(
      [],
    );
    const status = JSON.parse((await cli(['status', ...opts(), '--json'])).stdout) as {
      practices: { practiceId: string }[];
    };
    expect(status.practices.map((x) => x.practiceId)).not.toContain(gone);

    const keep = p[0] as string;
    const b = await worker({ schedule: { practices: [keep], everyMinutes: 5, replace: true } });
    await stop(b);
    expect(await schedules()).toEqual([keep]);
    const actions = await q<{ outcome: string }>(
      `SELECT outcome FROM medfusion.fleet_runs WHERE kind = 'action' ORDER BY id`,
    );
    expect(actions.map((a) => a.outcome)).toEqual([
      'redrive',
      'release-lease',
      'reset-cursor',
      'reset-cursor',
      'remove',
    ]);
  });
});
