/**
 * Incremental sync with a checkpoint: the cursor is saved only after `onPage` resolved for the page
 * it follows, so a crash re-delivers at most one page (at-least-once) and never skips one.
 */
import type { CheckpointStore } from './checkpoint';
import type { PagePromise } from './page-promise';
import type { PatientPage } from './patient-page';
import type { Patient } from '../models/patient';

/** Progress after each page. */
export interface SyncProgress {
  /** Pages processed so far in this run. */
  pages: number;
  /** Patient records delivered so far in this run. */
  patients: number;
  /** The cursor saved last. */
  cursor?: string;
}

/** Options of `client.patients.sync`. */
export interface SyncOptions {
  /** Where the cursor lives between runs. */
  checkpoint: CheckpointStore;
  /** Processes one page; make it idempotent (upsert by `practicePatientId`): a page may come twice after a crash. */
  onPage: (page: PatientPage) => Promise<void>;
  /** Stops between pages (and during any wait) when it fires. */
  signal?: AbortSignal;
  /** Called after each page, once its cursor was saved. */
  onProgress?: (progress: SyncProgress) => void;
  /** Fetch the next page while `onPage` runs. @default true */
  prefetch?: boolean;
  /** Patients per page, 1..100. @default 100 */
  max?: number;
}

/** What a sync did. */
export interface SyncResult {
  /** Pages fetched in this run (an empty closing page included). */
  pages: number;
  /** Patient records delivered to `onPage`. */
  patients: number;
  /** The cursor saved last (the next run starts there). */
  cursor?: string;
}

export async function runSync(
  pagesFrom: (since: string | undefined) => PagePromise<PatientPage, Patient>,
  opts: SyncOptions,
): Promise<SyncResult> {
  let cursor = await opts.checkpoint.load();
  let pages = 0;
  let patients = 0;
  for await (const page of pagesFrom(cursor).pages()) {
    if (page.patients.length > 0) await opts.onPage(page);
    pages++;
    patients += page.patients.length;
    if (page.cursor !== undefined && page.cursor !== cursor) {
      await opts.checkpoint.save(page.cursor);
      cursor = page.cursor;
    }
    opts.onProgress?.({ pages, patients, ...(cursor !== undefined ? { cursor } : {}) });
  }
  return { pages, patients, ...(cursor !== undefined ? { cursor } : {}) };
}
