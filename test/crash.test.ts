/**
 * Crash test: a sync of a 5,000-patient feed is killed with SIGKILL at random moments, at least 20
 * times, and restarted from its FileCheckpointStore each time. Every patient must be delivered, no
 * page skipped, and the saved cursor never ahead of what onPage finished.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCheckpointStore } from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { recordFigures } from './helpers/figures';

const FEED = 5000;
const MIN_KILLS = 20;
const worker = join(__dirname, 'scripts', 'sync-worker.ts');

let sb: Sandbox;
let dir: string;
beforeAll(async () => {
  sb = await startSandbox();
  sb.seedRegisteredPatients(FEED);
  dir = mkdtempSync(join(tmpdir(), 'crash-'));
});
afterAll(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the worker once. With `kill`, SIGKILLs it at a random moment: sometimes during start-up,
 * mostly once it has processed 1 to 4 more pages, plus 0-20 ms, so kills land while fetching,
 * inside onPage, and between onPage and the checkpoint write.
 */
async function runWorker(kill: boolean): Promise<{ killed: boolean; code: number | null }> {
  const linesBefore = processed().length;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      worker,
      sb.url,
      sb.practiceId,
      JSON.stringify(sb.credentials),
      join(dir, 'cursor'),
      join(dir, 'processed.log'),
    ],
    {
      cwd: join(__dirname, '..'),
      stdio: 'ignore',
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let finished = false;
  void exited.then(() => (finished = true));
  if (!kill) return { killed: false, code: await exited };

  // Kills at fixed points of progress, so that every run is killed whatever the machine's speed: one
  // run in five during start-up (before its first new page), the others after 1 to 4 new pages
  // (and a few ms, to land between onPage and the save, or inside the next fetch).
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const target =
    Math.random() < 0.2 ? linesBefore : linesBefore + 1 + Math.floor(Math.random() * 4);
  for (let waited = 0; !finished && processed().length < target && waited < 30_000; waited += 5)
    await sleep(5);
  await sleep(Math.random() * 20);
  const killed = !finished && child.kill('SIGKILL');
  const code = await exited;
  return { killed: killed && code !== 0, code };
}

const processed = (): { cursor?: string; ids: string[] }[] =>
  existsSync(join(dir, 'processed.log'))
    ? readFileSync(join(dir, 'processed.log'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { cursor?: string; ids: string[] })
    : [];

it(`survives ${MIN_KILLS}+ SIGKILLs without losing a patient or running ahead`, async () => {
  const store = new FileCheckpointStore(join(dir, 'cursor'));
  let kills = 0;
  let runs = 0;
  // Bounded: at most 60 runs.
  for (; runs < 60; runs++) {
    const { killed, code } = await runWorker(kills < MIN_KILLS);
    const saved = await store.load();
    const pages = processed();
    // The checkpoint is never ahead: the page it follows was fully processed (logged) first.
    if (saved !== undefined) expect(pages.some((p) => p.cursor === saved)).toBe(true);
    if (killed) kills++;
    else {
      expect(code).toBe(0);
      break;
    }
  }
  expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);

  const delivered = new Set(processed().flatMap((p) => p.ids));
  const feed = Array.from({ length: FEED }, (_, i) => `SBX-1-${i}`);
  const missing = feed.filter((id) => !delivered.has(id));
  expect(missing).toEqual([]);
  const redelivered = processed().reduce((n, p) => n + p.ids.length, 0) - FEED;
  recordFigures('crash', {
    feed: FEED,
    kills,
    runs: runs + 1,
    patientsLost: missing.length,
    patientsRedelivered: redelivered,
  });
}, 240_000);
