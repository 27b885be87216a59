/**
 * A poison record in the feed, in quarantine mode, with SIGKILLs while it is being handled: the
 * other patients are all delivered, the cursor never passes the poison page before its record was
 * handed over, and each run reports the record at most once (the completing run exactly once).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCheckpointStore } from 'medfusion-patient-sdk';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { recordFigures } from './helpers/figures';

const FEED = 600;
const KILLS = 5;
const POISON = 'SBX-41-250';

let sb: Sandbox;
let front: Server;
let frontUrl: string;
let dir: string;
/** The Last-Timestamp of every page served, in order, and which one carried the poison. */
const served: { cursor: string; poisoned: boolean }[] = [];

beforeAll(async () => {
  sb = await startSandbox({ seed: 41 });
  sb.seedRegisteredPatients(FEED);
  dir = mkdtempSync(join(tmpdir(), 'quarantine-'));
  // In front of the sandbox: gives the poison patient a second, different date of birth.
  front = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'content-length'].includes(k)),
      ) as Record<string, string>;
      void fetch(`${sb.url}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      }).then(async (upstream) => {
        let body = await upstream.text();
        const cursor = upstream.headers.get('last-timestamp');
        if (req.method === 'GET' && upstream.status === 200 && cursor) {
          const poisoned = body.includes(`<PracticePatientId>${POISON}<`);
          body = body.replace(
            new RegExp(
              `(<PracticePatientId>${POISON}</PracticePatientId>[\\s\\S]*?<DateOfBirth>[^<]*</DateOfBirth>)`,
            ),
            '$1<DateOfBirth>1900-01-01T00:00:00</DateOfBirth>',
          );
          served.push({ cursor, poisoned });
        }
        const out: Record<string, string> = {};
        for (const k of ['content-type', 'last-timestamp', 'location', 'retry-after'])
          if (upstream.headers.get(k)) out[k] = upstream.headers.get(k) as string;
        res.writeHead(upstream.status, out).end(body);
      });
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => front.close(() => r()));
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string): Record<string, unknown>[] =>
  existsSync(join(dir, file))
    ? readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

function runWorker(run: number, stop: 'before-report' | 'after-report' | 'none') {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'scripts', 'quarantine-worker.ts'),
      frontUrl,
      sb.practiceId,
      JSON.stringify(sb.credentials),
      join(dir, 'cursor'),
      dir,
      String(run),
      stop,
    ],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; out: string }>((r) =>
    child.once('close', (code) => r({ code, out })),
  );
  return { child, exited };
}

it('SIGKILL while the poison record is handled: nothing lost, the record reported once per run', async () => {
  const store = new FileCheckpointStore(join(dir, 'cursor'));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let run = 1; run <= KILLS; run++) {
    // Killed inside the callback at a fixed point, whatever the machine's speed: before it reported
    // the record, or after (the cursor not yet moved), in turn.
    const stop = run % 2 === 1 ? 'before-report' : 'after-report';
    const marker = join(dir, `${stop === 'before-report' ? 'handling' : 'reported'}-${run}`);
    const w = runWorker(run, stop);
    for (let waited = 0; !existsSync(marker) && waited < 60_000; waited += 5) await sleep(5);
    expect(w.child.kill('SIGKILL')).toBe(true);
    await w.exited;
    // The cursor never passed the poison page: its record was not yet handed over.
    const saved = await store.load();
    const poisonAt = served.findIndex((s) => s.poisoned);
    expect(poisonAt).toBeGreaterThan(0);
    const savedAt = served.findIndex((s) => s.cursor === saved);
    expect(savedAt).toBeLessThan(poisonAt);
  }
  const final = await runWorker(KILLS + 1, 'none').exited;
  expect(final.code).toBe(0);
  expect(JSON.parse(final.out)).toMatchObject({ quarantined: 1 });

  const reports = lines('quarantine.log');
  const perRun = new Map<number, number>();
  for (const r of reports) perRun.set(r.run as number, (perRun.get(r.run as number) ?? 0) + 1);
  expect(Math.max(...perRun.values())).toBe(1);
  expect(perRun.get(KILLS + 1)).toBe(1);
  expect(reports.at(-1)).toEqual({
    run: KILLS + 1,
    id: POISON,
    position: 250 % 25,
    rules: ['repeated'],
  });

  const delivered = new Set(lines('processed.log').flatMap((l) => l.ids as string[]));
  const missing = Array.from({ length: FEED }, (_, i) => `SBX-41-${i}`).filter(
    (id) => id !== POISON && !delivered.has(id),
  );
  expect(missing).toEqual([]);
  expect(delivered.has(POISON)).toBe(false);
  recordFigures('quarantine-crash', {
    feed: FEED,
    kills: KILLS,
    runs: KILLS + 1,
    patientsLost: missing.length,
    reportsInFinalRun: perRun.get(KILLS + 1) ?? 0,
  });
}, 120_000);
