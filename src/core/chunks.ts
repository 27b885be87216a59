/**
 * Bulk invitations: the input cut into batches, sent with bounded concurrency, and (with a ledger)
 * recorded per patient before each POST, so that a rerun after a crash, in any order or shape,
 * neither loses nor repeats a patient. See `ledger.ts` for what the ledger records.
 */
import { randomUUID } from 'node:crypto';
import { MedfusionError, PartialSubmissionError, SubmissionOutcomeUnknownError } from './errors';
import {
  inviteRecordHash,
  type InvitationLedger,
  type LedgerBatch,
  type LedgerPatient,
} from './ledger';
import type { BatchSubmission } from '../models/types';

/** Progress of `invitePatients`, after each batch. */
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

/** A patient accepted earlier whose record has changed since. */
export interface ChangedInvite {
  /** The patient. */
  practicePatientId: string;
  /** The `BatchId` it was accepted in (v1/v2). */
  acceptedBatchId?: string;
  /** The job of that acceptance. */
  acceptedDataJobId?: string;
  /** Whether this call sent it again (`resendChanged`). */
  resent: boolean;
}

/** What an `invitePatients` call did, patient by patient, beyond the jobs it returns. */
export interface InvitationReport {
  /** Patients in the call. */
  patients: number;
  /** Patients this call sent, in batches Medfusion accepted. */
  sent: number;
  /** Patients the ledger already held as accepted with the same record: not sent again. */
  alreadyAccepted: number;
  /**
   * Patients accepted earlier whose record has changed since (an e-mail corrected, say): not sent
   * again unless `resendChanged` was set. After registration the portal is the system of record, so
   * a change may not reach it at all.
   */
  changed: ChangedInvite[];
  /** Patients whose earlier outcome was unknown and that this call sent again (`resendUnknown`). */
  unknownResent: number;
}

/** The jobs of an `invitePatients` call, with its {@link InvitationReport} in `report`. */
export type InvitationResults = BatchSubmission[] & {
  /** What the call did, patient by patient (not enumerable: it holds practice patient ids). */
  readonly report: InvitationReport;
};

/** One batch to send. */
interface Task<T> {
  index: number;
  items: T[];
  /** A resend round of a batch of unknown outcome: its key, `BatchId` and fence. */
  resend?: { batchKey: string; batchId: string | undefined; attempts: number };
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
  /** Told the run's report when every batch has settled (for telemetry). */
  onReport?: (report: InvitationReport) => void;
  ledger?: {
    ledger: InvitationLedger;
    practiceId: string;
    resendUnknown: boolean;
    resendChanged: boolean;
  };
}

