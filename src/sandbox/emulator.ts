/**
 * The Medfusion Patient API as an in-memory state machine, independent of any HTTP server: the
 * node:http sandbox and the msw handlers both feed it requests. It reads and writes XML with the
 * package's own schema tables and validates posts with the package's own codecs. Each endpoint is in
 * `endpoints/`, the shared state in `state.ts`; this class routes requests and offers the controls.
 */
import { randomUUID } from 'node:crypto';
import type { Patient } from '../models/patient';
import type { FaultOptions } from './faults';
import { sampleInvite } from './seed';
import { authorized, oauth } from './endpoints/oauth';
import { cancelInvitations, postPatients } from './endpoints/invite';
import { getPatients, noteFeedRead } from './endpoints/feed';
import { processingStatus } from './endpoints/status';
import { empty, notFound, type EmulatorRequest, type EmulatorResponse } from './responses';
import {
  SandboxState,
  type SharedAuth,
  type EmulatorOptions,
  type EmulatorStats,
  type SandboxCredentials,
} from './state';

export type { EmulatorOptions, EmulatorStats, SandboxCredentials } from './state';
export type { EmulatorRequest, EmulatorResponse } from './responses';

/** The Medfusion Patient API in memory; see the module comment. */
export class Emulator {
  private readonly state: SandboxState;

  /**
   * @param options Its practice, data seed, delays and faults.
   * @param shared @internal The credentials and tokens of the other practices of one sandbox.
   */
  constructor(options: EmulatorOptions = {}, shared?: SharedAuth) {
    this.state = new SandboxState(options, shared);
  }

  /** @internal What another practice of the same sandbox shares with this one. */
  get sharedAuth(): SharedAuth {
    return { logins: this.state.logins, tokens: this.state.tokens };
  }

  /** The practice it serves. */
  get practiceId(): string {
    return this.state.practiceId;
  }

  /** The credentials it accepts. */
  get credentials(): SandboxCredentials {
    return this.state.credentials;
  }

  /** Counters for assertions. */
  get stats(): EmulatorStats {
    return this.state.stats;
  }

  /** Base URL used in `Location` headers; set by the adapter. */
  get baseUrl(): string {
    return this.state.baseUrl;
  }

  /** Sets the base URL of `Location` headers (the adapter does, once it listens). */
  set baseUrl(url: string) {
    this.state.baseUrl = url;
  }

  // -------------------------------------------------------------------------------------------
  // Control: what a test or a demo does to the world.

  /** Adds faults to the ones in force (see {@link FaultOptions}). */
  injectFaults(faults: FaultOptions): void {
    if (faults.expireTokens) this.state.tokens.clear();
    this.state.faults.add(faults);
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.state.faults.clear();
  }

  /**
   * The patient accepts the invitation on the portal: REGISTERED, and in the feed.
   *
   * @throws {Error} no invited patient with this id (a mistake in the test, not an SDK error).
   * @example
   * sandbox.registerPatient('MRN-000123', { demographics: { preferredLanguage: 'Spanish' } });
   */
  registerPatient(practicePatientId: string, changes: DeepPartial<Patient> = {}): Patient {
    this.state.advance();
    const record = this.state.records.get(practicePatientId);
    if (!record) throw new Error(`sandbox: no invited patient ${practicePatientId}`);
    record.patient = merge(record.patient, changes);
    record.patient.status = { status: 'REGISTERED', portalStatus: 'ACTIVE' };
    this.state.touch(practicePatientId, record);
    return record.patient;
  }

  /**
   * The patient edits their data on the portal: the change re-enters the feed.
   *
   * @throws {Error} no registered patient with this id.
   * @example
   * sandbox.updatePatient('MRN-000123', { demographics: { mobilePhone: '9195550199' } });
   */
  updatePatient(practicePatientId: string, changes: DeepPartial<Patient>): Patient {
    this.state.advance();
    const record = this.state.records.get(practicePatientId);
    if (!record || record.patient.status.status !== 'REGISTERED') {
      throw new Error(`sandbox: no registered patient ${practicePatientId}`);
    }
    record.patient = merge(record.patient, changes);
    this.state.touch(practicePatientId, record);
    return record.patient;
  }

