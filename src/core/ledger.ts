/**
 * The invitation ledger: a durable record, per patient, of what `invitePatients` sent and where it
 * stands, written before each POST and updated after its answer. Its unit is the patient, not the
 * batch: a rerun of a list in another order, grown, or cut into other batches never sends again a
 * patient already accepted; a patient whose record changed after it was accepted is reported (and
 * sent again only when asked); a patient whose outcome is unknown is reported, and resent only when
 * asked, in a resend round that one worker at a time wins per batch. See docs/durable-state.md for
 * what a resend costs: Medfusion does not de-duplicate on `BatchId`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ConfigurationError, StateStoreError, safeCause } from './errors';
import { MAX_TIMER_MS } from './limits';
import { checkWritableDirectory } from './files';

/**
 * Where a patient (or a batch's latest POST) stands: `sending` (recorded, POST started, no answer
 * recorded: after a crash its outcome is unknown), `accepted` (202), `rejected` (a definite refusal:
 * nothing was accepted, so it may be sent again).
 */
export type LedgerState = 'sending' | 'accepted' | 'rejected';

/** The job of an accepted batch, as the ledger keeps it. */
export interface LedgerSubmission {
  /** Medfusion's `DataJobId`. */
  dataJobId: string;
  /** The processing-status URL. */
  statusUrl: string;
  /** The `MessageId` of the acceptance, when given. */
  messageId?: string;
}

/** One patient of a practice in the ledger: what was last sent for them, and where it stands. */
export interface LedgerPatient {
  /** The practice. */
  practiceId: string;
  /** The patient's practice patient id. */
  practicePatientId: string;
  /**
   * SHA-256 of the invite as last sent (`undefined` when recorded by the ledger of 0.2, which kept
   * batches only: such a record is taken as unchanged). A hash, never the values.
   */
  recordHash?: string;
  /** Where the patient's latest POST stands. */
  state: LedgerState;
  /** The batch the patient was last sent in. */
  batchKey: string;
}

/** One POST (a batch) in the ledger. Holds practice patient ids, no other patient value. */
export interface LedgerBatch {
  /** The batch's key in the ledger (the `content_hash` of ledgers of 0.2). */
  batchKey: string;
  /** The practice the batch was sent to. */
  practiceId: string;
  /** The `BatchId` sent (v1/v2); a resend uses the same one. `undefined` for v3, which has none. */
  batchId?: string;
  /** The patients of the batch, in order. */
  practicePatientIds: string[];
  /** Where its latest POST stands. */
  state: LedgerState;
  /** The job, once accepted. */
  submission?: LedgerSubmission;
  /** POSTs started for this batch: the first, then one per resend round (the round's fence). */
  attempts: number;
}

/** A batch about to be sent for the first time, with the patients it is meant to claim. */
export interface NewLedgerBatch {
  /** The batch's key in the ledger (a fresh UUID per POST). */
  batchKey: string;
  /** The practice. */
  practiceId: string;
  /** The `BatchId` it is sent with (v1/v2). */
  batchId?: string;
  /** In order: each patient and the hash of its invite as it will be sent. */
  patients: {
    /** The patient. */
    practicePatientId: string;
    /** SHA-256 of its invite as it will be sent. */
    recordHash: string;
  }[];
}

/** What `invitePatients` needs of a durable ledger. Both shipped ledgers implement it. */
export interface InvitationLedger {
  /** What the ledger holds for these patients of a practice, by practice patient id. */
  patients(
    practiceId: string,
    practicePatientIds: readonly string[],
  ): Promise<Map<string, LedgerPatient>>;
  /** The batches under these keys. */
  batches(batchKeys: readonly string[]): Promise<Map<string, LedgerBatch>>;
  /**
   * Records a new batch and claims its patients for it, in one durable step, and resolves with the
   * ids it claimed, in order: patients the ledger does not hold, those `rejected`, and (with
   * `resendChanged`) those `accepted` with another record hash. A patient held by another batch
   * (accepted, or sending: someone else's POST) is left out. Resolves `[]` (recording nothing) when
   * none could be claimed.
   */
  claim(batch: NewLedgerBatch, options: { resendChanged: boolean }): Promise<string[]>;
  /**
   * Claims a batch whose outcome is unknown for one resend round: resolves `true` for exactly one
   * caller per value of `attempts` (the round's fence), across every worker, and only once the
   * batch's latest POST started longer ago than the ledger's `resendGuardMs` (before then it may
   * still be in flight in another worker).
   */
  claimResend(batchKey: string, attempts: number): Promise<boolean>;
  /** Records the 202: the batch, and those of its patients in this POST, accepted. */
  accept(
    batchKey: string,
    practicePatientIds: readonly string[],
    submission: LedgerSubmission,
  ): Promise<void>;
  /** Records a definite refusal of this POST: the batch and those patients rejected (sendable again). */
  reject(batchKey: string, practicePatientIds: readonly string[]): Promise<void>;
}

