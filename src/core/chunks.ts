/** Runs chunks through `send` with bounded concurrency; stops starting new ones after a failure. */
import { MedfusionError, PartialSubmissionError } from './errors';
import type { BatchSubmission } from '../models/batch';

/** Progress of `invitePatients`, after each chunk. */
export interface InviteProgress {
  /** Batches finished (accepted or failed). */
  chunksDone: number;
  /** Batches in the call. */
  chunksTotal: number;
  /** Patients in accepted batches. */
  patientsSubmitted: number;
  /** Patients in the call. */
  patientsTotal: number;
}

export async function sendChunks<T extends { practicePatientId: string }>(
  items: readonly T[],
  opts: {
    batchSize: number;
    concurrency: number;
    onProgress?: (p: InviteProgress) => void;
    signal?: AbortSignal;
  },
  send: (chunk: T[]) => Promise<BatchSubmission>,
): Promise<BatchSubmission[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += opts.batchSize)
    chunks.push(items.slice(i, i + opts.batchSize));
  const results: (BatchSubmission | undefined)[] = new Array(chunks.length);
  const failed: PartialSubmissionError['failed'] = [];
  let next = 0;
  let done = 0;
  let submitted = 0;

  const worker = async (): Promise<void> => {
    while (next < chunks.length && failed.length === 0 && !opts.signal?.aborted) {
      const index = next++;
      const chunk = chunks[index] as T[];
      try {
        const submission = await send(chunk);
        results[index] = submission;
        submitted += chunk.length;
      } catch (error) {
        const e =
          error instanceof MedfusionError ? error : new MedfusionError('unexpected failure');
        const batchId = (e as { batchId?: string }).batchId;
        failed.push({
          practicePatientIds: chunk.map((c) => c.practicePatientId),
          ...(batchId ? { batchId } : {}),
          error: e,
        });
      }
      done++;
      opts.onProgress?.({
        chunksDone: done,
        chunksTotal: chunks.length,
        patientsSubmitted: submitted,
        patientsTotal: items.length,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, chunks.length) }, worker));

  const accepted = results.filter((r): r is BatchSubmission => r !== undefined);
  if (failed.length > 0 || accepted.length < chunks.length) {
    const sentIds = new Set([
      ...accepted.flatMap((s) => s.practicePatientIds),
      ...failed.flatMap((f) => f.practicePatientIds),
    ]);
    const notSent = items.map((i) => i.practicePatientId).filter((id) => !sentIds.has(id));
    throw new PartialSubmissionError(accepted, failed, notSent);
  }
  return accepted;
}
