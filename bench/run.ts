/**
 * `npm run bench`: the SDK against hand-written baselines, as ratios measured in the same run.
 * Prints a table and writes bench/results.json and docs/performance-chart.svg. See docs/performance.md.
 *
 *   npm run bench              # full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick   # fewer rounds and a smaller feed, to try changes
 *   npm run bench -- --fleet   # the fleet alone: latency bound, 1 to 4 workers, backfill, idle cost
 *   npm run bench -- --scale   # 5,000 practices every 5 minutes, 4 workers (about 15 minutes)
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Builder, parseStringPromise } from 'xml2js';
import { readPatientPage } from '../src/core/patient-page';
import { silentLogger } from '../src/internal/log';
import { validateInvites } from '../src/core/validate';
import { encodePatientBatch, encodePatientElement, wrapPatientBatch } from '../src/xml/documents';
import { chart } from './chart';
import { fleetBench, withPostgres, type FleetBench } from './fleet';
import { scaleBench } from './scale';
import { fullInvite, fullPatient } from './data';
import { compare, median } from './stats';

const quick = process.argv.includes('--quick');
const fleetOnly = process.argv.includes('--fleet');
const scaleOnly = process.argv.includes('--scale');
const minutesArg = process.argv.indexOf('--minutes');
const SCALE = {
  practices: 5000,
  workers: 4,
  concurrency: 4,
  everyMinutes: 5,
  minutes: minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 10,
};
/** The fleet benchmark: steady-state practices, and each worker's concurrency. */
const FLEET = { practices: quick ? 800 : 2000, concurrency: 4 };

/**
 * Replaces one section of bench/results.json (`--fleet`, `--scale` alone); the other figures stay as
 * they were.
 */
function writeSection(name: 'fleet' | 'scale', figures: object): void {
  const file = join(__dirname, 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  results[name] = {
    date: new Date().toISOString(),
    command: `npm run bench -- --${name}`,
    ...figures,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** The fleet against its latency bound, 1 to 4 workers, a backfill, the idle cost. */
function fleet(log: (s: string) => void): Promise<FleetBench> {
  return withPostgres(() => fleetBench(log, FLEET));
}

/** The fleet's targets: 70% of the latency bound, 3.5x from 1 to 4 workers. */
const fleetRows = (f: FleetBench) =>
  [
    [
      `fleet, one worker, concurrency ${f.concurrency}, 50 ms a request, nothing new`,
      'measured / latency bound, practices/min',
      f.ratioToBound,
      '≥ 0.70',
      f.ratioToBound >= 0.7,
    ],
    [
      `fleet, ${f.practices} practices at 50 ms, concurrency ${f.concurrency}`,
      '4 workers / 1 worker, practices/min',
      f.scaling4to1,
      '≥ 3.50',
      f.scaling4to1 >= 3.5,
    ],
    [
      `fleet, 4 workers against what ${cpus().length} cores allow (for information)`,
      '4 workers / min(4 × 1 worker, cores ÷ CPU a sync)',
      f.ratioToCpuBound4,
      '-',
      true,
    ],
    [
      'fleet backfill, 5,000 patients in one practice (for information)',
      'bound (51 × 50 ms) / measured',
      f.backfill.ratio,
      '-',
      true,
    ],
  ] as const;
const ROUNDS = quick ? 5 : 21;
const SIZES = quick ? [5_000, 10_000] : [10_000, 25_000, 50_000];
/** Rounds per size: the sizes the targets compare get several, the middle point of the chart one. */
const roundsFor = (size: number): number =>
  quick ? 1 : size === 25_000 ? 1 : size === 50_000 ? 7 : 5;
const SLOW = { patients: 2_000, pageSize: 10, onPageMs: 8, rounds: quick ? 1 : 5 };
const root = join(__dirname, '..');

async function micro() {
  const page = wrapPatientBatch(
    'v2',
    'response',
    { batchId: 'b', sender: { deviceName: 'PIDC', vendorName: 'Intuit' } },
    Array.from({ length: 100 }, (_, i) =>
      encodePatientElement(fullPatient(i), 'v2', 'response', { practiceId: 'p' }),
    ),
  );
  const res = {
    status: 200,
    headers: { 'last-timestamp': '1,1' },
    body: page,
    contentType: 'application/xml',
  };
  const decode = await compare(
    ROUNDS,
    3,
    () => readPatientPage(res, 100, 'v2', silentLogger),
    () => parseStringPromise(page),
  );
  const invites = Array.from({ length: 100 }, (_, i) => fullInvite(i));
  const equivalent = (await parseStringPromise(
    encodePatientBatch('v2', { batchId: 'b' }, invites, { practiceId: 'p' }),
  )) as object;
  const builder = new Builder({ renderOpts: { pretty: false } });
  const encode = await compare(
    ROUNDS,
    3,
    () =>
      encodePatientBatch('v2', { batchId: 'b' }, validateInvites(invites, 'v2'), {
        practiceId: 'p',
      }),
    () => builder.buildObject(equivalent),
  );
  return { pageBytes: page.length, decode, encode };
}

interface Run {
  ms: number;
  /** CPU time of the client process (user + system): steadier than wall time on a shared machine. */
  cpuMs: number;
  patients: number;
  pages: number;
  maxRssMB: number;
}

async function withServer<T>(patients: number, fn: (server: string) => Promise<T>): Promise<T> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'server.ts'), String(patients)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
    });
    return await fn(line);
  } finally {
    child.kill();
  }
}

