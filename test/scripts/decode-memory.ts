// Peak memory of decoding one full page, as a multiple of the page's size (docs/performance.md).
// Run with `node --expose-gc --import tsx`. V8's GC profiler reports the heap before and after every
// collection during the decode: the largest heap seen (before a collection, or at the end) above the
// starting heap is the peak; the largest heap left after a collection is the peak of live data.
// Prints one JSON line per page shape.
import { GCProfiler } from 'node:v8';
import { readPatientPage } from '../../src/core/patient-page';
import { silentLogger } from '../../src/internal/log';
import { encodePatientElement, wrapPatientBatch } from '../../src/xml/documents';
import { sampleInvite } from '../../src/sandbox/seed';
import { fullInvite } from '../helpers/fixtures';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const pageOf = (invites: ReturnType<typeof sampleInvite>[]) =>
  wrapPatientBatch(
    'v2',
    'response',
    { batchId: 'B-1', sender: { deviceName: 'PIDC', vendorName: 'Intuit' } },
    invites.map((i) =>
      encodePatientElement(
        { ...i, status: { status: 'REGISTERED', portalStatus: 'ACTIVE' } },
        'v2',
        'response',
        { practiceId: 'p' },
      ),
    ),
  );

const shapes = {
  'sandbox page, 100 varied patients': pageOf(
    Array.from({ length: 100 }, (_, i) => sampleInvite(i, 3)),
  ),
  'fullest page, 100 patients with every field': pageOf(
    Array.from({ length: 100 }, (_, i) => fullInvite({ practicePatientId: `P-${i}` })),
  ),
};

interface GcEntry {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

for (const [name, body] of Object.entries(shapes)) {
  const res = {
    status: 200,
    headers: { 'last-timestamp': '1,1' },
    body,
    contentType: 'application/xml',
  };
  readPatientPage(res, 100, 'v2', silentLogger); // warm up: compile the tables, JIT
  let peak = 0;
  let live = 0;
  let retained = 0;
  for (let i = 0; i < 5; i++) {
    gc();
    const start = process.memoryUsage().heapUsed;
    const profiler = new GCProfiler();
    profiler.start();
    const page = readPatientPage(res, 100, 'v2', silentLogger);
    const end = process.memoryUsage().heapUsed;
    const { statistics } = profiler.stop() as { statistics: GcEntry[] };
    if (page.patients.length !== 100) throw new Error('decode failed');
    const before = statistics.map((s) => s.beforeGC.heapStatistics.usedHeapSize);
    const after = statistics.map((s) => s.afterGC.heapStatistics.usedHeapSize);
    peak = Math.max(peak, Math.max(...before, end) - start);
    live = Math.max(live, ...after.map((a) => a - start), 0);
    gc();
    retained = Math.max(retained, process.memoryUsage().heapUsed - start);
    void page.patients.length; // held until here
  }
  const bytes = Buffer.byteLength(body);
  const x = (n: number) => Number((n / bytes).toFixed(1));
  process.stdout.write(
    `${JSON.stringify({ name, pageBytes: bytes, peakBytes: peak, peakMultiple: x(peak), peakLiveMultiple: x(live), retainedMultiple: x(retained) })}\n`,
  );
}
