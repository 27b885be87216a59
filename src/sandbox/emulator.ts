/**
 * The Medfusion Patient API as an in-memory state machine, independent of any HTTP server: the
 * node:http sandbox and the msw handlers both feed it requests. It reads and writes XML with the
 * package's own schema tables and validates posts with the package's own codecs.
 */
import { randomUUID } from 'node:crypto';
import { inviteIssues } from '../models/validate';
import type { ApiVersion } from '../models/enums';
import type { Patient, PatientInvite } from '../models/patient';
import type { ValidationIssue } from '../core/errors';
import {
  decodeCancelInvitation,
  decodePatientBatch,
  encodePatientElement,
  encodeProcessingResponse,
  encodeProcessingStatus,
  wrapPatientBatch,
  type ProcessingStatusFields,
} from '../xml/documents';
import { XmlSyntaxError } from '../xml/parse';
import { Faults, type FaultOptions } from './faults';
import { sampleInvite } from './seed';

/** A request as any server adapter hands it over. Header names lower-case. */
export interface EmulatorRequest {
  method: string;
  /** Path and query, e.g. `/v2/practice/…/patient?since=…`. */
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The answer; `reset` asks the adapter to drop the connection instead, after `latencyMs`. */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  reset?: boolean;
  latencyMs?: number;
}

/** Options of the emulator (and of `startSandbox`). */
export interface EmulatorOptions {
  /** Delay between a POST's acceptance and its processing, in ms. @default 0 */
  processingDelayMs?: number;
  /** Lifetime of issued tokens, in seconds (`expiresIn`). @default 1799 */
  tokenTtlSeconds?: number;
  /** Seed of generated data and of random faults. @default 1 */
  seed?: number;
  /** Faults active from the start. */
  faults?: FaultOptions;
  /** Render each patient's XML when it changes rather than on each request (faster pages, more memory). @default false */
  prerender?: boolean;
  /** The practice UUID. @default a random UUID */
  practiceId?: string;
}

/** The credentials the emulator accepts, in every form `MedfusionClient` takes. */
export interface SandboxCredentials {
  /** For the id/secret form. */
  clientId: string;
  /** For the id/secret form. */
  clientSecret: string;
  /** The practice user. */
  username: string;
  /** The practice user's password. */
  password: string;
  /** For the app-token form: `{ appToken, username, password }`. */
  appToken: string;
}

/** Counters that tests and demos assert on. */
export interface EmulatorStats {
  /** Requests handled (OAuth included). */
  requests: number;
  /** POST patient bodies accepted (202), repeats included. */
  batchesReceived: number;
  /** POSTs whose `BatchId` had been accepted before: answered with the first job, not processed again. */
  duplicateBatches: number;
  /** Invitation e-mails "sent": one per new patient. */
  invitationsSent: number;
  /** Tokens issued by the token endpoint. */
  tokensIssued: number;
  /** Requests answered with an injected fault. */
  faultsInjected: number;
  /**
   * Patients that arrived again in a processed batch (a new `BatchId`) after an earlier one: what a
   * client that resends an accepted batch causes. Medfusion may e-mail such a patient again.
   */
  repeatPatientPosts: number;
  /** GETs of the patient feed that arrived while another was still being answered: two syncs of one practice at once. */
  overlappingFeedReads: number;
}

interface PatientRecord {
  patient: Patient;
  /** Position in the feed, when registered. */
  seq?: number;
  ts?: number;
  invitations: number;
  xml?: Partial<Record<ApiVersion, string>>;
}

interface Message {
  messageId: string;
  practiceResourceId?: string;
  state: string;
  statusDate?: Date;
  error?: { code: string; description: string; severity: string };
}

interface Job {
  dataJobId: string;
  dueAt: number;
  messages: Message[];
  work: () => void;
  done: boolean;
}

const json = (status: number, value: unknown): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});
const xml = (
  status: number,
  body: string,
  headers: Record<string, string> = {},
): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/xml', ...headers },
  body,
});
const empty = (status: number, headers: Record<string, string> = {}): EmulatorResponse => ({
  status,
  headers,
  body: '',
});