/**
 * The identity of what is sent for a patient: the validated invite (as it goes on the wire, a US
 * state's name already turned into its code), hashed. Key order does not matter.
 */
export function inviteRecordHash(invite: unknown): string {
  return createHash('sha256').update(canonicalJson(invite)).digest('hex');
}

/** JSON with object keys sorted, so the same invite hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Which record wins when a 0.2 ledger holds a patient in several batches: accepted, then unknown. */
const PRIORITY: Record<LedgerState, number> = { accepted: 2, sending: 1, rejected: 0 };

/** The default of `resendGuardMs`: longer than any POST with its retries. */
export const DEFAULT_RESEND_GUARD_MS = 10 * 60 * 1000;

/** The `resendGuardMs` option, checked. */
export function resendGuard(v: unknown, owner: string): number {
  if (v === undefined) return DEFAULT_RESEND_GUARD_MS;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIMER_MS) return v;
  throw new ConfigurationError(
    'resendGuardMs',
    `must be an integer from 0 to ${MAX_TIMER_MS}`,
    owner,
  );
}

/** One line of the file ledger. Lines of 0.2 (a whole batch, with `contentHash`) are read too. */
type FileEvent =
  | { type: 'claim'; batch: LedgerBatch; patients: LedgerPatient[]; at?: number }
  | { type: 'resend'; batchKey: string; attempts: number; at?: number }
  | { type: 'accept'; batchKey: string; ids: string[]; submission: LedgerSubmission | undefined }
  | { type: 'reject'; batchKey: string; ids: string[] };
type LegacyLine = Omit<LedgerBatch, 'batchKey'> & { contentHash: string; type?: undefined };

/**
 * An invitation ledger in one append-only file (JSON lines, fsync'd after every event), for
 * single-machine users. One process at a time: for several workers use `PostgresInvitationLedger`.
 * A line torn by a crash is ignored, which is always safe: a torn claim's POST never started (a
 * POST starts only once its line is durable), and a torn acceptance leaves its patients `sending`,
 * reported as unknown rather than resent. A file written by 0.2 (one line per batch) is read as is.
 */
export class FileInvitationLedger implements InvitationLedger {
  private state?: LedgerMaps;
  private queue: Promise<void> = Promise.resolve();
  /** The file ends in a torn line: the next event starts on a new line. */
  private torn = false;
  private readonly resendGuardMs: number;

  /**
   * @param path The ledger file; its directory must exist. Created on the first batch.
   * @param options `resendGuardMs`: how long after a batch's latest POST started a resend round may
   * begin (see `PostgresInvitationLedger`). @default 600000
   * @throws {ConfigurationError} `resendGuardMs` is not an integer from 0 to 2^31 - 1.
   */
  constructor(
    readonly path: string,
    options: { resendGuardMs?: number } = {},
  ) {
    this.resendGuardMs = resendGuard(options.resendGuardMs, 'FileInvitationLedger');
  }

  /**
   * What the ledger holds for these patients.
   * @throws {StateStoreError} the file cannot be read (errno code only).
   * @example
   * const known = await ledger.patients(practiceId, ['MRN-1', 'MRN-2']);
   */
  async patients(
    practiceId: string,
    practicePatientIds: readonly string[],
  ): Promise<Map<string, LedgerPatient>> {
    const { patients } = await this.load();
    const found = new Map<string, LedgerPatient>();
    for (const id of practicePatientIds) {
      const p = patients.get(patientKey(practiceId, id));
      if (p) found.set(id, { ...p });
    }
    return found;
  }

  /**
   * The batches under these keys.
   * @throws {StateStoreError} the file cannot be read (errno code only).
   * @example
   * const [batch] = (await ledger.batches([key])).values();
   */
  async batches(batchKeys: readonly string[]): Promise<Map<string, LedgerBatch>> {
    const { batches } = await this.load();
    const found = new Map<string, LedgerBatch>();
    for (const key of batchKeys) {
      const b = batches.get(key);
      if (b) found.set(key, { ...b, practicePatientIds: [...b.practicePatientIds] });
    }
    return found;
  }

