/**
 * The fleet's speed, measured against its bound in the same run (pg-boss on Node 22 in worker
 * processes, one sandbox answering every request after 50 ms, PostgreSQL from the tests' setup or
 * MEDFUSION_TEST_DATABASE_URL):
 *
 * - latency bound: one practice's sync, measured (the median time of a job that finds nothing new,
 *   inside the worker: lease, token reuse, one GET, the state rows), gives the bound of a worker of
 *   concurrency c: c / that time. The measured steady-state rate of one worker is compared with it.
 * - scaling: 1, 2 and 4 workers drain the same steady-state fleet.
 * - backfill: one practice with 5,000 new patients (50 pages): time against 50 × 50 ms.
 * - idle cost: PostgreSQL transactions a second of one worker with nothing to do, woken by
 *   LISTEN/NOTIFY and polling every 2 s.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../src/sandbox/index';
import { ready, spawnFleetWorker, type FleetWorkerConfig } from '../test/helpers/fleet';
import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What `npm run bench -- --fleet` measures. */
export interface FleetBench {
  latencyMs: number;
  practices: number;
  concurrency: number;
  /** One practice's sync that finds nothing new, median, ms (concurrency 1, one worker). */
  syncMedianMs: number;
  /** concurrency / syncMedianMs, in practices a minute. */
  boundPerMinute: number;
  /** One worker of that concurrency, steady state, practices a minute. */
  measuredPerMinute: number;
  /** measured / bound. */
  ratioToBound: number;
  /**
   * Each round of 1, 2 and 4 workers: its rate, how busy the machine's CPUs were (0 to 1, every
   * process: workers, PostgreSQL, sandbox) and the CPU time one sync cost, all processes included.
   */
  scaling: { workers: number; practicesPerMinute: number; cpuBusy: number; cpuMsPerSync: number }[];
  /** 4 workers / 1 worker. */
  scaling4to1: number;
  /**
   * What this machine's CPUs allow 4 workers: the lesser of 4 × one worker's rate and the
   * machine's CPU time divided by one sync's (measured with one worker), practices a minute.
   */
  cpuBoundPerMinute4: number;
  /** 4 workers' rate / cpuBoundPerMinute4. */
  ratioToCpuBound4: number;
  backfill: { patients: number; pages: number; ms: number; boundMs: number; ratio: number };
  idle: { notifyTxPerSecond: number; pollingTxPerSecond: number; seconds: number };
}

interface Fleet {
  db: TestDatabase;
  sb: Sandbox;
  dir: string;
  children: ChildProcess[];
}

/** Worker processes over `f`, ready; the first queues `queue` when signalled (SIGUSR2). */
async function workers(
  f: Fleet,
  count: number,
  concurrency: number,
  queue: string[],
  extra: Partial<FleetWorkerConfig> = {},
): Promise<ChildProcess[]> {
  const started: ChildProcess[] = [];
  for (let w = 0; w < count; w++) {
    started.push(
      spawnFleetWorker({
        name: `bench-${f.children.length + w}`,
        databaseUrl: f.db.url,
        bossSchema: 'pgboss',
        sandboxUrl: f.sb.url,
        credentials: f.sb.credentials,
        concurrency,
        leaseMs: 10_000,
        pageDelayMs: 0,
        syncNow: w === 0 ? queue : [],
        syncOnSignal: true,
        invite: [],
        logFile: join(f.dir, 'requests.log'),
        bossIntervals: 'default',
        quiet: true,
        ...extra,
      }),
    );
  }
  f.children.push(...started);
  await Promise.all(started.map(ready));
  return started;
}

async function stop(f: Fleet, children: ChildProcess[]): Promise<void> {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
  );
  f.children = f.children.filter((c) => !children.includes(c));
}

/**
 * Signals the queueing worker, then waits until every practice of `ids` synced since: the round's
 * time on the database's clock, from its start to the last practice's success.
 */