  /** Adds `n` registered patients with varied data to the feed; returns their practice ids. */
  seedRegisteredPatients(n: number): string[] {
    const ids: string[] = [];
    const start = this.state.records.size;
    for (let i = 0; i < n; i++) {
      const invite = sampleInvite(start + i, this.state.options.seed);
      const record = this.state.create(invite);
      record.patient.status = { status: 'REGISTERED', portalStatus: 'ACTIVE' };
      this.state.touch(invite.practicePatientId, record);
      ids.push(invite.practicePatientId);
    }
    return ids;
  }

  /** A patient as the portal holds it now, or `undefined`. */
  getPatient(practicePatientId: string): Patient | undefined {
    this.state.advance();
    return this.state.records.get(practicePatientId)?.patient;
  }

  /** How many invitation e-mails a patient received. */
  invitationsOf(practicePatientId: string): number {
    return this.state.records.get(practicePatientId)?.invitations ?? 0;
  }

  /** How many processed batches (repeated `BatchId`s excluded) carried this patient. */
  postsOf(practicePatientId: string): number {
    return this.state.posts.get(practicePatientId) ?? 0;
  }

  /** Number of patients known (any status). */
  get patientCount(): number {
    return this.state.records.size;
  }

  // -------------------------------------------------------------------------------------------
  // The wire.

  /**
   * Answers one request; the node:http server and the msw handlers both call this. Every answer
   * carries an `x-request-id`, as a real API gateway's would, so `requestId` shows in tests.
   */
  handle(req: EmulatorRequest): EmulatorResponse {
    const res = this.answer(req);
    return { ...res, headers: { ...res.headers, 'x-request-id': `sbx-${randomUUID()}` } };
  }

  private answer(req: EmulatorRequest): EmulatorResponse {
    const state = this.state;
    state.stats.requests++;
    state.advance();
    const url = new URL(req.url, 'http://sandbox');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);

    if (parts[0] === 'v1' && parts[1] === 'oauth2') return oauth(state, req, parts);
    const fault = state.faults.next(req.method);
    if (fault.kind !== 'none') state.stats.faultsInjected++;
    const latency = fault.latencyMs > 0 ? { latencyMs: fault.latencyMs } : {};
    if (fault.kind === 'reset-before') return { ...empty(0), reset: true, ...latency };
    if (fault.kind === 'expire') {
      state.tokens.clear();
      return { ...empty(401, { 'www-authenticate': 'Bearer error="invalid_token"' }), ...latency };
    }
    if (fault.kind === '429')
      return { ...empty(429, { 'retry-after': String(fault.retryAfterSeconds) }), ...latency };
    if (fault.kind === '503') {
      return {
        status: 503,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
        ...latency,
      };
    }

    const started = Date.now();
    const res = this.route(req, url, parts);
    // The read lasts until its answer leaves: after rendering (above) and the injected latency.
    if (req.method === 'GET' && parts[3] === 'patient' && parts.length === 4)
      noteFeedRead(state, started, Date.now() + fault.latencyMs);
    return fault.kind === 'reset-after'
      ? { ...res, reset: true, ...latency }
      : { ...res, ...latency };
  }

  private route(req: EmulatorRequest, url: URL, parts: string[]): EmulatorResponse {
    const state = this.state;
    const [version, practice, practiceId, resource, sub] = parts;
    if (!authorized(state, req.headers.authorization))
      return empty(401, { 'www-authenticate': 'Bearer' });
    if (practice !== 'practice' || practiceId !== state.practiceId) return notFound();
    const v = version === 'v1' || version === 'v2' || version === 'v3' ? version : undefined;
    if (!v) return notFound();

    if (resource === 'patient' && sub === undefined && parts.length === 4) {
      if (req.method === 'GET') return getPatients(state, v, url.searchParams);
      if (req.method === 'POST') return postPatients(state, v, req);
    }
    if (resource === 'patient' && sub === 'cancelinvitation' && v === 'v3' && req.method === 'POST')
      return cancelInvitations(state, req);
    if (resource === 'processingStatus' && sub !== undefined && v === 'v1' && req.method === 'GET')
      return processingStatus(state, sub);
    return notFound();
  }
}

/** A partial of `T`, recursively: what `registerPatient` and `updatePatient` take. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

function merge<T>(base: T, changes: DeepPartial<T>): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(changes as Record<string, unknown>)) {
    if (v === undefined) continue;
    const current = out[k];
    out[k] =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof current === 'object' &&
      current !== null
        ? merge(current, v as DeepPartial<typeof current>)
        : v;
  }
  return out as T;
}
