// Run by sandbox-memory.test.ts as `node --expose-gc --import tsx`; prints JSON.
// Pages through the sandbox's whole feed following Last-Timestamp, sampling the heap after GC.
import { startSandbox } from '../../src/sandbox';
import { rawToken } from '../helpers/sandbox';

const PATIENTS = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function main(): Promise<void> {
  const started = Date.now();
  const sb = await startSandbox();
  sb.seedRegisteredPatients(PATIENTS);
  const seededMs = Date.now() - started;
  const accessToken = await rawToken(sb);
  const samples: { page: number; heapMB: number }[] = [];
  let since: string | null = null;
  let patients = 0;
  for (let page = 1; page <= PATIENTS / 100 + 5; page++) {
    const url = `${sb.url}/v2/practice/${sb.practiceId}/patient${since ? `?since=${since}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
    const body = await res.text();
    since = res.headers.get('last-timestamp');
    if (res.status === 204) break;
    patients += body.split('<Patient>').length - 1;
    if (page % 100 === 0) samples.push({ page, heapMB: heapMB() });
  }
  await sb.close();
  process.stdout.write(
    JSON.stringify({
      patients,
      requests: sb.stats.requests,
      seededMs,
      totalMs: Date.now() - started,
      samples,
    }),
  );
}

void main();
