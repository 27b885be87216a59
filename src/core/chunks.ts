/**
 * Bulk invitations: the input cut into batches, sent with bounded concurrency, and (with a ledger)
 * recorded before each POST so that a rerun after a crash neither loses nor repeats a batch.
 */
import { MedfusionError, PartialSubmissionError, SubmissionOutcomeUnknownError } from './errors';
import { batchContentHash, type InvitationLedger, type LedgerBatch } from './ledger';
import type { BatchSubmission } from '../models/batch';

/** Progress of `invitePatients`, after each chunk. */
export interface InviteProgress {
  /** Batches finished (accepted or failed), those found accepted in the ledger included. */
  chunksDone: number;
  /** Batches in the call. */
  chunksTotal: number;
  /** Patients in accepted batches. */
  patientsSubmitted: number;
  /** Patients in the call. */
  patientsTotal: number;
}

/** One batch of the input. */
interface Chunk<T> {
  index: number;
  items: T[];
  ids: string[];
  /** The `BatchId` to send: the ledger's for a batch it knows, else a new one. */
  batchId?: string;
  contentHash?: string;
  /** Claim it even though the ledger has it `sending` (the caller asked to resend unknowns). */
  resend?: boolean;
}

type Failure = PartialSubmissionError['failed'][number];

/** How to send: the plain path, or through a ledger. */
export interface BulkPlan<T> {
  items: readonly T[];
  batchSize: number;
  concurrency: number;
  onProgress?: (p: InviteProgress) => void;
  signal?: AbortSignal;
  /** A fresh `BatchId` per batch (v1/v2), or `undefined` (v3). */
  newBatchId: () => string | undefined;
  /** The caller's own `BatchId` (a deliberate resubmission of one batch). */
  batchId?: string;
  ledger?: {
    ledger: InvitationLedger;
    practiceId: string;
    apiVersion: string;
    resendUnknown: boolean;
  };
}

export async function sendBulk<T extends { practicePatientId: string }>(
  plan: BulkPlan<T>,
  post: (items: T[], batchId: string | undefined) => Promise<BatchSubmission>,
): Promise<BatchSubmission[]> {
  const chunks: Chunk<T>[] = [];
  for (let i = 0; i < plan.items.length; i += plan.batchSize) {
    const items = plan.items.slice(i, i + plan.batchSize);
    chunks.push({ index: chunks.length, items, ids: items.map((c) => c.practicePatientId) });
  }
  const results: (BatchSubmission | undefined)[] = new Array(chunks.length);
  const failed: Failure[] = [];
  let toSend = chunks;

  const ledger = plan.ledger;
  if (ledger) {
    for (const c of chunks)
      c.contentHash = batchContentHash(ledger.practiceId, ledger.apiVersion, c.items);
    const known = await ledger.ledger.find(chunks.map((c) => c.contentHash as string));
    toSend = [];
    for (const c of chunks) {
      const record = known.get(c.contentHash as string);
      if (record?.state === 'accepted' && record.submission) {
        results[c.index] = fromLedger(record);
      } else if (record?.state === 'sending' && !ledger.resendUnknown) {
        failed.push(
          unknownOutcome(record.batchId, c.ids, 'sent by an earlier run, outcome never recorded'),
        );
      } else {
        toSend.push({
          ...c,
          ...(record?.batchId !== undefined ? { batchId: record.batchId } : {}),
          resend: record?.state === 'sending',
        });
      }
    }
  }

  const send = async (c: Chunk<T>): Promise<BatchSubmission> => {
    const batchId = plan.batchId ?? c.batchId ?? plan.newBatchId();
    if (!ledger) return post(c.items, batchId);
    const hash = c.contentHash as string;
    const claim = { contentHash: hash, practiceId: ledger.practiceId, practicePatientIds: c.ids };
    const claimed = await ledger.ledger.claim(
      { ...claim, ...(batchId !== undefined ? { batchId } : {}) },
      { resend: c.resend === true },
    );
    if (!claimed) throw unknownOutcome(batchId, c.ids, 'being sent by another worker').error;
    let submission: BatchSubmission;
    try {
      submission = await post(c.items, batchId);
    } catch (error) {
      // A definite refusal may be sent again; an unknown outcome stays `sending`, to be reported.
      if (!(error instanceof SubmissionOutcomeUnknownError)) await ledger.ledger.reject(hash);
      throw error;
    }
    await ledger.ledger.accept(hash, {
      dataJobId: submission.dataJobId,
      statusUrl: submission.statusUrl,
      ...(submission.messageId !== undefined ? { messageId: submission.messageId } : {}),
    });
    return submission;
  };

  await runPool(toSend, plan, send, results, failed, chunks.length);

  const accepted = results.filter((r): r is BatchSubmission => r !== undefined);
  if (failed.length > 0 || accepted.length < chunks.length) {
    const seen = new Set([
      ...accepted.flatMap((s) => s.practicePatientIds),
      ...failed.flatMap((f) => f.practicePatientIds),
    ]);
    const notSent = plan.items.map((i) => i.practicePatientId).filter((id) => !seen.has(id));
    throw new PartialSubmissionError(accepted, failed, notSent);
  }
  return accepted;
}

/** Sends `chunks` with bounded concurrency; stops starting new ones after a failure. */
async function runPool<T>(
  chunks: Chunk<T>[],
  plan: Pick<BulkPlan<T>, 'concurrency' | 'onProgress' | 'signal' | 'items'>,
  send: (c: Chunk<T>) => Promise<BatchSubmission>,
  results: (BatchSubmission | undefined)[],
  failed: Failure[],
  total: number,
): Promise<void> {
  const failedBefore = failed.length;
  let next = 0;
  let done = total - chunks.length;
  // Batches the ledger already held as accepted count from the start.
  let submitted = results.reduce((n, r) => n + (r ? r.practicePatientIds.length : 0), 0);
  const worker = async (): Promise<void> => {
    while (next < chunks.length && failed.length === failedBefore && !plan.signal?.aborted) {
      const chunk = chunks[next++] as Chunk<T>;
      try {
        results[chunk.index] = await send(chunk);
        submitted += chunk.ids.length;
      } catch (error) {
        const e =
          error instanceof MedfusionError ? error : new MedfusionError('unexpected failure');
        const batchId = (e as { batchId?: string }).batchId ?? chunk.batchId;
        failed.push({ practicePatientIds: chunk.ids, ...(batchId ? { batchId } : {}), error: e });
      }
      done++;
      plan.onProgress?.({
        chunksDone: done,
        chunksTotal: total,
        patientsSubmitted: submitted,
        patientsTotal: plan.items.length,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, chunks.length) }, worker));
}

function fromLedger(record: LedgerBatch): BatchSubmission {
  const s = record.submission as NonNullable<LedgerBatch['submission']>;
  return {
    dataJobId: s.dataJobId,
    statusUrl: s.statusUrl,
    ...(record.batchId !== undefined ? { batchId: record.batchId } : {}),
    ...(s.messageId !== undefined ? { messageId: s.messageId } : {}),
    practicePatientIds: record.practicePatientIds,
  };
}

/** A batch the ledger cannot vouch for: reported with its `BatchId`, never resent on its own. */
function unknownOutcome(batchId: string | undefined, ids: string[], why: string): Failure {
  const error = new SubmissionOutcomeUnknownError(
    batchId,
    ids,
    new MedfusionError(`Invitation ledger: batch ${why}`),
  );
  return { practicePatientIds: ids, ...(batchId !== undefined ? { batchId } : {}), error };
}