/** Only rule names and element paths, like the real `DC_CORE_033` messages, never values. */
const failure = (issues: ValidationIssue[]): EmulatorResponse =>
  xml(
    400,
    encodeProcessingResponse({
      processingStatus: 'Failure',
      responseMessage: `DC_CORE_033-Error in ${issues
        .slice(0, 10)
        .map((i) => `${i.path} : ${i.rule}`)
        .join('; ')}`,
    }),
  );

const CURSOR = /^(\d+)(?:,(\d+))?$/;

/** The Medfusion Patient API in memory; see the module comment. */
export class Emulator {
  readonly practiceId: string;
  readonly credentials: SandboxCredentials;
  readonly stats: EmulatorStats = {
    requests: 0,
    batchesReceived: 0,
    duplicateBatches: 0,
    invitationsSent: 0,
    tokensIssued: 0,
    faultsInjected: 0,
    repeatPatientPosts: 0,
    overlappingFeedReads: 0,
  };
  /** Base URL used in `Location` headers; set by the adapter. */
  baseUrl = 'http://127.0.0.1';

  private readonly options: Required<Omit<EmulatorOptions, 'faults' | 'practiceId'>>;
  private readonly faults: Faults;
  private readonly tokens = new Map<string, number>();
  private readonly records = new Map<string, PatientRecord>();
  /** MedfusionPatientId → practice patient id, to link accounts without a scan. */
  private readonly byMedfusionId = new Map<string, string>();
  private readonly feed: { seq: number; ts: number; id: string }[] = [];
  private readonly jobs = new Map<string, Job>();
  private readonly pending: Job[] = [];
  private readonly batchIds = new Map<string, string>();
  /** Practice patient id → processed batches it arrived in. */
  private readonly posts = new Map<string, number>();
  /** When each feed GET being answered ends (its latency included). */
  private feedReadsUntil: number[] = [];
  private seq = 0;
  private lastTs = 0;
  private nextMedfusionId = 100_000;

  constructor(options: EmulatorOptions = {}) {
    this.options = {
      processingDelayMs: options.processingDelayMs ?? 0,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 1799,
      seed: options.seed ?? 1,
      prerender: options.prerender ?? false,
    };
    this.practiceId = options.practiceId ?? randomUUID();
    this.credentials = {
      clientId: `sandbox-client-${randomUUID().slice(0, 8)}`,
      clientSecret: randomUUID(),
      username: 'sandbox-practice-user',
      password: randomUUID(),
      appToken: randomUUID(),
    };
    this.faults = new Faults(this.options.seed, options.faults);
  }

  // -------------------------------------------------------------------------------------------
  // Control: what a test or a demo does to the world.