  /**
   * Records a new batch and claims its patients; see {@link InvitationLedger.claim}.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * const claimed = await ledger.claim({ batchKey, practiceId, batchId, patients }, { resendChanged: false });
   */
  async claim(batch: NewLedgerBatch, options: { resendChanged: boolean }): Promise<string[]> {
    const state = await this.load();
    const claimed = batch.patients.filter(({ practicePatientId, recordHash }) => {
      const known = state.patients.get(patientKey(batch.practiceId, practicePatientId));
      return claimable(known, recordHash, options.resendChanged);
    });
    if (claimed.length === 0) return [];
    const record: LedgerBatch = {
      batchKey: batch.batchKey,
      practiceId: batch.practiceId,
      ...(batch.batchId !== undefined ? { batchId: batch.batchId } : {}),
      practicePatientIds: claimed.map((p) => p.practicePatientId),
      state: 'sending',
      attempts: 1,
    };
    const patients = claimed.map((p): LedgerPatient => ({
      practiceId: batch.practiceId,
      practicePatientId: p.practicePatientId,
      recordHash: p.recordHash,
      state: 'sending',
      batchKey: batch.batchKey,
    }));
    // Applied before the write: a concurrent claim in this process sees it and loses.
    const event: FileEvent = { type: 'claim', batch: record, patients, at: Date.now() };
    apply(state, event);
    await this.append(event, 'ledger.claim');
    return record.practicePatientIds;
  }

  /**
   * Claims an unknown batch for one resend round; see {@link InvitationLedger.claimResend}.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * if (await ledger.claimResend(batch.batchKey, batch.attempts)) await post(batch);
   */
  async claimResend(batchKey: string, attempts: number): Promise<boolean> {
    const state = await this.load();
    const batch = state.batches.get(batchKey);
    const unknown = batch?.practicePatientIds.some(
      (id) => state.patients.get(patientKey(batch.practiceId, id))?.state === 'sending',
    );
    const recent = Date.now() - (state.sentAt.get(batchKey) ?? 0) < this.resendGuardMs;
    if (!batch || !unknown || batch.attempts !== attempts || recent) return false;
    const event: FileEvent = { type: 'resend', batchKey, attempts: attempts + 1, at: Date.now() };
    apply(state, event);
    await this.append(event, 'ledger.claim');
    return true;
  }

  /**
   * Records the 202 and its job.
   * @throws {StateStoreError} the file cannot be written, or the batch is unknown.
   * @example
   * await ledger.accept(batchKey, ids, { dataJobId, statusUrl });
   */
  async accept(
    batchKey: string,
    practicePatientIds: readonly string[],
    submission: LedgerSubmission,
  ): Promise<void> {
    await this.settle({ type: 'accept', batchKey, ids: [...practicePatientIds], submission });
  }

  /**
   * Records a definite refusal.
   * @throws {StateStoreError} the file cannot be written, or the batch is unknown.
   * @example
   * await ledger.reject(batchKey, ids);
   */
  async reject(batchKey: string, practicePatientIds: readonly string[]): Promise<void> {
    await this.settle({ type: 'reject', batchKey, ids: [...practicePatientIds] });
  }

  /**
   * Settles a batch whose outcome is unknown, after you checked by hand; see
   * `PostgresInvitationLedger.settleUnknown`. Resolves with how many patients changed.
   * @throws {StateStoreError} the file cannot be written, or the batch is unknown.
   * @example
   * await ledger.settleUnknown(batchKey, 'rejected'); // it never arrived: the next run sends it
   */
  async settleUnknown(batchKey: string, outcome: 'accepted' | 'rejected'): Promise<number> {
    const state = await this.load();
    const batch = state.batches.get(batchKey);
    const ids = (batch?.practicePatientIds ?? []).filter(
      (id) => state.patients.get(patientKey(batch?.practiceId ?? '', id))?.state === 'sending',
    );
    if (outcome === 'accepted')
      await this.settle({ type: 'accept', batchKey, ids, submission: undefined });
    else await this.settle({ type: 'reject', batchKey, ids });
    return ids.length;
  }