const client = async (
  mode: string,
  server: string,
  patients: number,
  delayMs: number,
  pageSize: number,
): Promise<Run> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'client.ts'),
      mode,
      server,
      String(patients),
      String(delayMs),
      String(pageSize),
    ],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as Run;
};

async function main(): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(
    `medfusion-patient-sdk benchmarks${quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  );
  if (scaleOnly) {
    const r = await withPostgres(() => scaleBench(log, SCALE));
    log(JSON.stringify(r, null, 2));
    writeSection('scale', r);
    log('\nwrote the scale section of bench/results.json');
    return;
  }
  if (fleetOnly) {
    const f = await fleet(log);
    for (const [what, of, value, target, met] of fleetRows(f))
      log(`| ${what} | ${of} | ${value.toFixed(2)} | ${target} | ${met ? 'yes' : 'NO'} |`);
    writeSection('fleet', f);
    log('\nwrote the fleet section of bench/results.json');
    return;
  }
  const m = await micro();
  log(
    `decode: SDK ${m.decode.a.toFixed(1)} ms vs xml2js ${m.decode.b.toFixed(1)} ms per 100-patient page (${(m.pageBytes / 1024).toFixed(0)} KiB): ${m.decode.ratio.toFixed(2)}x`,
  );
  log(
    `encode: SDK ${m.encode.a.toFixed(1)} ms vs xml2js Builder ${m.encode.b.toFixed(1)} ms per 100 invites: ${m.encode.ratio.toFixed(2)}x`,
  );

  const maxSize = Math.max(...SIZES);
  const { sync, slow } = await withServer(maxSize, async (server) => {
    const sync: Record<number, { sdk: Run[]; baseline: Run[] }> = {};
    for (const size of SIZES) {
      sync[size] = { sdk: [], baseline: [] };
      for (let r = 0; r < roundsFor(size); r++) {
        for (const mode of r % 2
          ? (['baseline', 'sdk'] as const)
          : (['sdk', 'baseline'] as const)) {
          const run = await client(mode, server, size, 0, 100);
          sync[size]?.[mode].push(run);
          log(
            `sync ${size}: ${mode.padEnd(8)} ${(run.ms / 1000).toFixed(2)} s (cpu ${(run.cpuMs / 1000).toFixed(2)} s), ${run.patients} patients, peak RSS ${run.maxRssMB.toFixed(0)} MB`,
          );
        }
      }
    }
    const slow = { prefetch: [] as Run[], noPrefetch: [] as Run[] };
    for (let r = 0; r < SLOW.rounds; r++) {
      slow.prefetch.push(await client('sdk', server, SLOW.patients, SLOW.onPageMs, SLOW.pageSize));
      slow.noPrefetch.push(
        await client('sdk-no-prefetch', server, SLOW.patients, SLOW.onPageMs, SLOW.pageSize),
      );
      log(
        `slow consumer: prefetch ${slow.prefetch[r]?.ms.toFixed(0)} ms, no prefetch ${slow.noPrefetch[r]?.ms.toFixed(0)} ms`,
      );
    }
    return { sync, slow };
  });

  const fleetResult = await fleet(log);

  const perSecond = (runs: Run[]) => median(runs.map((r) => r.patients / (r.ms / 1000)));
  const rss = (runs: Run[]) => median(runs.map((r) => r.maxRssMB));
  const big = sync[maxSize] as { sdk: Run[]; baseline: Run[] };
  const small = sync[Math.min(...SIZES)] as { sdk: Run[]; baseline: Run[] };
  const throughputRatio = perSecond(big.sdk) / perSecond(big.baseline);
  const cpuRatio = median(big.baseline.map((r) => r.cpuMs)) / median(big.sdk.map((r) => r.cpuMs));
  const rssGrowth = rss(big.sdk) - rss(small.sdk);
  const slowRatio =
    median(slow.noPrefetch.map((r) => r.ms)) / median(slow.prefetch.map((r) => r.ms));

  const rows = [
    [
      'decode 100-patient v2 page',
      'SDK / xml2js.parseStringPromise',
      m.decode.ratio,
      '≤ 1.30',
      m.decode.ratio <= 1.3,
    ],
    [
      'encode 100-invite batch',
      'SDK / xml2js Builder',
      m.encode.ratio,
      '≤ 1.30',
      m.encode.ratio <= 1.3,
    ],
    [
      `sync throughput, ${maxSize / 1000}k patients`,
      'SDK / axios + xml2js loop',
      throughputRatio,
      '≥ 0.90',
      throughputRatio >= 0.9,
    ],
    [
      `client CPU, ${maxSize / 1000}k patients (for information)`,
      'axios loop CPU time / SDK CPU time',
      cpuRatio,
      '-',
      true,
    ],
    [
      `peak RSS ${maxSize / 1000}k − ${Math.min(...SIZES) / 1000}k`,
      'SDK, MB',
      rssGrowth,
      '≤ 30 MB',
      rssGrowth <= 30,
    ],
    [
      `slow consumer (${SLOW.onPageMs} ms/page, ${SLOW.pageSize}/page)`,
      'no prefetch / prefetch',
      slowRatio,
      '≥ 1.50',
      slowRatio >= 1.5,
    ],
    ...fleetRows(fleetResult),
  ] as const;
  log('\n| measure | ratio of | value | target | met |\n|---|---|---|---|---|');
  for (const [what, of, value, target, met] of rows)
    log(`| ${what} | ${of} | ${value.toFixed(2)} | ${target} | ${met ? 'yes' : 'NO'} |`);

  const results = {
    date: new Date().toISOString(),
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model },
    micro: m,
    sync: Object.fromEntries(
      SIZES.map((size) => [
        size,
        {
          sdkPatientsPerSecond: perSecond(sync[size]?.sdk ?? []),
          baselinePatientsPerSecond: perSecond(sync[size]?.baseline ?? []),
          sdkPeakRssMB: rss(sync[size]?.sdk ?? []),
          baselinePeakRssMB: rss(sync[size]?.baseline ?? []),
          runs: sync[size],
        },
      ]),
    ),
    slowConsumer: {
      ...SLOW,
      prefetchMs: median(slow.prefetch.map((r) => r.ms)),
      noPrefetchMs: median(slow.noPrefetch.map((r) => r.ms)),
      runs: slow,
    },
    fleet: { date: new Date().toISOString(), ...fleetResult },
    targets: rows.map(([what, of, value, target, met]) => ({ what, of, value, target, met })),
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const series = (pick: (runs: Run[]) => number, who: 'sdk' | 'baseline') =>
    SIZES.map((x) => ({ x, y: pick(sync[x]?.[who] ?? []) }));
  writeFileSync(
    join(root, 'docs', 'performance-chart.svg'),
    chart(
      [
        { name: 'SDK (validated, for await)', color: '#1f77b4', points: series(perSecond, 'sdk') },
        { name: 'axios + xml2js loop', color: '#ff7f0e', points: series(perSecond, 'baseline') },
      ],
      [
        { name: 'SDK', color: '#1f77b4', points: series(rss, 'sdk') },
        { name: 'axios + xml2js loop', color: '#ff7f0e', points: series(rss, 'baseline') },
      ],
    ),
  );
  log('\nwrote bench/results.json and docs/performance-chart.svg');
}

void main();
