/**
 * Durable state under real crashes, with real processes and a real PostgreSQL server:
 * - 20+ SIGKILLs of an exactly-once sync worker writing with a plain INSERT: nothing lost, nothing
 *   duplicated, the cursor never ahead of the data;
 * - 2 then 4 workers started at once on one practice: no overlapping feed reads at the sandbox;
 * - a worker SIGSTOPped past its lease: taken over, then refused with LeaseLostError;
 * - 20+ SIGKILLs of a 5,000-patient bulk invitation with the ledger, then a rerun: no second
 *   invitation, no patient left out, unknown outcomes reported and resent only when asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { MedfusionClient, MemoryCheckpointStore } from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { PostgresInvitationLedger } from 'medfusion-patient-sdk/postgres';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { recordFigures } from './helpers/figures';
import type { SyncWorkerOptions } from './scripts/worker';

const root = join(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    'CREATE TABLE synced (id bigserial PRIMARY KEY, practice_patient_id text NOT NULL, page_cursor text, worker text)',
  );
});
const afterAllClose: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(afterAllClose.map((sb) => sb.close()));
  await db.drop();
});

interface Worker {
  child: ChildProcess;
  /** Resolves with the exit code and the JSON line the worker printed (if it lived to print it). */
  exited: Promise<{ code: number | null; out?: Record<string, unknown> }>;
  finished: () => boolean;
}

function startWorker(script: string, args: string[]): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'scripts', script), ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; out?: Record<string, unknown> }>((resolve) =>
    child.once('close', (code) => {
      done = true;
      const line = stdout.trim().split('\n').pop();
      resolve({ code, ...(line ? { out: JSON.parse(line) as Record<string, unknown> } : {}) });
    }),
  );
  return { child, exited, finished: () => done };
}

const sandboxArgs = (sb: Sandbox) => [
  sb.url,
  sb.practiceId,
  JSON.stringify(sb.credentials),
  db.url,
];

const syncWorker = (sb: Sandbox, o: SyncWorkerOptions) =>
  startWorker('pg-sync-worker.ts', [...sandboxArgs(sb), JSON.stringify(o)]);

const count = async (sql: string, values: unknown[] = []): Promise<number> =>
  Number(((await db.pool.query(sql, values)).rows[0] as { n: string }).n);

/** Every id delivered exactly once? Returns [missing, duplicated]. */
async function deliveryOf(ids: string[]): Promise<[number, number]> {
  const rows = (
    await db.pool.query<{ id: string; n: string }>(
      'SELECT practice_patient_id AS id, count(*) AS n FROM synced GROUP BY 1',
    )
  ).rows;
  const seen = new Map(rows.map((r) => [r.id, Number(r.n)]));
  return [ids.filter((id) => !seen.has(id)).length, rows.filter((r) => Number(r.n) > 1).length];
}

const checkpointOf = async (practiceId: string) =>
  (
    await db.pool.query<{ cursor: string | null; holder: string | null }>(
      "SELECT cursor, holder FROM medfusion.checkpoints WHERE practice_id = $1 AND environment = 'sandbox'",
      [practiceId],
    )
  ).rows[0];

it('exactly-once sync survives 20+ SIGKILLs: 0 lost, 0 duplicated, cursor never ahead of the data', async () => {
  const FEED = 3000;
  const sb = await startSandbox({ seed: 21 });
  const ids = sb.seedRegisteredPatients(FEED);
  await db.pool.query('TRUNCATE synced');
  let kills = 0;
  let runs = 0;
  try {
    for (; runs < 60; runs++) {
      const before = await count('SELECT count(*) AS n FROM synced');
      const w = syncWorker(sb, {
        name: `w${runs}`,
        leaseMs: 800,
        waitForLeaseMs: 10_000,
        pageDelayMs: 4,
        max: 25,
      });
      const kill = kills < 20;
      // Kills at fixed points of progress (a start-up kill before any page, or after 1 to 3 new
      // pages), so that 20 of them happen before the 120 pages run out, whatever the machine's speed.
      if (kill) {
        const pagesFirst = Math.random() < 0.2 ? 0 : 1 + Math.floor(Math.random() * 3);
        const target = before + 25 * pagesFirst;
        for (let waited = 0; !w.finished() && waited < 30_000; waited += 5) {
          if ((await count('SELECT count(*) AS n FROM synced')) >= target) break;
          await sleep(5);
        }
        await sleep(Math.random() * 15);
      }
      const killed = kill && !w.finished() && w.child.kill('SIGKILL');
      const { code } = await w.exited;
      // Invariants after every run, killed or not: no duplicate, and the cursor is exactly the
      // cursor of the last page committed (the page's rows and the cursor commit together).
      expect(
        await count('SELECT count(*) - count(DISTINCT practice_patient_id) AS n FROM synced'),
      ).toBe(0);
      const last = (
        await db.pool.query<{ c: string | null }>(
          'SELECT page_cursor AS c FROM synced ORDER BY id DESC LIMIT 1',
        )
      ).rows[0];
      expect((await checkpointOf(sb.practiceId))?.cursor ?? null).toBe(last?.c ?? null);
      if (killed && code !== 0) kills++;
      else if (!kill) {
        expect(code).toBe(0);
        break;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    const [missing, duplicated] = await deliveryOf(ids);
    expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: 0 });
    recordFigures('postgres-exactly-once-crash', {
      feed: FEED,
      kills,
      runs: runs + 1,
      patientsLost: missing,
      patientsDuplicated: duplicated,
    });
  } finally {
    await sb.close();
  }
}, 240_000);

