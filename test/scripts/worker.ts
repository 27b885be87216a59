// What every worker script of the crash tests starts with: a client for the sandbox named on the
// command line (`<baseUrl> <practiceId> <credentials JSON> ...rest`), and a pg pool when it needs one.
import { Pool } from 'pg';
import { MedfusionClient } from '../../src/index';

export function workerClient(): { client: MedfusionClient; practiceId: string; rest: string[] } {
  const [baseUrl, practiceId, credentials, ...rest] = process.argv.slice(2) as [
    string,
    string,
    string,
    ...string[],
  ];
  const client = new MedfusionClient({
    baseUrl,
    practiceId,
    credentials: JSON.parse(credentials) as {
      clientId: string;
      clientSecret: string;
      username: string;
      password: string;
    },
  });
  return { client, practiceId, rest };
}

/** What a test tells `pg-sync-worker.ts` (as JSON on its command line). */
export interface SyncWorkerOptions {
  /** The worker's lease holder name. */
  name: string;
  leaseMs: number;
  renewEveryMs?: number;
  waitForLeaseMs: number;
  /** Work inside each page's transaction, so kills and stalls land mid-page. */
  pageDelayMs: number;
  max: number;
}

/** A small pool; an idle connection the server ends is replaced, not fatal. */
export function workerPool(connectionString: string): Pool {
  const pool = new Pool({ connectionString, max: 3 });
  pool.on('error', () => undefined);
  return pool;
}