  /** Adds faults to the ones in force (see {@link FaultOptions}). */
  injectFaults(faults: FaultOptions): void {
    if (faults.expireTokens) this.tokens.clear();
    this.faults.add(faults);
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** The patient accepts the invitation on the portal: REGISTERED, and in the feed. */
  registerPatient(practicePatientId: string, changes: DeepPartial<Patient> = {}): Patient {
    this.advance();
    const record = this.records.get(practicePatientId);
    if (!record) throw new Error(`sandbox: no invited patient ${practicePatientId}`);
    record.patient = merge(record.patient, changes);
    record.patient.status = { status: 'REGISTERED', portalStatus: 'ACTIVE' };
    this.touch(practicePatientId, record);
    return record.patient;
  }

  /** The patient edits their data on the portal: the change re-enters the feed. */
  updatePatient(practicePatientId: string, changes: DeepPartial<Patient>): Patient {
    this.advance();
    const record = this.records.get(practicePatientId);
    if (!record || record.patient.status.status !== 'REGISTERED') {
      throw new Error(`sandbox: no registered patient ${practicePatientId}`);
    }
    record.patient = merge(record.patient, changes);
    this.touch(practicePatientId, record);
    return record.patient;
  }

  /** Adds `n` registered patients with varied data to the feed; returns their practice ids. */
  seedRegisteredPatients(n: number): string[] {
    const ids: string[] = [];
    const start = this.records.size;
    for (let i = 0; i < n; i++) {
      const invite = sampleInvite(start + i, this.options.seed);
      const record = this.create(invite);
      record.patient.status = { status: 'REGISTERED', portalStatus: 'ACTIVE' };
      this.touch(invite.practicePatientId, record);
      ids.push(invite.practicePatientId);
    }
    return ids;
  }

  /** A patient as the portal holds it now, or `undefined`. */
  getPatient(practicePatientId: string): Patient | undefined {
    this.advance();
    return this.records.get(practicePatientId)?.patient;
  }

  /** How many invitation e-mails a patient received. */
  invitationsOf(practicePatientId: string): number {
    return this.records.get(practicePatientId)?.invitations ?? 0;
  }

  /** How many processed batches (repeated `BatchId`s excluded) carried this patient. */
  postsOf(practicePatientId: string): number {
    return this.posts.get(practicePatientId) ?? 0;
  }

  /** Number of patients known (any status). */
  get patientCount(): number {
    return this.records.size;
  }

  // -------------------------------------------------------------------------------------------
  // The wire.

  /** Answers one request; the node:http server and the msw handlers both call this. */
  handle(req: EmulatorRequest): EmulatorResponse {
    this.stats.requests++;
    this.advance();
    const url = new URL(req.url, 'http://sandbox');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);

    if (parts[0] === 'v1' && parts[1] === 'oauth2') return this.oauth(req, parts);
    const fault = this.faults.next(req.method);
    if (fault.kind !== 'none') this.stats.faultsInjected++;
    const latency = fault.latencyMs > 0 ? { latencyMs: fault.latencyMs } : {};
    if (fault.kind === 'reset-before') return { ...empty(0), reset: true, ...latency };
    if (fault.kind === 'expire') {
      this.tokens.clear();
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

    if (req.method === 'GET' && parts[3] === 'patient' && parts.length === 4)
      this.noteFeedRead(fault.latencyMs);
    const res = this.route(req, url, parts);
    return fault.kind === 'reset-after'
      ? { ...res, reset: true, ...latency }
      : { ...res, ...latency };
  }

  private route(req: EmulatorRequest, url: URL, parts: string[]): EmulatorResponse {
    const [version, practice, practiceId, resource, sub] = parts;
    if (!this.authorized(req.headers.authorization))
      return empty(401, { 'www-authenticate': 'Bearer' });
    if (practice !== 'practice' || practiceId !== this.practiceId) return notFound();
    const v = version === 'v1' || version === 'v2' || version === 'v3' ? version : undefined;
    if (!v) return notFound();

    if (resource === 'patient' && sub === undefined && parts.length === 4) {
      if (req.method === 'GET') return this.getPatients(v, url.searchParams);
      if (req.method === 'POST') return this.postPatients(v, req);
    }
    if (
      resource === 'patient' &&
      sub === 'cancelinvitation' &&
      v === 'v3' &&
      req.method === 'POST'
    ) {
      return this.cancelInvitations(req);
    }
    if (
      resource === 'processingStatus' &&
      sub !== undefined &&
      v === 'v1' &&
      req.method === 'GET'
    ) {
      return this.processingStatus(sub);
    }
    return notFound();
  }

  /** Records a feed GET answered over the next `latencyMs`; counts it if another is still open. */
  private noteFeedRead(latencyMs: number): void {
    const now = Date.now();
    this.feedReadsUntil = this.feedReadsUntil.filter((end) => end > now);
    if (this.feedReadsUntil.length > 0) this.stats.overlappingFeedReads++;
    this.feedReadsUntil.push(now + latencyMs);
  }

  // -- OAuth (wire spec section 2)

  private oauth(req: EmulatorRequest, parts: string[]): EmulatorResponse {
    const c = this.credentials;
    if (req.method === 'GET' && parts[2] === 'oauthapplication') {
      if (parts[3] !== c.appToken) return json(404, { error: 'not_found' });
      return json(200, {
        applicationName: 'Medfusion Sandbox',
        grantTypes: ['password'],
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        oauthVersion: 'O_AUTH_2_0',
      });
    }
    if (req.method !== 'POST' || parts[2] !== 'token') return json(404, { error: 'not_found' });
    if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
      return json(415, { error: 'unsupported_media_type' });
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const pair = `${c.clientId}:${c.clientSecret}`;
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    if (basic !== pair && decoded !== pair) return json(401, { error: 'invalid_client' });
    const form = new URLSearchParams(req.body);
    if (
      form.get('grant_type') !== 'password' ||
      form.get('username') !== c.username ||
      form.get('password') !== c.password
    ) {
      return json(400, { error: 'invalid_grant' });
    }
    const token = randomUUID();
    this.tokens.set(token, Date.now() + this.options.tokenTtlSeconds * 1000);
    this.stats.tokensIssued++;
    return json(200, {
      tokenType: 'BEARER',
      expiresIn: this.options.tokenTtlSeconds,
      refreshToken: null,
      accessToken: token,
      accessTokenSecret: null,
    });
  }

  private authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const expires = token ? this.tokens.get(token) : undefined;
    return expires !== undefined && expires > Date.now();
  }