  private async settle(event: FileEvent & { type: 'accept' | 'reject' }): Promise<void> {
    const operation = `ledger.${event.type}`;
    const state = await this.load();
    if (!state.batches.has(event.batchKey))
      throw new StateStoreError(operation, { name: 'UnknownBatch' });
    apply(state, event);
    await this.append(event, operation);
  }

  private async load(): Promise<LedgerMaps> {
    if (this.state) return this.state;
    let text = '';
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StateStoreError('ledger.load', safeCause(error));
      await checkWritableDirectory(this.path, 'ledger.open');
    }
    const state: LedgerMaps = { patients: new Map(), batches: new Map(), sentAt: new Map() };
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let event: FileEvent | LegacyLine;
      try {
        event = JSON.parse(line) as FileEvent | LegacyLine;
      } catch {
        continue; // a line torn by a crash (see the class comment)
      }
      if (event.type === undefined) applyLegacy(state, event);
      else apply(state, event);
    }
    this.torn = text !== '' && !text.endsWith('\n');
    this.state ??= state;
    return this.state;
  }

  /** Appends one event and fsyncs it; events are written one at a time, in order. */
  private append(event: FileEvent, operation: string): Promise<void> {
    const write = async (): Promise<void> => {
      let handle;
      try {
        handle = await fs.open(this.path, 'a', 0o600);
        await handle.appendFile(`${this.torn ? '\n' : ''}${JSON.stringify(event)}\n`, 'utf8');
        this.torn = false;
        await handle.sync();
      } catch (error) {
        throw new StateStoreError(operation, safeCause(error));
      } finally {
        await handle?.close();
      }
    };
    const done = this.queue.then(write);
    this.queue = done.catch(() => undefined);
    return done;
  }
}

/** Whether a new batch may claim a patient the ledger holds as `known`. */
export function claimable(
  known: LedgerPatient | undefined,
  recordHash: string,
  resendChanged: boolean,
): boolean {
  if (!known || known.state === 'rejected') return true;
  return (
    resendChanged &&
    known.state === 'accepted' &&
    known.recordHash !== undefined &&
    known.recordHash !== recordHash
  );
}

const patientKey = (practiceId: string, id: string): string => `${practiceId}\u0000${id}`;

/** The file ledger's state: patients, batches, and when each batch's latest POST started (ms). */
type LedgerMaps = {
  patients: Map<string, LedgerPatient>;
  batches: Map<string, LedgerBatch>;
  sentAt: Map<string, number>;
};

function apply(state: LedgerMaps, event: FileEvent): void {
  switch (event.type) {
    case 'claim':
      state.batches.set(event.batch.batchKey, event.batch);
      state.sentAt.set(event.batch.batchKey, event.at ?? 0);
      for (const p of event.patients)
        state.patients.set(patientKey(p.practiceId, p.practicePatientId), p);
      return;
    case 'resend': {
      const batch = state.batches.get(event.batchKey);
      if (batch)
        state.batches.set(event.batchKey, { ...batch, state: 'sending', attempts: event.attempts });
      state.sentAt.set(event.batchKey, event.at ?? 0);
      return;
    }
    case 'accept':
    case 'reject': {
      const batch = state.batches.get(event.batchKey);
      if (!batch) return;
      const settled: LedgerState = event.type === 'accept' ? 'accepted' : 'rejected';
      state.batches.set(event.batchKey, {
        ...batch,
        state: settled,
        ...(event.type === 'accept' && event.submission ? { submission: event.submission } : {}),
      });
      for (const id of event.ids) {
        const key = patientKey(batch.practiceId, id);
        const p = state.patients.get(key);
        if (p && p.batchKey === event.batchKey && p.state === 'sending')
          state.patients.set(key, { ...p, state: settled });
      }
    }
  }
}

/** A batch line of a 0.2 file: the batch, and its patients unless a better record holds them. */
function applyLegacy(state: LedgerMaps, line: LegacyLine): void {
  const { contentHash, ...rest } = line;
  const batch: LedgerBatch = { ...rest, batchKey: contentHash };
  state.batches.set(contentHash, batch);
  for (const id of batch.practicePatientIds) {
    const key = patientKey(batch.practiceId, id);
    const known = state.patients.get(key);
    if (known && known.batchKey !== contentHash && PRIORITY[known.state] > PRIORITY[batch.state])
      continue;
    state.patients.set(key, {
      practiceId: batch.practiceId,
      practicePatientId: id,
      state: batch.state,
      batchKey: contentHash,
    });
  }
}
