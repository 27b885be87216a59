/**
 * `medfusion-fleet dashboard` against a seeded fleet (real PostgreSQL, pg-boss's own tables seeded by
 * pg-boss on Node 22), in a real browser: Debian's `chromium` driven by playwright-core, with every
 * request off loopback sent to a dead proxy (nothing reaches the internet). The page loads with no
 * console error, shows every practice, draws its charts from the history, lists the dead letters
 * with their reason, opens a practice's detail, and links to pg-boss's dashboard mounted under /jobs.
 * `/api/status` is the same document as `status --json`. Set MEDFUSION_DASHBOARD_SCREENSHOT to a
 * path to keep a screenshot (docs/images/dashboard.png is made so).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { migrateFleet } from 'medfusion-patient-sdk/fleet';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { node22 } from './helpers/fleet';

jest.setTimeout(180_000);

const root = join(__dirname, '..');
/** The browser `scripts/ensure-browser.mjs` found or installed (`npm test` runs it first). */
const CHROMIUM =
  process.env.MEDFUSION_CHROMIUM ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// Without a browser the test is skipped, saying why, unless one is required (CI sets this).
const REQUIRED = process.env.MEDFUSION_REQUIRE_BROWSER === '1';
const HAVE_BROWSER = CHROMIUM !== undefined && existsSync(CHROMIUM);
if (!HAVE_BROWSER && !REQUIRED)
  process.stderr.write(
    'dashboard browser test skipped: no chromium (apt-get install -y chromium, or MEDFUSION_CHROMIUM)\n',
  );
const suite = HAVE_BROWSER || REQUIRED ? describe : describe.skip;
const PRACTICES = Array.from(
  { length: 12 },
  (_, i) => `practice-${String(i + 1).padStart(2, '0')}`,
);
const DEAD = 'practice-03';

