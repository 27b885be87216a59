/** The emulator behind a node:http server on 127.0.0.1. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Emulator,
  type EmulatorOptions,
  type SandboxCredentials,
  type DeepPartial,
  type EmulatorStats,
} from './emulator';
import type { FaultOptions } from './faults';
import type { Patient } from '../models/patient';

/** Options of {@link startSandbox}. */
export interface SandboxOptions extends EmulatorOptions {
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. Loopback only unless you know why. @default '127.0.0.1' */
  host?: string;
  /**
   * Practices served at once, each with its own patients, feed and jobs (seeded with `seed + i`),
   * all sharing one set of credentials and one token store, as a vendor's fleet sees Medfusion.
   * The first is `practiceId`. @default 1
   */
  practices?: number;
  /**
   * Practice users (logins) among the practices, all with the one client id and secret: practice
   * `i` accepts only tokens of login `i % logins` (`credentialsFor(practiceId)`). @default 1
   */
  logins?: number;
}

/** Requests in flight at the sandbox's HTTP server. */
export interface SandboxTraffic {
  /** Requests being answered now (their latency included). */
  inFlight: number;
  /** The most requests ever answered at once. */
  maxInFlight: number;
}

/** A running sandbox. Pass `url`, `practiceId` and `credentials` to `MedfusionClient`. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: use as `baseUrl`. */
  url: string;
  /** The practice the sandbox serves. */
  practiceId: string;
  /** Credentials it accepts, in every form the client takes. */
  credentials: SandboxCredentials;
  /** The state machine behind the server (the first practice's), for assertions. */
  emulator: Emulator;
  /** Every practice served, the first being `practiceId`. */
  practiceIds: string[];
  /** Every login (practice user) the sandbox accepts; the first is `credentials`. */
  logins: SandboxCredentials[];
  /** The login a practice accepts tokens of. */
  credentialsFor(practiceId: string): SandboxCredentials;
  /** The emulator of one practice, to seed it, register its patients or read its counters. */
  practice(practiceId: string): Emulator;
  /** Counters: requests, batches, duplicates, invitations, tokens, faults. */
  stats: EmulatorStats;
  /** The patient accepts the invitation on the portal: REGISTERED, and in the feed. */
  registerPatient(practicePatientId: string, changes?: DeepPartial<Patient>): Patient;
  /** The patient edits their data on the portal: the change re-enters the feed. */
  updatePatient(practicePatientId: string, changes: DeepPartial<Patient>): Patient;
  /** Adds `n` registered patients with varied data; returns their practice ids. */
  seedRegisteredPatients(n: number): string[];
  /** Adds faults (see {@link FaultOptions}) to every practice served; `practice(id).injectFaults` for one. */
  injectFaults(faults: FaultOptions): void;
  /** Removes every fault, from every practice. */
  clearFaults(): void;
  /** Requests being answered now, and the most ever answered at once (all practices, OAuth included). */
  traffic: SandboxTraffic;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/**
 * Starts a local Medfusion emulator.
 *
 * @throws {Error} the port is taken or cannot be listened on (Node's `EADDRINUSE`, `EACCES`).
 * @example
 * const sb = await startSandbox();
 * const client = new MedfusionClient({ baseUrl: sb.url, practiceId: sb.practiceId, credentials: sb.credentials });
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const count = options.practices ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new Error('sandbox: practices must be an integer >= 1');
  const logins = options.logins ?? 1;
  if (!Number.isInteger(logins) || logins < 1 || logins > count)
    throw new Error('sandbox: logins must be an integer from 1 to the number of practices');
  const emulator = new Emulator(options);
  const emulators = new Map([[emulator.practiceId, emulator]]);
  const auth = emulator.sharedAuth;
  const first = auth.logins[0] as SandboxCredentials;
  for (let k = 1; k < logins; k++)
    auth.logins.push({ ...first, username: `${first.username}-${k}`, password: randomUUID() });
  for (let i = 1; i < count; i++) {
    const { practiceId: _first, ...rest } = options;
    const other = new Emulator(
      { ...rest, seed: (options.seed ?? 1) + i },
      { ...auth, login: i % logins },
    );
    emulators.set(other.practiceId, other);
  }
  const traffic: SandboxTraffic = { inFlight: 0, maxInFlight: 0 };
  const server = createServer((req, res) => {
    traffic.inFlight++;
    traffic.maxInFlight = Math.max(traffic.maxInFlight, traffic.inFlight);
    void serve(route(emulators, emulator, req.url), req, res).finally(() => traffic.inFlight--);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  for (const e of emulators.values()) e.baseUrl = `http://${host}:${port}`;

  const practice = (id: string): Emulator => {
    const found = emulators.get(id);
    if (!found) throw new Error(`sandbox: no practice ${id}`);
    return found;
  };
  return {
    url: emulator.baseUrl,
    practiceId: emulator.practiceId,
    credentials: emulator.credentials,
    emulator,
    practiceIds: [...emulators.keys()],
    logins: auth.logins,
    credentialsFor: (id) => practice(id).credentials,
    practice,
    stats: emulator.stats,
    registerPatient: (id, changes) => emulator.registerPatient(id, changes),
    updatePatient: (id, changes) => emulator.updatePatient(id, changes),
    seedRegisteredPatients: (n) => emulator.seedRegisteredPatients(n),
    injectFaults: (f) => emulators.forEach((e) => e.injectFaults(f)),
    clearFaults: () => emulators.forEach((e) => e.clearFaults()),
    traffic,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The practice a request is for, by its path (`/v2/practice/{id}/…`); OAuth and unknown ids go to the first. */
function route(
  emulators: Map<string, Emulator>,
  first: Emulator,
  url: string | undefined,
): Emulator {
  const id = /^\/v\d+\/practice\/([^/?#]+)/.exec(url ?? '')?.[1];
  if (id === undefined) return first;
  let practiceId: string;
  try {
    practiceId = decodeURIComponent(id);
  } catch {
    return first;
  }
  return emulators.get(practiceId) ?? first;
}

async function serve(emulator: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      res.writeHead(413).end();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const answer = emulator.handle({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers,
    body: Buffer.concat(chunks).toString('utf8'),
  });
  if (answer.latencyMs) await new Promise((r) => setTimeout(r, answer.latencyMs));
  if (answer.reset) {
    req.socket.destroy();
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