  // -- POST patient (section 3)

  private postPatients(version: ApiVersion, req: EmulatorRequest): EmulatorResponse {
    const type = req.headers['content-type'] ?? '';
    if (!/^(application|text)\/xml\b/.test(type)) return empty(415);
    let decoded;
    try {
      decoded = decodePatientBatch(req.body, {
        strict: true,
        direction: 'request',
        expectedVersion: version,
      });
    } catch (error) {
      if (error instanceof XmlSyntaxError)
        return failure([{ path: 'PatientBatch', rule: error.reason }]);
      throw error;
    }
    const issues = [...decoded.issues];
    if (decoded.header.batchSize !== decoded.patients.length)
      issues.push({ path: 'PatientBatch/BatchSize', rule: 'equalsPatientCount' });
    if (version !== 'v3' && !decoded.header.batchId)
      issues.push({ path: 'PatientBatch/BatchId', rule: 'required' });
    if (decoded.practice.practiceId !== this.practiceId)
      issues.push({ path: 'PatientBatch/Patient/PracticeIdentifier', rule: 'practiceId' });
    decoded.patients.forEach((p, i) => issues.push(...inviteIssues(p, version, `Patient[${i}]`)));
    if (issues.length > 0) return failure(issues);

    this.stats.batchesReceived++;
    const repeat = decoded.header.batchId ? this.batchIds.get(decoded.header.batchId) : undefined;
    if (repeat) {
      this.stats.duplicateBatches++;
      return this.accepted(repeat);
    }
    const invites = decoded.patients as unknown as PatientInvite[];
    for (const { practicePatientId: id } of invites) {
      const before = this.posts.get(id) ?? 0;
      if (before > 0) this.stats.repeatPatientPosts++;
      this.posts.set(id, before + 1);
    }
    const job = this.newJob(
      invites.map((p) => p.practicePatientId),
      (m, i) => this.processInvite(invites[i] as PatientInvite, m),
    );
    if (decoded.header.batchId) this.batchIds.set(decoded.header.batchId, job.dataJobId);
    return this.accepted(job.dataJobId);
  }

  private accepted(dataJobId: string): EmulatorResponse {
    const location = `${this.baseUrl}/v1/practice/${this.practiceId}/processingStatus/${dataJobId}`;
    return xml(
      202,
      encodeProcessingResponse({
        dataJobId,
        messageId: randomUUID(),
        processingStatus: 'Successful',
      }),
      { location },
    );
  }