describe('workers started at once on one practice', () => {
  it('the sandbox records overlapping feed reads when two syncs do run at once (the control)', async () => {
    const sb = await startSandbox({ seed: 22, faults: { latencyMs: 50 } });
    afterAllClose.push(sb);
    sb.seedRegisteredPatients(400);
    const client = new MedfusionClient({
      baseUrl: sb.url,
      practiceId: sb.practiceId,
      credentials: sb.credentials,
    });
    const unleased = () =>
      client.patients.sync({
        checkpoint: new MemoryCheckpointStore(),
        max: 50,
        onPage: async () => undefined,
      });
    await Promise.all([unleased(), unleased()]);
    expect(sb.stats.overlappingFeedReads).toBeGreaterThan(0);
  });

  it('2 and then 4 workers: no overlapping reads, every patient once', async () => {
    const sb = await startSandbox({ seed: 23, faults: { latencyMs: 15 } });
    await db.pool.query('TRUNCATE synced');
    const ids: string[] = [];
    try {
      for (const workers of [2, 4]) {
        ids.push(...sb.seedRegisteredPatients(1000));
        const started = Array.from({ length: workers }, (_, i) =>
          syncWorker(sb, {
            name: `n${workers}-${i}`,
            leaseMs: 3000,
            waitForLeaseMs: 60_000,
            pageDelayMs: 2,
            max: 50,
          }),
        );
        const outcomes = await Promise.all(started.map((w) => w.exited));
        expect(outcomes.map((o) => o.code)).toEqual(Array(workers).fill(0));
        // One worker drained the feed; the others, after waiting, found nothing new.
        const delivered = outcomes.map((o) => o.out?.patients as number).sort((a, b) => b - a);
        expect(delivered).toEqual([1000, ...Array(workers - 1).fill(0)]);
        expect(sb.stats.overlappingFeedReads).toBe(0);
        const [missing, duplicated] = await deliveryOf(ids);
        expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: 0 });
      }
      recordFigures('postgres-concurrent-workers', {
        workers: 4,
        overlappingFeedReads: sb.stats.overlappingFeedReads,
      });
    } finally {
      await sb.close();
    }
  }, 120_000);

  it('a worker SIGSTOPped past its lease is taken over and then refused with LeaseLostError', async () => {
    const sb = await startSandbox({ seed: 24, faults: { latencyMs: 5 } });
    const ids = sb.seedRegisteredPatients(1500);
    await db.pool.query('TRUNCATE synced');
    await db.pool.query("DELETE FROM medfusion.checkpoints WHERE environment = 'sandbox'");
    try {
      const stalled = syncWorker(sb, {
        name: 'stalled',
        leaseMs: 1000,
        renewEveryMs: 250,
        waitForLeaseMs: 0,
        pageDelayMs: 20,
        max: 25,
      });
      for (let waited = 0; waited < 30_000; waited += 10) {
        if ((await count('SELECT count(*) AS n FROM synced')) >= 75) break;
        await sleep(10);
      }
      stalled.child.kill('SIGSTOP');
      // Past the expiry on the database clock.
      for (let waited = 0; waited < 10_000; waited += 50) {
        const expired = await count(
          "SELECT count(*) AS n FROM medfusion.checkpoints WHERE environment = 'sandbox' AND lease_expires_at < clock_timestamp()",
        );
        if (expired > 0) break;
        await sleep(50);
      }
      const takeover = syncWorker(sb, {
        name: 'takeover',
        leaseMs: 1000,
        waitForLeaseMs: 20_000,
        pageDelayMs: 0,
        max: 100,
      });
      const t = await takeover.exited;
      expect(t.code).toBe(0);
      const cursorAfterTakeover = (await checkpointOf(sb.practiceId))?.cursor;
      expect(cursorAfterTakeover).toBe(t.out?.cursor);

      stalled.child.kill('SIGCONT');
      const s = await stalled.exited;
      expect(s.out).toEqual({ error: 'LeaseLostError' });
      expect((await checkpointOf(sb.practiceId))?.cursor).toBe(cursorAfterTakeover); // not moved by the stalled worker
      const [missing, duplicated] = await deliveryOf(ids);
      expect({ missing, duplicated }).toEqual({ missing: 0, duplicated: 0 });
      expect(sb.stats.overlappingFeedReads).toBe(0);
    } finally {
      await sb.close();
    }
  }, 90_000);
});

