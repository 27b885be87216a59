/**
 * The fleet at 5,000 practices on this machine: 4 workers (pg-boss on Node 22, concurrency 4), one
 * PostgreSQL, one sandbox at 50 ms a request, every practice scheduled every 5 minutes (17 syncs a
 * second). Measured: the lag of every practice (time since its last successful sync) sampled every
 * 30 s once the first cycle is done; the time `medfusion-fleet status` takes at that size (the
 * database read and the table it prints); PostgreSQL's work; and pg-boss's job table after a
 * simulated day (the jobs of the run copied up to a day's count), with the retention that bounds it.
 *
 *   npm run bench -- --scale                 # about 15 minutes
 *   npm run bench -- --scale --minutes 30    # a longer run
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFleetStatus, readFleetStatus } from '../src/fleet/status';
import { startSandbox } from '../src/sandbox/index';
import { ready, spawnFleetWorker } from '../test/helpers/fleet';
import { createTestDatabase } from '../test/helpers/postgres';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScaleBench {
  practices: number;
  workers: number;
  concurrency: number;
  everyMinutes: number;
  minutes: number;
  /** Syncs a second the schedules ask for. */
  syncsPerSecondAsked: number;
  /** Syncs a second done (successful jobs over the measured window). */
  syncsPerSecondDone: number;
  /** Seconds since each practice's last success, over every sample after the first cycle. */
  lagSeconds: { p50: number; p90: number; p99: number; max: number; samples: number };
  /** `readFleetStatus` plus the printed table, at this size, ms. */
  statusMs: { median: number; max: number };
  /** Transactions a second of the whole database during the measured window. */
  transactionsPerSecond: number;
  /** pg-boss's job tables (data and indexes) after the run, and after a simulated day. */
  bossTables: {
    afterRun: { jobs: number; bytes: number };
    simulatedDay: { jobs: number; bytes: number };
  };
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export async function scaleBench(
  log: (s: string) => void,
  o: {
    practices: number;
    workers: number;
    concurrency: number;
    everyMinutes: number;
    minutes: number;
  },
): Promise<ScaleBench> {
  const db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  const sb = await startSandbox({ practices: o.practices, seed: 9, prerender: true });
  sb.practiceIds.forEach((id, i) => sb.practice(id).seedRegisteredPatients(i % 3));
  sb.injectFaults({ latencyMs: 50 });
  const dir = mkdtempSync(join(tmpdir(), 'fleet-scale-'));
  const children: ChildProcess[] = [];
  const txCount = async (): Promise<number> =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          `SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`,
        )
      ).rows[0]?.n ?? 0,
    );
  try {
    for (let w = 0; w < o.workers; w++)
      children.push(
        spawnFleetWorker({
          name: `scale-${w}`,
          databaseUrl: db.url,
          bossSchema: 'pgboss',
          sandboxUrl: sb.url,
          credentials: sb.credentials,
          concurrency: o.concurrency,
          leaseMs: 30_000,
          pageDelayMs: 0,
          syncNow: [],
          invite: [],
          logFile: join(dir, 'requests.log'),
          bossIntervals: 'default',
          quiet: true,
          ...(w === 0
            ? { schedule: { practices: sb.practiceIds, everyMinutes: o.everyMinutes } }
            : {}),
        }),
      );
    const t0 = Date.now();
    await Promise.all(children.map(ready));
    log(
      `scale: ${o.practices} practices scheduled every ${o.everyMinutes} min in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );

    // The first cycle: every practice synced once.
    const firstCycleDeadline = Date.now() + (o.everyMinutes + 3) * 60_000;
    for (;;) {
      const r = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM medfusion.fleet_practices WHERE last_success_at IS NOT NULL',
      );
      if ((r.rows[0]?.n ?? 0) >= o.practices) break;
      if (Date.now() > firstCycleDeadline)
        throw new Error('scale: the first cycle did not complete');
      await sleep(5000);
    }
    log(
      `scale: first cycle done after ${((Date.now() - t0) / 60_000).toFixed(1)} min; measuring ${o.minutes} min`,
    );

    const lags: number[] = [];
    const statusTimes: number[] = [];
    const windowStart = Date.now();
    const tx0 = await txCount();
    const done0 = Number(
      (
        await db.pool.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pgboss.job WHERE name = 'medfusion.sync' AND state = 'completed'`,
        )
      ).rows[0]?.n,
    );
    while (Date.now() - windowStart < o.minutes * 60_000) {
      await sleep(30_000);
      const r = await db.pool.query<{ lag: number }>(
        `SELECT extract(epoch FROM now() - last_success_at)::float8 AS lag FROM medfusion.fleet_practices`,
      );
      lags.push(...r.rows.map((x) => x.lag));
      const started = performance.now();
      formatFleetStatus(
        await readFleetStatus(db.pool, { bossSchema: 'pgboss', environment: 'sandbox' }),
      );
      statusTimes.push(performance.now() - started);
      const sorted = [...lags].sort((a, b) => a - b);
      log(
        `scale: ${((Date.now() - windowStart) / 60_000).toFixed(1)} min: lag p50 ${quantile(sorted, 0.5).toFixed(0)} s, p99 ${quantile(sorted, 0.99).toFixed(0)} s, max ${(sorted[sorted.length - 1] ?? 0).toFixed(0)} s; status ${(statusTimes[statusTimes.length - 1] ?? 0).toFixed(0)} ms`,
      );
    }
    const seconds = (Date.now() - windowStart) / 1000;
    const tx = ((await txCount()) - tx0) / seconds;
    const done1 = Number(
      (
        await db.pool.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pgboss.job WHERE name = 'medfusion.sync' AND state = 'completed'`,
        )
      ).rows[0]?.n,
    );
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));

    const tables = async (): Promise<{ jobs: number; bytes: number }> => {
      const r = await db.pool.query<{ jobs: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM pgboss.job)::text AS jobs,
                (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'pgboss' AND c.relkind IN ('r', 'p'))::text AS bytes`,
      );
      return { jobs: Number(r.rows[0]?.jobs), bytes: Number(r.rows[0]?.bytes) };
    };
    const afterRun = await tables();
    // A simulated day: the run's finished sync jobs copied, spread over the day, up to a day's count
    // (and the rest of the run's jobs, as they are).
    const perDay = Math.round((o.practices * 24 * 60) / o.everyMinutes);
    const finished = Number(
      (
        await db.pool.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pgboss.job WHERE name = 'medfusion.sync' AND state = 'completed'`,
        )
      ).rows[0]?.n,
    );
    const copies = Math.max(0, Math.ceil(perDay / Math.max(1, finished)) - 1);
    if (copies > 0)
      await db.pool.query(
        `INSERT INTO pgboss.job (id, name, data, state, retry_limit, retry_delay, retry_backoff,
           expire_seconds, deletion_seconds, singleton_key, start_after, created_on, started_on,
           completed_on, keep_until, output, dead_letter, policy, heartbeat_seconds)
         SELECT gen_random_uuid(), name, data, state, retry_limit, retry_delay, retry_backoff,
           expire_seconds, deletion_seconds, singleton_key,
           start_after - g * interval '1 second', created_on - g * interval '1 second',
           started_on - g * interval '1 second', completed_on - g * interval '1 second',
           keep_until, output, dead_letter, policy, heartbeat_seconds
           FROM pgboss.job, generate_series(1, $1) AS g
          WHERE name = 'medfusion.sync' AND state = 'completed'`,
        [copies],
      );
    await db.pool.query('VACUUM ANALYZE pgboss.job');
    const simulatedDay = await tables();
    const statusDay: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      formatFleetStatus(
        await readFleetStatus(db.pool, { bossSchema: 'pgboss', environment: 'sandbox' }),
      );
      statusDay.push(performance.now() - started);
    }
    const sortedLags = [...lags].sort((a, b) => a - b);
    const sortedStatus = [...statusTimes, ...statusDay].sort((a, b) => a - b);
    return {
      practices: o.practices,
      workers: o.workers,
      concurrency: o.concurrency,
      everyMinutes: o.everyMinutes,
      minutes: o.minutes,
      syncsPerSecondAsked: o.practices / (o.everyMinutes * 60),
      syncsPerSecondDone: (done1 - done0) / seconds,
      lagSeconds: {
        p50: quantile(sortedLags, 0.5),
        p90: quantile(sortedLags, 0.9),
        p99: quantile(sortedLags, 0.99),
        max: sortedLags[sortedLags.length - 1] ?? 0,
        samples: sortedLags.length,
      },
      statusMs: {
        median: quantile(sortedStatus, 0.5),
        max: sortedStatus[sortedStatus.length - 1] ?? 0,
      },
      transactionsPerSecond: tx,
      bossTables: { afterRun, simulatedDay },
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await sb.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