  /**
   * What processing does to one patient (section 3): a new practice patient id is PROVISIONED and
   * invited once; a known one is accepted without a second invitation (and without touching a
   * registered patient's data: the portal is the system of record); a `MedfusionPatientId` links a
   * self-registered account, and is an ERROR when no such account exists.
   */
  private processInvite(invite: PatientInvite, message: Message): void {
    const id = invite.practicePatientId;
    if (invite.medfusionPatientId !== undefined) {
      const ownerId = this.byMedfusionId.get(invite.medfusionPatientId);
      const owner = ownerId === undefined ? undefined : this.records.get(ownerId);
      if (!owner || ownerId === undefined) {
        message.state = 'ERROR';
        message.error = {
          code: 'PATIENT_NOT_FOUND',
          description: 'No patient with this MedfusionPatientId',
          severity: 'FATAL',
        };
        return;
      }
      if (ownerId !== id && !this.records.has(id)) {
        // Link the existing portal account to the practice's id: no new account, no invitation.
        this.records.delete(ownerId);
        owner.patient = { ...owner.patient, practicePatientId: id };
        this.records.set(id, owner);
        this.byMedfusionId.set(invite.medfusionPatientId, id);
        if (owner.seq !== undefined) this.touch(id, owner);
      }
      message.state = 'COMPLETED';
      return;
    }
    const existing = this.records.get(id);
    if (!existing) this.create(invite);
    else if (existing.patient.status.status === 'PROVISIONED') {
      existing.patient = { ...existing.patient, ...invite, status: existing.patient.status };
      delete existing.xml;
    }
    message.state = 'COMPLETED';
  }

  // -- cancelinvitation (section 9)

  private cancelInvitations(req: EmulatorRequest): EmulatorResponse {
    if (!/^(application|text)\/xml\b/.test(req.headers['content-type'] ?? '')) return empty(415);
    let decoded;
    try {
      decoded = decodeCancelInvitation(req.body);
    } catch (error) {
      if (error instanceof XmlSyntaxError)
        return failure([{ path: 'ExternalPatientIds', rule: error.reason }]);
      throw error;
    }
    if (decoded.issues.length > 0 || decoded.practicePatientIds.length === 0) {
      return failure(
        decoded.issues.length > 0
          ? decoded.issues
          : [{ path: 'ExternalPatientIds/PracticePatientId', rule: 'required' }],
      );
    }
    const ids = decoded.practicePatientIds;
    const job = this.newJob(ids, (m, i) => {
      const id = ids[i] as string;
      const record = this.records.get(id);
      if (record?.patient.status.status === 'PROVISIONED') {
        this.records.delete(id);
        this.byMedfusionId.delete(record.patient.medfusionPatientId as string);
        m.state = 'COMPLETED';
      } else {
        m.state = 'ERROR';
        m.error = {
          code: record ? 'PATIENT_REGISTERED' : 'PATIENT_NOT_FOUND',
          description: record ? 'The patient already registered' : 'No pending invitation',
          severity: 'FATAL',
        };
      }
    });
    return this.accepted(job.dataJobId);
  }

  // -- processingStatus (section 5)

  private newJob(resourceIds: string[], work: (message: Message, index: number) => void): Job {
    const messages: Message[] = [{ messageId: randomUUID(), state: 'PROCESSING' }];
    for (const id of resourceIds)
      messages.push({ messageId: randomUUID(), practiceResourceId: id, state: 'PROCESSING' });
    const job: Job = {
      dataJobId: randomUUID(),
      dueAt: Date.now() + this.options.processingDelayMs,
      messages,
      done: false,
      work: () => {
        const now = new Date();
        messages.slice(1).forEach((m, i) => {
          work(m, i);
          m.statusDate = now;
        });
        const head = messages[0] as Message;
        head.state = 'COMPLETED';
        head.statusDate = now;
      },
    };
    this.jobs.set(job.dataJobId, job);
    this.pending.push(job);
    this.advance();
    return job;
  }

  private processingStatus(dataJobId: string): EmulatorResponse {
    const job = this.jobs.get(dataJobId);
    if (!job) return notFound();
    const fields: ProcessingStatusFields = { dataJobId, messages: job.messages };
    return xml(200, encodeProcessingStatus(fields));
  }