it('bulk invitations with the per-patient ledger survive 20 SIGKILLs: 0 accepted patients invited twice, 0 left out', async () => {
  const COUNT = 5000;
  const sb = await startSandbox({ seed: 25, faults: { latencyMs: 25 } });
  const args = [...sandboxArgs(sb), String(COUNT)];
  const run = (resend = false) => startWorker('pg-invite-worker.ts', [...args, resend ? '1' : '0']);
  const batchRows = () => count('SELECT count(*) AS n FROM medfusion.invitation_batches');
  await db.pool.query('TRUNCATE medfusion.invitation_batches, medfusion.invitation_patients');
  const ledger = new PostgresInvitationLedger({ pool: db.pool });
  let kills = 0;
  let runs = 0;
  try {
    // Killed runs, each at a fixed point of its progress: once it has claimed 1 to 4 new batches
    // (by the run's number), so the kill lands before, during or after a POST. 20 kills use at most
    // a few dozen of the 200 batches: every run is killed, whatever the machine's speed.
    for (; kills < 20 && runs < 40; runs++) {
      const target = (await batchRows()) + 1 + (runs % 4);
      const w = run();
      for (let waited = 0; !w.finished() && waited < 60_000; waited += 5) {
        if ((await batchRows()) >= target) break;
        await sleep(5);
      }
      const killed = !w.finished() && w.child.kill('SIGKILL');
      await w.exited;
      if (killed) kills++;
      expect(sb.stats.reinvitations).toBe(0);
    }
    expect(kills).toBe(20);

    // The rerun: sends every patient never attempted, reports (does not resend) the unknown ones.
    const pending = (await unknownBatches()).map((b) => b.batchId).sort();
    const receivedBefore = sb.stats.batchesReceived;
    const rerun = await run().exited;
    if (pending.length > 0) {
      expect(rerun.out?.error).toBe('PartialSubmissionError');
      expect([...(rerun.out?.unknown as string[])].sort()).toEqual(pending);
      expect(rerun.out?.notSent).toBe(0);
    } else expect(rerun.out).toMatchObject({ ok: true });
    expect(sb.stats.reinvitations).toBe(0);
    const batchesSentByRerun = sb.stats.batchesReceived - receivedBefore;

    // The operator checks each unknown batch (here: asks the sandbox whether it arrived, as one
    // would look for its patients in Medfusion) and settles those that did; the rest are resent.
    const everyone = Array.from({ length: COUNT }, (_, i) => `SBX-11-${i}`);
    let arrived = 0;
    for (const batch of await unknownBatches()) {
      if (batch.ids.some((id) => sb.emulator.postsOf(id) > 0)) {
        await ledger.settleUnknown(batch.key, 'accepted');
        arrived++;
      }
    }
    const resent = await run(true).exited;
    expect(resent.out).toMatchObject({ ok: true });
    const unknownResent = (resent.out?.report as { unknownResent: number }).unknownResent;

    const second = everyone.filter(
      (id) => sb.emulator.invitationsOf(id) > 1 || sb.emulator.postsOf(id) > 1,
    );
    const never = everyone.filter((id) => sb.emulator.invitationsOf(id) === 0);
    expect({ second: second.length, never: never.length }).toEqual({ second: 0, never: 0 });
    expect(sb.stats.reinvitations).toBe(0);
    recordFigures('postgres-invite-crash', {
      invites: COUNT,
      kills,
      runs: runs + 2,
      unknownOutcomeBatches: pending.length,
      unknownThatHadArrived: arrived,
      patientsResentAfterCheck: unknownResent,
      batchesSentByRerun,
      secondInvitations: second.length,
      neverInvited: never.length,
    });
  } finally {
    await sb.close();
  }

  async function unknownBatches(): Promise<{ key: string; batchId: string; ids: string[] }[]> {
    const res = await db.pool.query<{ key: string; batch_id: string; ids: string[] }>(
      `SELECT b.batch_key AS key, b.batch_id, array_agg(p.practice_patient_id) AS ids
         FROM medfusion.invitation_batches b
         JOIN medfusion.invitation_patients p USING (batch_key)
        WHERE p.state = 'sending' GROUP BY 1, 2`,
    );
    return res.rows.map((r) => ({ key: r.key, batchId: r.batch_id, ids: r.ids }));
  }
}, 240_000);
