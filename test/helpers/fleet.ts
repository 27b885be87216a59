/**
 * What the fleet tests, the fleet worker script and the fleet benchmark share: the Node 22+ binary
 * pg-boss needs (installed from the npm registry into tools/node-matrix, never globally), how a
 * worker process is configured and started, and each practice's deterministic invitation list.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Credentials, PatientInvite } from 'medfusion-patient-sdk';
import { sampleInvite } from 'medfusion-patient-sdk/sandbox';

const root = resolve(__dirname, '..', '..');

/** Node 22 from tools/node-matrix (`npm ci` there on first use): pg-boss 12 needs Node 22.12+. */
export function node22(): string {
  const bin = join(root, 'tools', 'node-matrix', 'node_modules', 'node22', 'bin', 'node');
  if (!existsSync(bin)) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: join(root, 'tools', 'node-matrix'),
      stdio: 'ignore',
    });
  }
  return bin;
}

/** What a test tells `fleet-worker.ts` (as JSON on its command line). */
export interface FleetWorkerConfig {
  name: string;
  databaseUrl: string;
  /** pg-boss's schema. */
  bossSchema: string;
  sandboxUrl: string;
  credentials: Credentials;
  /** A practice's own login, when it has one (the sandbox's `credentialsFor`). */
  credentialsByPractice?: Record<string, FleetWorkerConfig['credentials']>;
  concurrency: number;
  maxRequestsInFlight?: number;
  leaseMs: number;
  /** Work done inside each page's transaction (a vendor's own writes), so kills land mid-page. */
  pageDelayMs: number;
  /** Sync jobs to send at start (idempotent: a practice with one queued is left alone). */
  syncNow: string[];
  /** Send the `syncNow` jobs on SIGUSR2 rather than at start (the benchmark's starting gun). */
  syncOnSignal?: boolean;
  /** Schedules every practice of `schedule.practices` every `schedule.everyMinutes` at start. */
  schedule?: { practices: string[]; everyMinutes: number; replace?: boolean };
  /** Invitation jobs to send at start, one list per practice (ref `onboarding`). */
  invite: string[];
  resendUnknown?: boolean;
  /** Where the worker appends the request lines its clients log (JSON, one per line). */
  logFile: string;
  /** Log warnings only (the benchmark: a synchronous append per request is not what it measures). */
  quiet?: boolean;
  retryDelaySeconds?: number;
  retryLimit?: number;
  /** Set invalid records aside (into fleet_test.quarantined) rather than fail the practice's job. */
  quarantine?: boolean;
  /** Prefix of the queue names. @default 'medfusion' */
  queuePrefix?: string;
  /** A practice whose pages `onPage` refuses, with PHI in the message (as a database error can quote). */
  poisonPractice?: string;
  maxRetryAfterMs?: number;
  shutdownTimeoutMs?: number;
  /** pg-boss's timeout of one job, in seconds. */
  jobTimeoutSeconds?: number;
  /** pg-boss's maintenance intervals: 1 s in tests (fast retries of killed jobs), its own defaults otherwise. @default 'test' */
  bossIntervals?: 'test' | 'default';
  /** Create the PgBoss with `useListenNotify` (idle workers woken by new jobs). @default true */
  notify?: boolean;
  /** Dies (SIGKILL of itself) inside the transaction of its n-th page: a kill at a fixed point. */
  dieInPage?: number;
  /** The ledger's resend guard. */
  resendGuardMs?: number;
  /** Registers OpenTelemetry's SDK (in-memory) and writes its spans and metrics here on SIGTERM. */
  telemetryFile?: string;
  /** A practice whose `onPage` never settles while `hangFile` exists (a hung callback). */
  hangPractice?: string;
  hangFile?: string;
}

/**
 * Starts a worker process on Node 22. Its configuration goes on the command line as JSON, or in a
 * file (`@<path>`) when it is too long for one argument (thousands of practice ids).
 */
export function spawnFleetWorker(config: FleetWorkerConfig): ChildProcess {
  let arg = JSON.stringify(config);
  if (arg.length > 32_000) {
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-config-')), 'config.json');
    writeFileSync(file, arg);
    arg = `@${file}`;
  }
  return spawn(
    node22(),
    ['--import', 'tsx', join(root, 'test', 'scripts', 'fleet-worker.ts'), arg],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Resolves when the worker printed `ready` (rejects if it exits first). */
export function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolveReady();
    });
    child.once('exit', (code, signal) =>
      reject(
        new Error(`fleet worker exited (${code ?? signal}) before ready: ${err.slice(-2000)}`),
      ),
    );
  });
}

/** How many patients practice number `i` has in its feed: 0 to 260, varied. */
export function feedSize(i: number): number {
  return (i * 53) % 261;
}

/** Practice `practiceId`'s invitation list: 5 to 129 patients, the same in every process. */
export function invitesFor(practiceId: string): PatientInvite[] {
  const n = 5 + (parseInt(practiceId.replace(/[^0-9a-f]/g, '').slice(0, 6), 16) % 125);
  return Array.from({ length: n }, (_, i) => ({
    ...sampleInvite(i),
    practicePatientId: `INV-${practiceId.slice(0, 8)}-${i}`,
  }));
}