  /** Processes every job whose time has come. */
  private advance(): void {
    const now = Date.now();
    for (let i = 0; i < this.pending.length;) {
      const job = this.pending[i] as Job;
      if (job.dueAt <= now) {
        job.work();
        job.done = true;
        this.pending.splice(i, 1);
      } else i++;
    }
  }

  // -- GET patient (section 4)

  private getPatients(version: ApiVersion, query: URLSearchParams): EmulatorResponse {
    const maxText = query.get('max');
    const max = maxText === null ? 100 : Number(maxText);
    if (maxText !== null && !/^\d+$/.test(maxText))
      return failure([{ path: 'max', rule: `Invalid 'max' query argument` }]);
    if (max > 100)
      return failure([
        { path: 'max', rule: `Max :${max} value exceeds configured threshold limit :100` },
      ]);
    if (max < 1) return failure([{ path: 'max', rule: 'Max must be at least 1' }]);
    const sinceText = query.get('since');
    const since = sinceText === null ? { ts: -1, seq: -1 } : parseCursor(sinceText);
    if (!since)
      return failure([{ path: 'since', rule: "Invalid 'since' query argument - not a timestamp" }]);

    const elements: string[] = [];
    let last: { ts: number; seq: number } | undefined;
    for (let i = this.firstAfter(since); i < this.feed.length && elements.length < max; i++) {
      const entry = this.feed[i] as { seq: number; ts: number; id: string };
      const record = this.records.get(entry.id);
      if (!record || record.seq !== entry.seq) continue; // superseded by a later change
      elements.push(this.render(record, version));
      last = entry;
    }
    if (!last) {
      const cursor = sinceText ?? `${Math.max(0, this.lastTs)},${this.seq}`;
      return empty(204, { 'last-timestamp': cursor });
    }
    const body = wrapPatientBatch(
      version,
      'response',
      { batchId: randomUUID(), sender: { deviceName: 'PIDC', vendorName: 'Intuit' } },
      elements,
    );
    return xml(200, body, { 'last-timestamp': `${last.ts},${last.seq}` });
  }

  private firstAfter(since: { ts: number; seq: number }): number {
    let lo = 0;
    let hi = this.feed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.feed[mid] as { ts: number; seq: number };
      if (e.ts < since.ts || (e.ts === since.ts && e.seq <= since.seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private render(record: PatientRecord, version: ApiVersion): string {
    const cached = record.xml?.[version];
    if (cached) return cached;
    const out = encodePatientElement(record.patient, version, 'response', {
      practiceId: this.practiceId,
    });
    if (this.options.prerender) (record.xml ??= {})[version] = out;
    return out;
  }

  private create(invite: PatientInvite): PatientRecord {
    const patient: Patient = {
      ...invite,
      medfusionPatientId: invite.medfusionPatientId ?? String(this.nextMedfusionId++),
      intuitPatientId: randomUUID(),
      status: { status: 'PROVISIONED' },
    };
    const record: PatientRecord = { patient, invitations: 1 };
    this.records.set(invite.practicePatientId, record);
    this.byMedfusionId.set(patient.medfusionPatientId as string, invite.practicePatientId);
    this.stats.invitationsSent++;
    return record;
  }

  /** Moves a patient to the end of the feed with a new cursor position. */
  private touch(id: string, record: PatientRecord): void {
    this.lastTs = Math.max(Date.now(), this.lastTs);
    record.seq = ++this.seq;
    record.ts = this.lastTs;
    delete record.xml;
    if (this.options.prerender) {
      for (const v of ['v1', 'v2', 'v3'] as const) this.render(record, v);
    }
    this.feed.push({ seq: record.seq, ts: record.ts, id });
  }
}

const notFound = (): EmulatorResponse => ({
  status: 404,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>404 Not Found</h1></body></html>',
});

/** `<ms>,<seq>` (ours), `<epoch seconds>,0` (the vendor's tests) or `<ms>`; seconds are told by size. */
function parseCursor(text: string): { ts: number; seq: number } | undefined {
  const m = CURSOR.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return {
    ts: n < 1e11 ? n * 1000 : n,
    seq: m[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(m[2]),
  };
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
