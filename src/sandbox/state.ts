/**
 * The sandbox's world: patients, the feed, jobs, tokens and counters, with the few operations every
 * endpoint shares (create a patient, move one to the end of the feed, run due jobs). The endpoints
 * in `endpoints/` read and change it; `Emulator` wires them to requests.
 */
import { randomUUID } from 'node:crypto';
import type { ApiVersion } from '../models/enums';
import type { Patient, PatientInvite } from '../models/patient';
import { encodePatientElement } from '../xml/documents';
import { Faults, type FaultOptions } from './faults';

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
  /**
   * Answer a POST whose `BatchId` was accepted before with that first job, without processing it
   * again: a hypothetical de-duplicating server, for tests. The real one processes it again (wire
   * spec section 10), and so does the sandbox by default. @default false
   */
  dedupeBatchIds?: boolean;
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
  /**
   * POSTs whose `BatchId` had been accepted before (a resend). Processed again, as the real server
   * does; answered with the first job instead only with `dedupeBatchIds`.
   */
  duplicateBatches: number;
  /** Invitation e-mails "sent": one per new patient, and one more each time a patient not yet registered is processed again. */
  invitationsSent: number;
  /** Invitation e-mails sent to a patient already invited: the harm a resend can do. */
  reinvitations: number;
  /** Tokens issued by the token endpoint. */
  tokensIssued: number;
  /** Tokens issued, by the practice user's login (sandbox usernames, not patient data). */
  tokensByUsername: Record<string, number>;
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

export interface PatientRecord {
  patient: Patient;
  /** Position in the feed, when registered. */
  seq?: number;
  ts?: number;
  invitations: number;
  xml?: Partial<Record<ApiVersion, string>>;
}

export interface Message {
  messageId: string;
  practiceResourceId?: string;
  state: string;
  statusDate?: Date;
  error?: { code: string; description: string; severity: string };
}

export interface Job {
  dataJobId: string;
  dueAt: number;
  messages: Message[];
  work: () => void;
  done: boolean;
}

export interface FeedEntry {
  seq: number;
  ts: number;
  id: string;
}

/** A token the sandbox issued: until when, and to which login. */
export interface IssuedToken {
  expiresAt: number;
  username: string;
}

/**
 * What the practices of one sandbox share: its logins (one client id and secret, a practice user
 * each) and one token store. `login` picks the practice's own login.
 */
export interface SharedAuth {
  logins: SandboxCredentials[];
  tokens: Map<string, IssuedToken>;
  login?: number;
}

export class SandboxState {
  readonly practiceId: string;
  readonly credentials: SandboxCredentials;
  readonly stats: EmulatorStats = {
    requests: 0,
    batchesReceived: 0,
    duplicateBatches: 0,
    invitationsSent: 0,
    reinvitations: 0,
    tokensIssued: 0,
    tokensByUsername: {},
    faultsInjected: 0,
    repeatPatientPosts: 0,
    overlappingFeedReads: 0,
  };
  readonly options: Required<Omit<EmulatorOptions, 'faults' | 'practiceId'>>;
  readonly faults: Faults;
  /** Every login of the sandbox (this practice's is `credentials`); shared by its practices. */
  readonly logins: SandboxCredentials[];
  /** Token → expiry and login; shared by the practices of one sandbox. */
  readonly tokens: Map<string, IssuedToken>;
  readonly records = new Map<string, PatientRecord>();
  /** MedfusionPatientId → practice patient id, to link accounts without a scan. */
  readonly byMedfusionId = new Map<string, string>();
  readonly feed: FeedEntry[] = [];
  readonly jobs = new Map<string, Job>();
  readonly pending: Job[] = [];
  /** Accepted `BatchId` → its job. */
  readonly batchIds = new Map<string, string>();
  /** Practice patient id → processed batches it arrived in. */
  readonly posts = new Map<string, number>();
  /** When each feed GET being answered ends (its latency included). */
  feedReadsUntil: number[] = [];
  /** Base URL used in `Location` headers; set by the adapter. */
  baseUrl = 'http://127.0.0.1';
  seq = 0;
  lastTs = 0;
  private nextMedfusionId = 100_000;

  constructor(options: EmulatorOptions, shared?: SharedAuth) {
    this.options = {
      processingDelayMs: options.processingDelayMs ?? 0,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 1799,
      seed: options.seed ?? 1,
      prerender: options.prerender ?? false,
      dedupeBatchIds: options.dedupeBatchIds ?? false,
    };
    this.practiceId = options.practiceId ?? randomUUID();
    this.logins = shared?.logins ?? [
      {
        clientId: `sandbox-client-${randomUUID().slice(0, 8)}`,
        clientSecret: randomUUID(),
        username: 'sandbox-practice-user',
        password: randomUUID(),
        appToken: randomUUID(),
      },
    ];
    this.credentials = this.logins[shared?.login ?? 0] ?? (this.logins[0] as SandboxCredentials);
    this.tokens = shared?.tokens ?? new Map();
    this.faults = new Faults(this.options.seed, options.faults);
  }

  /** A new PROVISIONED patient, invited once. */
  create(invite: PatientInvite): PatientRecord {
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
  touch(id: string, record: PatientRecord): void {
    this.lastTs = Math.max(Date.now(), this.lastTs);
    record.seq = ++this.seq;
    record.ts = this.lastTs;
    delete record.xml;
    if (this.options.prerender) {
      for (const v of ['v1', 'v2', 'v3'] as const) this.render(record, v);
    }
    this.feed.push({ seq: record.seq, ts: record.ts, id });
  }

  /** A patient's `<Patient>` element as the feed returns it. */
  render(record: PatientRecord, version: ApiVersion): string {
    const cached = record.xml?.[version];
    if (cached) return cached;
    const out = encodePatientElement(record.patient, version, 'response', {
      practiceId: this.practiceId,
    });
    if (this.options.prerender) (record.xml ??= {})[version] = out;
    return out;
  }

  /** A processing job over `resourceIds`; `work` fills each message when the job comes due. */
  newJob(resourceIds: string[], work: (message: Message, index: number) => void): Job {
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

  /** Processes every job whose time has come. */
  advance(): void {
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
}