export async function sendBulk<T extends { practicePatientId: string }>(
  plan: BulkPlan<T>,
  post: (items: T[], batchId: string | undefined) => Promise<BatchSubmission>,
): Promise<InvitationResults> {
  const report: InvitationReport = {
    patients: plan.items.length,
    sent: 0,
    alreadyAccepted: 0,
    changed: [],
    unknownResent: 0,
  };
  const results: BatchSubmission[] = [];
  const failed: Failure[] = [];
  const plannedAt = plan.ledger
    ? await planWithLedger(plan, plan.ledger, report, results, failed)
    : { fresh: [...plan.items], resends: [] as Task<T>[], accepted: new Set<string>() };

  const tasks: Task<T>[] = [...plannedAt.resends];
  for (let i = 0; i < plannedAt.fresh.length; i += plan.batchSize)
    tasks.push({ index: tasks.length, items: plannedAt.fresh.slice(i, i + plan.batchSize) });
  tasks.forEach((t, i) => (t.index = i));

  const ledger = plan.ledger;
  const hashes = new Map(plan.items.map((i) => [i, ledger ? inviteRecordHash(i) : '']));
  const send = async (task: Task<T>): Promise<BatchSubmission> => {
    if (!ledger) return post(task.items, plan.batchId ?? plan.newBatchId());
    let batchKey: string;
    let batchId: string | undefined;
    let items: T[];
    if (task.resend) {
      ({ batchKey, batchId } = task.resend);
      if (!(await ledger.ledger.claimResend(batchKey, task.resend.attempts))) {
        // Another worker won this round: theirs to send and report.
        failed.push(
          unknownOutcome(
            batchId,
            ids(task.items),
            'sent less than resendGuardMs ago, or being resent by another worker',
          ),
        );
        return emptySubmission();
      }
      items = task.items;
      report.unknownResent += items.length;
    } else {
      batchKey = randomUUID();
      batchId = plan.batchId ?? plan.newBatchId();
      const claimed = new Set(
        await ledger.ledger.claim(
          {
            batchKey,
            practiceId: ledger.practiceId,
            ...(batchId !== undefined ? { batchId } : {}),
            patients: task.items.map((i) => ({
              practicePatientId: i.practicePatientId,
              recordHash: hashes.get(i) as string,
            })),
          },
          { resendChanged: ledger.resendChanged },
        ),
      );
      items = task.items.filter((i) => claimed.has(i.practicePatientId));
      const taken = task.items.filter((i) => !claimed.has(i.practicePatientId));
      // Claimed meanwhile by another worker's batch: theirs to send and report.
      if (taken.length > 0)
        failed.push(unknownOutcome(undefined, ids(taken), 'claimed by another worker'));
      if (items.length === 0) return emptySubmission();
    }
    let submission: BatchSubmission;
    try {
      submission = await post(items, batchId);
    } catch (error) {
      // A definite refusal may be sent again; an unknown outcome stays `sending`, to be reported.
      if (!(error instanceof SubmissionOutcomeUnknownError))
        await ledger.ledger.reject(batchKey, ids(items));
      throw error;
    }
    await ledger.ledger.accept(batchKey, ids(items), {
      dataJobId: submission.dataJobId,
      statusUrl: submission.statusUrl,
      ...(submission.messageId !== undefined ? { messageId: submission.messageId } : {}),
    });
    return submission;
  };

  const accepted = await runPool(tasks, plan, send, failed, results);
  const sent = accepted.filter((s) => s.practicePatientIds.length > 0);
  report.sent = sent.reduce((n, s) => n + s.practicePatientIds.length, 0);
  const all = [...results, ...sent];
  const done = new Set([
    ...plannedAt.accepted,
    ...all.flatMap((s) => s.practicePatientIds),
    ...failed.flatMap((f) => f.practicePatientIds),
    ...report.changed.filter((c) => !c.resent).map((c) => c.practicePatientId),
  ]);
  const notSent = plan.items.map((i) => i.practicePatientId).filter((id) => !done.has(id));
  plan.onReport?.(report);
  if (failed.length > 0 || notSent.length > 0)
    throw withReport(new PartialSubmissionError(all, failed, notSent), report);
  return withReport(all, report);
}

/**
 * Sorts the invites by what the ledger holds for each patient: accepted with the same record
 * (returned as their jobs, not sent), changed since accepted (reported; sent with `resendChanged`),
 * of unknown outcome (reported; resent per batch with `resendUnknown`), or to send.
 */
async function planWithLedger<T extends { practicePatientId: string }>(
  plan: BulkPlan<T>,
  ledger: NonNullable<BulkPlan<T>['ledger']>,
  report: InvitationReport,
  results: BatchSubmission[],
  failed: Failure[],
): Promise<{ fresh: T[]; resends: Task<T>[]; accepted: Set<string> }> {
  const known = await ledger.ledger.patients(ledger.practiceId, ids(plan.items));
  const batchKeys = [...new Set([...known.values()].map((p) => p.batchKey))];
  const batches = batchKeys.length > 0 ? await ledger.ledger.batches(batchKeys) : new Map();
  const fresh: T[] = [];
  const alreadyIn = new Map<string, string[]>(); // accepted batch → ids of this call
  const unknownIn = new Map<string, T[]>(); // unknown batch → invites of this call
  for (const item of plan.items) {
    const record: LedgerPatient | undefined = known.get(item.practicePatientId);
    if (!record || record.state === 'rejected') {
      fresh.push(item);
    } else if (record.state === 'accepted') {
      const changed =
        record.recordHash !== undefined && record.recordHash !== inviteRecordHash(item);
      if (!changed) {
        report.alreadyAccepted++;
        alreadyIn.set(record.batchKey, [
          ...(alreadyIn.get(record.batchKey) ?? []),
          item.practicePatientId,
        ]);
        continue;
      }
      const batch: LedgerBatch | undefined = batches.get(record.batchKey);
      report.changed.push({
        practicePatientId: item.practicePatientId,
        ...(batch?.batchId !== undefined ? { acceptedBatchId: batch.batchId } : {}),
        ...(batch?.submission ? { acceptedDataJobId: batch.submission.dataJobId } : {}),
        resent: ledger.resendChanged,
      });
      if (ledger.resendChanged) fresh.push(item);
    } else {
      unknownIn.set(record.batchKey, [...(unknownIn.get(record.batchKey) ?? []), item]);
    }
  }
  // Their jobs (an unknown outcome an operator settled as accepted has none).
  for (const [key, patientIds] of alreadyIn) {
    const batch: LedgerBatch | undefined = batches.get(key);
    if (batch?.submission) results.push(fromLedger(batch, patientIds));
  }
  const resends: Task<T>[] = [];
  for (const [key, items] of unknownIn) {
    const batch: LedgerBatch | undefined = batches.get(key);
    if (ledger.resendUnknown && batch)
      resends.push({
        index: 0,
        items,
        resend: { batchKey: key, batchId: batch.batchId, attempts: batch.attempts },
      });
    else
      failed.push(
        unknownOutcome(
          batch?.batchId,
          ids(items),
          'sent by an earlier run, outcome never recorded',
        ),
      );
  }
  const accepted = new Set([...alreadyIn.values()].flat());
  return { fresh, resends, accepted };
}

