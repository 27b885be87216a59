// One measured client run, in its own process so that its peak RSS is its own.
// argv: <mode: sdk | sdk-no-prefetch | baseline> <server JSON> <patients to read> <onPage delay ms> <page size>
// Prints { ms, cpuMs, patients, pages, maxRssMB }.
import axios from 'axios';
import { parseStringPromise } from 'xml2js';
import { MedfusionClient, MemoryCheckpointStore } from '../src/index';

const [mode, serverJson, limitText, delayText, maxText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const server = JSON.parse(serverJson) as {
  url: string;
  practiceId: string;
  credentials: { clientId: string; clientSecret: string; username: string; password: string };
};
const limit = Number(limitText);
const delayMs = Number(delayText);
const max = Number(maxText);
const pause = () => (delayMs > 0 ? new Promise((r) => setTimeout(r, delayMs)) : Promise.resolve());

/** What integrations write by hand: axios, xml2js, no validation, no retries. */
async function baseline(): Promise<{ patients: number; pages: number }> {
  const c = server.credentials;
  const token = await axios.post(
    `${server.url}/v1/oauth2/token`,
    new URLSearchParams({
      grant_type: 'password',
      username: c.username,
      password: c.password,
    }).toString(),
    {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${c.clientId}:${c.clientSecret}`,
      },
    },
  );
  const auth = `Bearer ${(token.data as { accessToken: string }).accessToken}`;
  let since: string | undefined;
  let patients = 0;
  let pages = 0;
  while (patients < limit) {
    const res = await axios.get<string>(`${server.url}/v2/practice/${server.practiceId}/patient`, {
      params: { since, max },
      headers: { authorization: auth },
      responseType: 'text',
    });
    if (res.status === 204) break;
    const doc = (await parseStringPromise(res.data)) as Record<string, { Patient?: unknown[] }>;
    const list = Object.values(doc)[0]?.Patient ?? [];
    patients += list.length;
    pages++;
    await pause();
    since = res.headers['last-timestamp'] as string;
    if (list.length < max) break;
  }
  return { patients, pages };
}

async function sdk(prefetch: boolean): Promise<{ patients: number; pages: number }> {
  const client = new MedfusionClient({
    baseUrl: server.url,
    practiceId: server.practiceId,
    credentials: server.credentials,
  });
  let patients = 0;
  let pages = 0;
  const controller = new AbortController();
  if (delayMs > 0) {
    // The slow-consumer case goes through sync(), whose checkpoint must never run ahead.
    const checkpoint = new MemoryCheckpointStore();
    let processed: string | undefined;
    await client.patients
      .sync({
        checkpoint,
        max,
        prefetch,
        signal: controller.signal,
        onPage: async (page) => {
          await pause();
          processed = page.cursor;
          patients += page.patients.length;
          pages++;
          if (
            checkpoint.history.length > 0 &&
            checkpoint.history[checkpoint.history.length - 1] === processed
          )
            throw new Error('checkpoint ahead of processing');
          if (patients >= limit) controller.abort();
        },
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) throw e;
      });
    return { patients, pages };
  }
  for await (const page of client.patients.getUpdatedPatients({ max, prefetch }).pages()) {
    patients += page.patients.length;
    pages++;
    if (patients >= limit) break;
  }
  return { patients, pages };
}

void (async () => {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = mode === 'baseline' ? await baseline() : await sdk(mode !== 'sdk-no-prefetch');
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    JSON.stringify({ ms, cpuMs, ...result, maxRssMB: process.resourceUsage().maxRSS / 1024 }),
  );
})();