let db: TestDatabase;
let dashboard: ChildProcess;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_BROWSER) {
    if (!REQUIRED) return;
    throw new Error(
      `no browser at ${CHROMIUM ?? '/usr/bin/chromium'}: apt-get install -y chromium (or set MEDFUSION_CHROMIUM)`,
    );
  }
  db = await createTestDatabase();
  await migrateFleet(db.pool, 'medfusion');
  await db.pool.query(
    `INSERT INTO medfusion.fleet_practices (practice_id, environment, last_started_at, last_finished_at,
        last_success_at, last_outcome, last_run_pages, last_run_patients, last_run_ms, last_error_class,
        consecutive_failures, worker)
     SELECT id, 'production', now() - lag, now() - lag,
            CASE WHEN n = 12 THEN NULL ELSE now() - lag END,
            CASE WHEN n IN (3, 7) THEN 'failed' WHEN n = 12 THEN 'failed' ELSE 'synced' END,
            1 + n % 3, n * 7, 40 + n,
            CASE WHEN n IN (3, 7) THEN 'TimeoutError' WHEN n = 12 THEN 'OAuthError' END,
            CASE WHEN n IN (3, 7, 12) THEN n % 4 + 1 ELSE 0 END, 'fleet:web-1'
       FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n),
            LATERAL (SELECT (n * n * 37) * interval '1 second' AS lag) l`,
    [PRACTICES],
  );
  await db.pool.query(
    `INSERT INTO medfusion.checkpoints (practice_id, environment, api_version, cursor, fence, holder,
        lease_expires_at, lease_renewed_at)
     SELECT id, 'production', 'v2', extract(epoch FROM now() - interval '90 seconds')::bigint || ',0', 3,
            CASE WHEN id = 'practice-01' THEN 'fleet:web-1' END,
            CASE WHEN id = 'practice-01' THEN now() + interval '20 seconds' END,
            CASE WHEN id = 'practice-01' THEN now() END
       FROM unnest($1::text[]) AS id`,
    [PRACTICES],
  );
  await db.pool.query(
    `INSERT INTO medfusion.fleet_runs (practice_id, environment, kind, outcome, started_at, finished_at,
        duration_ms, pages, patients, error_class, http_status, actor, job_id)
     SELECT id, 'production', 'sync', CASE WHEN k % 5 = 0 THEN 'failed' ELSE 'synced' END,
            now() - k * interval '5 minutes', now() - k * interval '5 minutes', 50, 1, k,
            CASE WHEN k % 5 = 0 THEN 'TimeoutError' END, NULL, 'fleet:web-1',
            gen_random_uuid()::text
       FROM unnest($1::text[]) AS id, generate_series(1, 6) AS k`,
    [PRACTICES],
  );
  // An hour of history, a minute at a time.
  await db.pool.query(
    `INSERT INTO medfusion.fleet_snapshots (environment, minute, taken_at, practices, current, stale,
        never_synced, failing, rate_limited, syncing, lag_p50, lag_p90, lag_p99, lag_max, syncs,
        failures, patients, dead_letters)
     SELECT 'production', date_trunc('minute', now()) - m * interval '1 minute',
            now() - m * interval '1 minute', 12, 10, 1, 1, 3, 0, 1,
            60 + 30 * sin(m / 6.0), 200 + 50 * sin(m / 5.0), 280 + 20 * cos(m / 4.0), 300 + m,
            10 + m % 4, m % 3, 40 + m, 1
       FROM generate_series(0, 59) AS m`,
  );
  await db.pool.query(
    `INSERT INTO medfusion.invitation_batches (batch_key, practice_id, batch_id, practice_patient_ids, state)
     VALUES ('k1', 'practice-02', 'batch-1', '{A,B}', 'sending');
     INSERT INTO medfusion.invitation_patients (practice_id, practice_patient_id, state, batch_key)
     VALUES ('practice-02', 'A', 'sending', 'k1'), ('practice-02', 'B', 'sending', 'k1')`,
  );
  execFileSync(
    node22(),
    [
      '--import',
      'tsx',
      join(root, 'test', 'scripts', 'boss-seed.ts'),
      db.url,
      'pgboss',
      JSON.stringify({ practices: PRACTICES, deadLetters: [DEAD] }),
    ],
    { cwd: root, stdio: 'pipe' },
  );

  dashboard = spawn(
    node22(),
    [
      '--import',
      'tsx',
      join(root, 'src', 'cli', 'fleet.ts'),
      'dashboard',
      '--database-url',
      db.url,
      '--port',
      '0',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    dashboard.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    dashboard.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    dashboard.once('exit', (code) => reject(new Error(`dashboard exited (${code}): ${err}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-extensions',
      '--disable-sync',
      '--no-first-run',
      // Anything not on loopback goes to a proxy that is not there: nothing reaches the internet.
      '--proxy-server=http://127.0.0.1:9',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  if (dashboard && dashboard.exitCode === null) {
    const exited = new Promise((r) => dashboard.once('exit', r));
    dashboard.kill('SIGTERM');
    await exited;
  }
  await db?.drop();
});

suite('medfusion-fleet dashboard', () => {
  it('serves /api/status as the same document as status --json, read-only', async () => {
    const api = (await (await fetch(`${url}/api/status`)).json()) as {
      practices: { practiceId: string }[];
      summary: Record<string, unknown>;
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src', 'cli', 'fleet.ts'),
        'status',
        '--json',
        '--database-url',
        db.url,
        '--boss-schema',
        'pgboss',
      ],
      { cwd: root },
    );
    const cli = JSON.parse(stdout) as typeof api;
    expect(Object.keys(api).sort()).toEqual(Object.keys(cli).sort());
    expect(api.practices.map((p) => p.practiceId)).toEqual(PRACTICES);
    expect(api.summary).toEqual(cli.summary);
    expect(api.summary).toMatchObject({ practices: 12, failing: 3, deadLetters: 1, syncing: 1 });
    for (const method of ['POST', 'PUT', 'DELETE'])
      expect((await fetch(`${url}/api/status`, { method })).status).toBe(405);
    const page = await fetch(url);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('in a browser: loads with no console error, every practice, the charts, the dead letters, a practice in detail, pg-boss under /jobs', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1500 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]');

    const shown = await page.$$eval('#practices tbody tr td:first-child', (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(shown).toEqual(PRACTICES);
    expect(await page.textContent('[data-card="practices"] b')).toBe('12');
    expect(await page.textContent('[data-card="dead letters"] b')).toBe('1');

    // The lag chart: one line per percentile, a point per snapshot.
    for (const series of ['lagP50', 'lagP90', 'lagP99', 'lagMax']) {
      const points = await page.getAttribute(
        `#lag-chart svg polyline[data-series="${series}"]`,
        'points',
      );
      expect(points?.trim().split(' ')).toHaveLength(60);
    }
    expect(await page.$$eval('#throughput-chart svg rect', (r) => r.length)).toBe(120);
    const buckets = await page.$$eval('#lag-distribution svg rect', (rects) =>
      rects.map((r) => Number(r.getAttribute('data-count'))),
    );
    expect(buckets.reduce((a, b) => a + b, 0)).toBe(12);

    const failing = await page.$$eval('#failing tbody tr td:first-child', (c) =>
      c.map((x) => x.textContent),
    );
    expect(failing.sort()).toEqual(['practice-03', 'practice-07', 'practice-12']);
    const dead = await page.$$eval('#dead-letters tbody tr td', (c) => c.map((x) => x.textContent));
    expect(dead.slice(0, 3)).toEqual([DEAD, 'sync', 'NotFoundError (HTTP 404)']);

    await page.click('#practices tbody tr:nth-child(2)');
    await page.waitForSelector('#detail:not([hidden]) #detail-body table');
    expect(await page.textContent('#detail-title')).toBe('Practice practice-02');
    const detail = await page.textContent('#detail-body');
    expect(detail).toContain('batch-1'); // its batch of unknown outcome
    expect(detail).not.toContain(',0'); // the cursor is shown by its age, never its bytes
    expect(
      await page.$$eval('#detail-body table', (t) =>
        t.map((x) => x.querySelectorAll('tbody tr').length),
      ),
    ).toEqual([1, 1, 6]);
    const schedule = await page.getAttribute('#detail-body a', 'href');
    expect(schedule).toBe('/jobs/schedules/medfusion.sync/practice-02');

    if (process.env.MEDFUSION_DASHBOARD_SCREENSHOT)
      await page.screenshot({ path: process.env.MEDFUSION_DASHBOARD_SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);

    // pg-boss's own dashboard, mounted: the practice's schedule as it shows it.
    const jobs = await page.goto(`${url}${schedule}`);
    expect(jobs?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('practice-02');
    await page.close();
  });
});
