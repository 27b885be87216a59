/**
 * Memory while decoding one full page, as a multiple of its size: measured in a child process by
 * V8's GC profiler with a 1 MB young generation (so collections run during the decode and the peak
 * of live data is seen). The figures go to docs/performance.md; the bounds catch a regression.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { recordFigures } from './helpers/figures';

it('a page decodes within a small multiple of its size', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-semi-space-size=1',
      '--import',
      'tsx',
      join(__dirname, 'scripts', 'decode-memory.ts'),
    ],
    { cwd: join(__dirname, '..'), encoding: 'utf8' },
  );
  const shapes = out
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          name: string;
          pageBytes: number;
          peakMultiple: number;
          peakLiveMultiple: number;
          retainedMultiple: number;
        },
    );
  expect(shapes).toHaveLength(2);
  for (const s of shapes) {
    expect(s.pageBytes).toBeGreaterThan(300_000); // full pages of 100 patients
    expect(s.peakLiveMultiple).toBeGreaterThan(0); // collections did run during the decode
    expect(s.peakLiveMultiple).toBeLessThanOrEqual(10);
    expect(s.peakMultiple).toBeLessThanOrEqual(15);
    expect(s.retainedMultiple).toBeLessThanOrEqual(3);
  }
  recordFigures(
    'decode-memory',
    Object.fromEntries(
      shapes.flatMap((s, i) => [
        [`page${i}Bytes`, s.pageBytes],
        [`page${i}PeakMultiple`, s.peakMultiple],
        [`page${i}PeakLiveMultiple`, s.peakLiveMultiple],
        [`page${i}RetainedMultiple`, s.retainedMultiple],
      ]),
    ),
  );
}, 60_000);
