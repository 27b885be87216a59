/** The sandbox serves a 100,000-patient feed page after page without its memory growing per request. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

it('a full pass over 100,000 patients keeps the heap flat', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(__dirname, 'scripts', 'sandbox-memory.ts'), '100000'],
    {
      cwd: join(__dirname, '..'),
      timeout: 120_000,
      maxBuffer: 1 << 20,
    },
  );
  const run = JSON.parse(stdout) as {
    patients: number;
    requests: number;
    samples: { page: number; heapMB: number }[];
  };
  expect(run.patients).toBe(100_000);
  expect(run.requests).toBe(1002); // token + 1,000 full pages + the closing 204
  const first = run.samples[0]?.heapMB ?? 0;
  const peak = Math.max(...run.samples.map((s) => s.heapMB));
  // 900 requests between the first and the last sample: growth under 5 MB means under ~6 KB a request.
  expect(run.samples).toHaveLength(10);
  expect(peak - first).toBeLessThan(5);
}, 150_000);
