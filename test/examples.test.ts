/** Every runnable example (and the demo) runs as documented, against the sandbox, and says what it did. */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MedfusionClient } from 'medfusion-patient-sdk';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { node22 } from './helpers/fleet';

const root = join(__dirname, '..');
// tsx's own entry, run by this test's node: under the Node matrix the examples run on each version.
const tsxCli = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const run = (file: string, env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [tsxCli, join(root, 'examples', file)], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, ...env },
  });

describe('examples', () => {
  it.each([
    ['demo.ts', /registered and synced\s+25/],
    ['invite-patient.ts', /invitation sent/],
    ['invite-batch-and-wait.ts', /3 batches, 250 invitations sent, 0 errors/],
    [
      'incremental-sync.ts',
      /synced 320 patients in 4 pages; 320 in the store[\s\S]*second run finds 0 new/,
    ],
    [
      'error-handling.ts',
      /1\. rejected before sending[\s\S]*2\. accepted after retries[\s\S]*3\. outcome unknown[\s\S]*invitations sent to MRN-3: 1[\s\S]*4\. still rate limited/,
    ],
  ])('%s', async (file, expected) => {
    const { stdout } = await run(file);
    expect(stdout).toMatch(expected);
  });
});

describe('examples with PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('sync-into-postgres.ts writes each change once, with its cursor, and refuses a second worker', async () => {
    const { stdout } = await run('sync-into-postgres.ts', { DATABASE_URL: db.url });
    expect(stdout).toMatch(/synced 320 patients in 4 pages; 320 rows/);
    expect(stdout).toMatch(/second run: 2 changes/);
    expect(stdout).toMatch(/the other worker was refused: LeaseHeldError/);
    const rows = await db.pool.query<{ n: string; ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT practice_patient_id) AS ids FROM patient_changes',
    );
    expect(rows.rows[0]).toEqual({ n: '322', ids: '320' });
    const cursor = await db.pool.query(
      "SELECT cursor FROM medfusion.checkpoints WHERE environment = 'sandbox'",
    );
    expect(cursor.rows).toHaveLength(1);
  });
});

describe('examples on pg-boss (Node 22+)', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('fleet-worker.ts syncs 20 practices once each, shows the operator view, and stops', async () => {
    const { stdout } = await promisify(execFile)(
      node22(),
      [tsxCli, join(root, 'examples', 'fleet-worker.ts')],
      { cwd: root, timeout: 120_000, env: { ...process.env, DATABASE_URL: db.url } },
    );
    expect(stdout).toMatch(/^PRACTICE\s+ENVIRONMENT\s+LAST SUCCESS\s+LAG/m);
    // Given no logger, the worker talks: one line per job, counts and ids only.
    expect(
      stdout.match(
        /^\S+Z INFO fleet job queue=medfusion\.sync practiceId=\S+ outcome=synced pages=\d+ patients=\d+ durationMs=\d+$/gm,
      )?.length,
    ).toBeGreaterThanOrEqual(20);
    expect(stdout).toMatch(/20 practices: 20 current, 0 stale, 0 never synced, 0 failing/);
    expect(stdout).toMatch(/1530 changes in portal_changes; stopping/);
    const rows = await db.pool.query<{ n: string; ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT (practice_id, practice_patient_id)) AS ids FROM portal_changes`,
    );
    expect(rows.rows[0]).toEqual({ n: '1530', ids: '1530' });
    // One schedule per practice, every 5 minutes, spread over the interval by practice.
    const schedules = await db.pool.query<{ key: string; cron: string }>(
      `SELECT key, cron FROM pgboss.schedule WHERE name = 'medfusion.sync'`,
    );
    expect(schedules.rows).toHaveLength(20);
    expect(new Set(schedules.rows.map((r) => r.key)).size).toBe(20);
    for (const r of schedules.rows) expect(r.cron).toMatch(/^[0-4]-59\/5 \* \* \* \*$/);
    expect(new Set(schedules.rows.map((r) => r.cron)).size).toBeGreaterThan(1);
  });

  it('fleet-worker.ts says what it needs on an older Node', async () => {
    if (Number(process.versions.node.split('.')[0]) >= 22) return; // this run is on a newer Node
    await expect(run('fleet-worker.ts')).rejects.toMatchObject({
      stderr: expect.stringMatching(/pg-boss 12 needs Node 22\.12 or later/),
    });
  });
});

describe('medfusion-sandbox bin', () => {
  it('starts, prints what a client needs, serves it, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [tsxCli, join(root, 'src/sandbox/cli.ts'), '--json', '--seed-patients', '7'],
      {
        cwd: root,
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const info = JSON.parse(line) as {
        url: string;
        practiceId: string;
        credentials: { clientId: string; clientSecret: string; username: string; password: string };
        seededPatients: number;
      };
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.seededPatients).toBe(7);
      const client = new MedfusionClient({
        baseUrl: info.url,
        practiceId: info.practiceId,
        credentials: info.credentials,
      });
      expect((await client.patients.getUpdatedPatients()).patients).toHaveLength(7);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('--help explains the options', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      tsxCli,
      join(root, 'src/sandbox/cli.ts'),
      '--help',
    ]);
    expect(stdout).toContain('--processing-delay');
    expect(stdout).toContain('--rate-429');
  });
});
