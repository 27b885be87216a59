/**
 * A hostile Medfusion: a real HTTP server on 127.0.0.1 and a free port whose GET patient answers are
 * exactly what a test scripts (status, `Last-Timestamp`, `Date`, which patients), so cursor abuse
 * (cycles, backwards, missing, garbage, far future) can be played against the real client and a real
 * PostgreSQL. Every `since` it receives is recorded. Bearer tokens are not checked: tests give the
 * client `{ accessToken }` credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodePatientElement, wrapPatientBatch } from '../../src/xml/documents';
import { minimalInvite } from './fixtures';

/** One scripted answer to a GET patient. */
export interface ScriptedPage {
  /** @default 200 when `patients` is given, else 204 */
  status?: number;
  /** Practice patient ids of the page's patients. */
  patients?: string[];
  /** The `Last-Timestamp` header; omitted when `undefined`. */
  cursor?: string;
  /** The `Date` header; Node's own when `undefined`. */
  date?: string;
}

export interface ScriptedFeed {
  url: string;
  practiceId: string;
  /** Every `since` received, in order (`null`: none). */
  sinces: (string | null)[];
  /** The same, by practice. */
  sincesOf: Map<string, (string | null)[]>;
  /**
   * Sets the script: the answer to a practice's n-th GET (0-based, counted per practice), given the
   * `since` sent. Resets what was recorded.
   */
  script(fn: (call: number, since: string | null, practiceId: string) => ScriptedPage): void;
  close(): Promise<void>;
}

export const SCRIPTED_PRACTICE = 'practice-scripted-1';

/** Starts the server. */
export async function startScriptedFeed(): Promise<ScriptedFeed> {
  let fn: (call: number, since: string | null, practiceId: string) => ScriptedPage = () => ({});
  const sinces: (string | null)[] = [];
  const sincesOf = new Map<string, (string | null)[]>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const practiceId = /^\/v\d\/practice\/([^/]+)\/patient$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || practiceId === undefined) {
      res.writeHead(404).end();
      return;
    }
    const since = url.searchParams.get('since');
    const mine = sincesOf.get(practiceId) ?? [];
    sincesOf.set(practiceId, mine);
    const page = fn(mine.length, since, practiceId);
    mine.push(since);
    sinces.push(since);
    const headers: Record<string, string> = {};
    if (page.cursor !== undefined) headers['last-timestamp'] = page.cursor;
    if (page.date !== undefined) headers.date = page.date;
    if (!page.patients || page.patients.length === 0) {
      res.writeHead(page.status ?? 204, headers).end();
      return;
    }
    const elements = page.patients.map((id) =>
      encodePatientElement(
        { ...minimalInvite(id), status: { status: 'REGISTERED' } },
        'v2',
        'response',
        { practiceId: SCRIPTED_PRACTICE },
      ),
    );
    const body = wrapPatientBatch('v2', 'response', { batchId: `B-${sinces.length}` }, elements);
    res.writeHead(page.status ?? 200, { ...headers, 'content-type': 'application/xml' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    practiceId: SCRIPTED_PRACTICE,
    sinces,
    sincesOf,
    script: (next) => {
      fn = next;
      sinces.length = 0;
      sincesOf.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `count` patient ids starting at `from`: `P-<from>` … */
export const ids = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `P-${from + i}`);
