/**
 * The invitation ledger: a durable record of every batch `invitePatients` sends, written before its
 * POST and marked accepted after the 202. A rerun of the same input after a crash skips accepted
 * batches, sends batches never attempted, and reports (does not resend) batches whose outcome is
 * unknown. See docs/durable-state.md for what Medfusion is and is not known to do with a repeated
 * `BatchId`.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { StateStoreError, safeCause } from './errors';
import { checkWritableDirectory } from './files';

/**
 * Where a batch stands: `sending` (recorded, POST started, no outcome recorded: after a crash its
 * outcome is unknown), `accepted` (202, with its job), `rejected` (a definite refusal: nothing was
 * accepted, so it may be sent again).
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

/** One batch in the ledger. Holds practice patient ids (needed to report), no other patient value. */
export interface LedgerBatch {
  /** SHA-256 of the practice, the API version and the batch's invites: the batch's identity. */
  contentHash: string;
  /** The practice the batch was sent to. */
  practiceId: string;
  /** The `BatchId` sent (v1/v2); a resend uses the same one. `undefined` for v3, which has none. */
  batchId?: string;
  /** The patients of the batch, in order. */
  practicePatientIds: string[];
  /** Where the batch stands. */
  state: LedgerState;
  /** The job, once accepted. */
  submission?: LedgerSubmission;
  /** POSTs started for this batch. */
  attempts: number;
}

/** What `invitePatients` needs of a durable ledger. Both shipped ledgers implement it. */
export interface InvitationLedger {
  /** The batches recorded under these content hashes. */
  find(contentHashes: readonly string[]): Promise<Map<string, LedgerBatch>>;
  /**
   * Durably records that `batch` is about to be sent; resolves `true` once that is durable. `false`
   * when the ledger already has it `accepted`, or `sending` and not `resend`: someone else has it.
   */
  claim(
    batch: Pick<LedgerBatch, 'contentHash' | 'practiceId' | 'batchId' | 'practicePatientIds'>,
    options: { resend: boolean },
  ): Promise<boolean>;
  /** Records the 202 and its job. */
  accept(contentHash: string, submission: LedgerSubmission): Promise<void>;
  /** Records a definite refusal (4xx, or a connection refused before sending). */
  reject(contentHash: string): Promise<void>;
}

/** The identity of a batch: its practice, API version and validated invites, hashed. */
export function batchContentHash(practiceId: string, apiVersion: string, invites: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ practiceId, apiVersion, invites }))
    .digest('hex');
}

/** JSON with object keys sorted, so the same invites hash the same whatever their key order. */
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

/** One line of the file ledger: the batch as it stands after this event. */
type FileEvent = LedgerBatch;

/**
 * An invitation ledger in one append-only file (JSON lines, fsync'd after every event), for
 * single-machine users. One process at a time: for several workers use `PostgresInvitationLedger`.
 * A line torn by a crash is ignored, which is always safe: a torn claim's POST never started (a
 * POST starts only once its line is durable), and a torn acceptance leaves the batch `sending`,
 * reported as unknown rather than resent.
 */
export class FileInvitationLedger implements InvitationLedger {
  private batches?: Map<string, LedgerBatch>;
  private queue: Promise<void> = Promise.resolve();
  /** The file ends in a torn line: the next event starts on a new line. */
  private torn = false;

  /** @param path The ledger file; its directory must exist. Created on the first batch. */
  constructor(readonly path: string) {}

  /**
   * The batches recorded under these content hashes.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * const known = await ledger.find([hash]);
   */
  async find(contentHashes: readonly string[]): Promise<Map<string, LedgerBatch>> {
    const all = await this.load();
    const found = new Map<string, LedgerBatch>();
    for (const h of contentHashes) {
      const b = all.get(h);
      if (b) found.set(h, { ...b });
    }
    return found;
  }

  /**
   * Records a batch as being sent; see {@link InvitationLedger.claim}.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * const mine = await ledger.claim({ contentHash, practiceId, batchId, practicePatientIds }, { resend: false });
   */
  async claim(
    batch: Pick<LedgerBatch, 'contentHash' | 'practiceId' | 'batchId' | 'practicePatientIds'>,
    options: { resend: boolean },
  ): Promise<boolean> {
    const all = await this.load();
    const known = all.get(batch.contentHash);
    if (known?.state === 'accepted' || (known?.state === 'sending' && !options.resend))
      return false;
    const next: LedgerBatch = {
      ...batch,
      ...(known?.batchId !== undefined ? { batchId: known.batchId } : {}),
      state: 'sending',
      attempts: (known?.attempts ?? 0) + 1,
    };
    all.set(batch.contentHash, next); // before the write: a concurrent claim in this process loses
    await this.append(next, 'ledger.claim');
    return true;
  }

  /**
   * Records the 202 and its job.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * await ledger.accept(contentHash, { dataJobId, statusUrl });
   */
  async accept(contentHash: string, submission: LedgerSubmission): Promise<void> {
    await this.move(contentHash, { state: 'accepted', submission }, 'ledger.accept');
  }

  /**
   * Records a definite refusal.
   * @throws {StateStoreError} the file cannot be read or written (errno code only).
   * @example
   * await ledger.reject(contentHash);
   */
  async reject(contentHash: string): Promise<void> {
    await this.move(contentHash, { state: 'rejected' }, 'ledger.reject');
  }

  private async move(
    contentHash: string,
    change: Partial<LedgerBatch>,
    operation: string,
  ): Promise<void> {
    const all = await this.load();
    const known = all.get(contentHash);
    if (!known) throw new StateStoreError(operation, { name: 'UnknownBatch' });
    const next = { ...known, ...change };
    all.set(contentHash, next);
    await this.append(next, operation);
  }

  private async load(): Promise<Map<string, LedgerBatch>> {
    if (this.batches) return this.batches;
    let text = '';
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StateStoreError('ledger.load', safeCause(error));
      await checkWritableDirectory(this.path, 'ledger.open');
    }
    const batches = new Map<string, LedgerBatch>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let event: FileEvent;
      try {
        event = JSON.parse(line) as FileEvent;
      } catch {
        continue; // a line torn by a crash (see the class comment)
      }
      batches.set(event.contentHash, event);
    }
    this.torn = text !== '' && !text.endsWith('\n');
    this.batches ??= batches;
    return this.batches;
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
