/**
 * `medfusion-fleet dashboard`: a read-only web page about the fleet's practices, served by node:http
 * on 127.0.0.1 (no build step, no framework: one HTML page, one script, charts drawn as SVG). Its
 * JSON endpoints are what the page reads; `/api/status` is the same document as `status --json`.
 * When `@pg-boss/dashboard` is installed (an optional peer, Node 22.12+), its handler is mounted
 * under `/jobs` for everything about jobs, and each practice links to its schedule and jobs there.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { MedfusionError } from '../core/errors';
import { isPathId } from '../core/path';
import { queueNames } from '../fleet/boss';
import { FleetOperations } from '../fleet/operations';
import { readFleetStatus } from '../fleet/status';
import { DEFAULT_SCHEMA, type SqlClient } from '../postgres/sql';
import { readHistory, readPractice } from './data';
import { APP_JS, PAGE_HTML } from './page';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The database (a `pg.Pool`). */
  db: SqlClient;
  /** The database's URL, for pg-boss's dashboard under `/jobs` (it opens its own connections). */
  databaseUrl?: string;
  /** Schema of the SDK's and the fleet's tables. @default 'medfusion' */
  schema?: string;
  /** The fleet's environment. @default 'production' */
  environment?: string;
  /** pg-boss's schema. @default 'pgboss' */
  bossSchema?: string;
  /** Prefix of the fleet's queues. @default 'medfusion' */
  queuePrefix?: string;
  /** A sync older than this is stale. @default 900 */
  staleAfterSeconds?: number;
  /** Port on `host`; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. Loopback unless it sits behind your own authentication. @default '127.0.0.1' */
  host?: string;
  /** Mount pg-boss's dashboard under `/jobs` when it is installed. @default true */
  jobs?: boolean;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Whether pg-boss's dashboard is mounted under `/jobs`. */
  jobs: boolean;
  /** Stops the server (and pg-boss's handler). */
  close(): Promise<void>;
}

type JobsHandler = ((request: Request) => Promise<Response>) & { close(): Promise<void> };

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Serves the dashboard until `close()`.
 *
 * @example
 * const dashboard = await startDashboard({ db: pool, databaseUrl, port: 8080 });
 * logger.info('fleet dashboard', { url: dashboard.url }); // http://127.0.0.1:8080
 */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const schema = o.schema ?? DEFAULT_SCHEMA;
  const environment = o.environment ?? 'production';
  const bossSchema = o.bossSchema ?? 'pgboss';
  const queues = queueNames(o.queuePrefix ?? 'medfusion');
  const operations = new FleetOperations({
    db: o.db,
    schema,
    environment,
    bossSchema,
    ...(o.queuePrefix ? { queuePrefix: o.queuePrefix } : {}),
  });
  const jobs =
    o.jobs !== false && o.databaseUrl ? await jobsHandler(o.databaseUrl, bossSchema) : undefined;
  const config = { environment, queues, jobs: jobs !== undefined };

  const api = async (path: string, query: URLSearchParams): Promise<unknown> => {
    if (path === '/api/status')
      return readFleetStatus(o.db, {
        schema,
        environment,
        bossSchema,
        deadLetterQueue: queues.deadLetter,
        ...(o.staleAfterSeconds !== undefined ? { staleAfterSeconds: o.staleAfterSeconds } : {}),
      });
    if (path === '/api/config') return config;
    if (path === '/api/history')
      return readHistory(o.db, {
        schema,
        environment,
        hours: Number(query.get('hours') ?? 24) || 24,
      });
    if (path === '/api/dead-letters') return operations.deadLetters();
    const practice = /^\/api\/practices\/([^/]+)$/.exec(path)?.[1];
    if (practice !== undefined) {
      const id = decodeURIComponent(practice);
      if (!isPathId(id)) return undefined;
      return readPractice(o.db, { schema, environment, practiceId: id });
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'Error' }));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (url.pathname === '/jobs' || url.pathname.startsWith('/jobs/')) {
      if (jobs) return relay(jobs, req, res);
      return send(res, 404, 'text/plain; charset=utf-8', JOBS_MISSING);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only', { allow: 'GET, HEAD' });
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
    if (url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
    if (url.pathname.startsWith('/api/')) {
      try {
        const body = await api(url.pathname, url.searchParams);
        if (body === undefined)
          return send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
        return send(res, 200, 'application/json', JSON.stringify(body));
      } catch (error) {
        // The SDK's errors say what to do and carry no value; anything else is named by its class.
        const shown =
          error instanceof MedfusionError
            ? { error: error.name, message: error.message }
            : { error: 'Error' };
        return send(res, 500, 'application/json', JSON.stringify(shown));
      }
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    jobs: jobs !== undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await jobs?.close();
    },
  };
}

const JOBS_MISSING =
  "pg-boss's dashboard is not mounted: install it (npm install @pg-boss/dashboard, Node 22.12+) " +
  'and start the dashboard with a database URL.\n';

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** pg-boss's dashboard handler, when `@pg-boss/dashboard` is installed and loads here. */
async function jobsHandler(url: string, schema: string): Promise<JobsHandler | undefined> {
  try {
    const { createDashboardHandler } = await import('@pg-boss/dashboard/handler');
    return createDashboardHandler({ databases: [{ url, schema }], basePath: '/jobs' });
  } catch {
    return undefined;
  }
}

/** Hands a request to a fetch-style handler and writes its answer. */
async function relay(handler: JobsHandler, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(url, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody
      ? { body: Readable.toWeb(req) as unknown as ReadableStream, duplex: 'half' as const }
      : {}),
  } as RequestInit);
  const response = await handler(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  res.writeHead(response.status, out);
  if (!response.body || req.method === 'HEAD') return void res.end();
  Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]).pipe(res);
}