async function round(f: Fleet, first: ChildProcess, ids: string[]): Promise<number> {
  const since = (await f.db.pool.query<{ t: Date }>('SELECT now() AS t')).rows[0]?.t as Date;
  first.kill('SIGUSR2');
  const deadline = Date.now() + 10 * 60_000;
  // A light look every 100 ms (its cost is part of the run): the practices of a round are all those
  // synced since it began.
  for (;;) {
    const res = await f.db.pool.query<{ n: number; last: Date | null }>(
      `SELECT count(*)::int AS n, max(last_success_at) AS last FROM medfusion.fleet_practices
        WHERE last_success_at >= $1`,
      [since],
    );
    if ((res.rows[0]?.n ?? 0) >= ids.length)
      return (res.rows[0]?.last as Date).getTime() - since.getTime();
    if (Date.now() > deadline) throw new Error('fleet bench: a round did not drain in 10 minutes');
    await sleep(100);
  }
}

/** CPU time of every core so far, busy and in all, ms (os.cpus(): all processes of the machine). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    busy += all - times.idle;
    total += all;
  }
  return { busy, total };
}

/** Transactions the database committed or rolled back so far. */
async function transactions(db: TestDatabase): Promise<number> {
  const res = await db.pool.query<{ n: string }>(
    `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(res.rows[0]?.n ?? 0);
}

export async function fleetBench(
  log: (s: string) => void,
  options: { practices: number; concurrency: number } = { practices: 800, concurrency: 4 },
): Promise<FleetBench> {
  const { practices, concurrency } = options;
  const db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  // One more practice than the fleet: the backfill's, with 5,000 patients.
  const sb = await startSandbox({ practices: practices + 1, seed: 5, prerender: true });
  const ids = sb.practiceIds.slice(0, practices);
  const backfill = sb.practiceIds[practices] as string;
  ids.forEach((id, i) => sb.practice(id).seedRegisteredPatients(i % 3));
  sb.practice(backfill).seedRegisteredPatients(5000);
  sb.injectFaults({ latencyMs: 50 });
  const f: Fleet = { db, sb, dir: mkdtempSync(join(tmpdir(), 'fleet-bench-')), children: [] };
  try {
    // Warm-up: every practice synced once, so what follows is the steady state (nothing new).
    const warm = await workers(f, 4, concurrency, ids);
    await round(f, warm[0] as ChildProcess, ids);
    await stop(f, warm);

    // One practice's sync, measured inside the worker, one at a time.
    const sample = ids.slice(0, 100);
    const one = await workers(f, 1, 1, sample);
    await round(f, one[0] as ChildProcess, sample);
    await stop(f, one);
    const median = await db.pool.query<{ ms: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY last_run_ms) AS ms
         FROM medfusion.fleet_practices WHERE practice_id = ANY($1)`,
      [sample],
    );
    const syncMedianMs = Number(median.rows[0]?.ms);
    const boundPerMinute = (concurrency / syncMedianMs) * 60_000;
    log(
      `fleet: one practice's sync (nothing new) takes ${syncMedianMs.toFixed(0)} ms: a worker of concurrency ${concurrency} is bound to ${boundPerMinute.toFixed(0)} practices/min`,
    );

    const scaling: FleetBench['scaling'] = [];
    for (const n of [1, 2, 4]) {
      const fleet = await workers(f, n, concurrency, ids);
      const before = cpuTimes();
      const ms = await round(f, fleet[0] as ChildProcess, ids);
      const after = cpuTimes();
      await stop(f, fleet);
      const perMinute = practices / (ms / 60_000);
      const cpuBusy = (after.busy - before.busy) / (after.total - before.total);
      const cpuMsPerSync = (after.busy - before.busy) / practices;
      scaling.push({ workers: n, practicesPerMinute: perMinute, cpuBusy, cpuMsPerSync });
      log(
        `fleet: ${n} worker(s) × concurrency ${concurrency}: ${practices} practices in ${(ms / 1000).toFixed(1)} s, ${perMinute.toFixed(0)} practices/min; CPUs ${(cpuBusy * 100).toFixed(0)}% busy, ${cpuMsPerSync.toFixed(1)} ms of CPU a sync`,
      );
    }
    const measuredPerMinute = scaling[0]?.practicesPerMinute ?? 0;
    const scaling4to1 = (scaling[2]?.practicesPerMinute ?? 0) / measuredPerMinute;
    // The machine's own bound: all its cores' time over what one sync costs with one worker.
    const cpuBoundPerMinute4 = Math.min(
      4 * measuredPerMinute,
      (cpus().length * 60_000) / (scaling[0]?.cpuMsPerSync ?? Infinity),
    );
    const ratioToCpuBound4 = (scaling[2]?.practicesPerMinute ?? 0) / cpuBoundPerMinute4;
    log(
      `fleet: ${cpus().length} cores at ${(scaling[0]?.cpuMsPerSync ?? 0).toFixed(1)} ms of CPU a sync allow 4 workers ${cpuBoundPerMinute4.toFixed(0)} practices/min; they did ${(ratioToCpuBound4 * 100).toFixed(0)}% of it`,
    );

    // Backfill: one practice, 5,000 new patients.
    const single = await workers(f, 1, concurrency, [backfill]);
    const backfillMs = await round(f, single[0] as ChildProcess, [backfill]);
    await stop(f, single);
    const pages = Math.ceil(5000 / 100) + 1; // and the closing 204
    const boundMs = pages * 50;
    log(
      `fleet: backfill of 5,000 patients (${pages} requests at 50 ms) in ${(backfillMs / 1000).toFixed(1)} s (bound ${(boundMs / 1000).toFixed(1)} s)`,
    );

    // Idle cost: one worker, no job, woken by NOTIFY (a 30 s backstop), then polling every 2 s;
    // less what the database does with no worker at all (autovacuum, this measure's reads).
    const idleSeconds = 30;
    const window = async (): Promise<number> => {
      const before = await transactions(db);
      await sleep(idleSeconds * 1000);
      return (await transactions(db)) - before;
    };
    const baseline = await window();
    const idle = async (notify: boolean): Promise<number> => {
      const w = await workers(f, 1, concurrency, [], { notify });
      await sleep(3000); // past start-up
      const n = await window();
      await stop(f, w);
      return Math.max(0, n - baseline) / idleSeconds;
    };
    const notifyTx = await idle(true);
    const pollingTx = await idle(false);
    log(
      `fleet: an idle worker runs ${notifyTx.toFixed(2)} transactions/s with LISTEN/NOTIFY, ${pollingTx.toFixed(2)} polling every 2 s`,
    );
    return {
      latencyMs: 50,
      practices,
      concurrency,
      syncMedianMs,
      boundPerMinute,
      measuredPerMinute,
      ratioToBound: measuredPerMinute / boundPerMinute,
      scaling,
      scaling4to1,
      cpuBoundPerMinute4,
      ratioToCpuBound4,
      backfill: { patients: 5000, pages, ms: backfillMs, boundMs, ratio: boundMs / backfillMs },
      idle: { notifyTxPerSecond: notifyTx, pollingTxPerSecond: pollingTx, seconds: idleSeconds },
    };
  } finally {
    await stop(f, f.children);
    await sb.close();
    await db.drop();
    rmSync(f.dir, { recursive: true, force: true });
  }
}

/** Starts the tests' PostgreSQL unless one is named; returns its teardown. */
export async function withPostgres<T>(fn: () => Promise<T>): Promise<T> {
  if (process.env.MEDFUSION_TEST_DATABASE_URL) return fn();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const setup = require('../test/setup/postgres.global.cjs') as () => Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const teardown = require('../test/setup/postgres.teardown.cjs') as () => Promise<void>;
  await setup();
  try {
    return await fn();
  } finally {
    await teardown();
    delete process.env.MEDFUSION_TEST_DATABASE_URL;
  }
}

if (require.main === module) {
  // `node --import tsx bench/fleet.ts [practices]`: the fleet alone, printed as JSON.
  void withPostgres(async () => {
    const result = await fleetBench((s) => process.stdout.write(`${s}\n`), {
      practices: Number(process.argv[2] ?? 800),
      concurrency: 4,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}