/**
 * Sends `tasks` with bounded concurrency; stops starting new ones once one fails (what the ledger
 * reports as unknown or taken by another worker is not a failure of this call).
 */
async function runPool<T extends { practicePatientId: string }>(
  tasks: Task<T>[],
  plan: Pick<BulkPlan<T>, 'concurrency' | 'onProgress' | 'signal' | 'items'>,
  send: (t: Task<T>) => Promise<BatchSubmission>,
  failed: Failure[],
  fromLedger: BatchSubmission[],
): Promise<BatchSubmission[]> {
  const accepted: (BatchSubmission | undefined)[] = new Array(tasks.length);
  const total = tasks.length + fromLedger.length;
  let stopped = false;
  let next = 0;
  let done = fromLedger.length;
  let submitted = fromLedger.reduce((n, r) => n + r.practicePatientIds.length, 0);
  const worker = async (): Promise<void> => {
    while (next < tasks.length && !stopped && !plan.signal?.aborted) {
      const task = tasks[next++] as Task<T>;
      try {
        const submission = await send(task);
        accepted[task.index] = submission;
        submitted += submission.practicePatientIds.length;
      } catch (error) {
        stopped = true;
        const e =
          error instanceof MedfusionError ? error : new MedfusionError('unexpected failure');
        const batchId = (e as { batchId?: string }).batchId ?? task.resend?.batchId;
        failed.push({
          practicePatientIds: ids(task.items),
          ...(batchId ? { batchId } : {}),
          error: e,
        });
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
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, tasks.length) }, worker));
  return accepted.filter((s): s is BatchSubmission => s !== undefined);
}

const ids = (items: readonly { practicePatientId: string }[]): string[] =>
  items.map((i) => i.practicePatientId);

/** The accepted batch `batch`, as the job of the patients of this call it holds. */
function fromLedger(batch: LedgerBatch, patientIds: string[]): BatchSubmission {
  const s = batch.submission as NonNullable<LedgerBatch['submission']>;
  return {
    dataJobId: s.dataJobId,
    statusUrl: s.statusUrl,
    ...(batch.batchId !== undefined ? { batchId: batch.batchId } : {}),
    ...(s.messageId !== undefined ? { messageId: s.messageId } : {}),
    practicePatientIds: patientIds,
  };
}

/** A submission of nobody: every patient of a batch was claimed by another worker. */
const emptySubmission = (): BatchSubmission => ({
  dataJobId: '',
  statusUrl: '',
  practicePatientIds: [],
});

/** Patients the ledger cannot vouch for: reported with their `BatchId`, never resent on their own. */
function unknownOutcome(batchId: string | undefined, patientIds: string[], why: string): Failure {
  const error = new SubmissionOutcomeUnknownError(
    batchId,
    patientIds,
    new MedfusionError(`Invitation ledger: ${why}`),
  );
  return { practicePatientIds: patientIds, ...(batchId !== undefined ? { batchId } : {}), error };
}

/** Attaches the report, not enumerable (it holds practice patient ids). */
function withReport<V extends object>(
  value: V,
  report: InvitationReport,
): V & { report: InvitationReport } {
  Object.defineProperty(value, 'report', { value: report, enumerable: false });
  return value as V & { report: InvitationReport };
}
