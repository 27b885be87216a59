/**
 * Incremental sync with a checkpoint. At-least-once (the default): the cursor is saved only after
 * `onPage` resolved for the page it follows, so a crash re-delivers at most one page and never skips
 * one. Exactly-once: `onPage` writes through the store's transaction, which also moves the cursor, so
 * a crash at any instant leaves each page applied once. A store with leases (`begin`) lets one worker
 * at a time sync a practice; see docs/durable-state.md.
 */
import type { CheckpointRun, CheckpointStore, TransactionalCheckpointStore } from './checkpoint';
import { LeaseLostError, ValidationError } from './errors';
import { withLastResponse, type HasLastResponse } from './response-info';
import type { PagePromise } from './page-promise';
import type { InvalidRecord, InvalidRecordPolicy, PatientPage } from './patient-page';
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

/** What every sync takes, whatever its delivery guarantee. */
export interface SyncOptionsBase {
  /** Stops between pages (and during any wait) when it fires. */
  signal?: AbortSignal;
  /** Called after each page, once its cursor was saved. */
  onProgress?: (progress: SyncProgress) => void;
  /** Fetch the next page while `onPage` runs. @default true */
  prefetch?: boolean;
  /** Patients per page, 1..100. @default 100 */
  max?: number;
  /**
   * A record that breaks the model's rules: `strict` (default) stops the sync at its page with a
   * `ValidationError`; `quarantine` delivers the page's valid patients, hands each invalid record to
   * `onInvalidRecord`, and moves the cursor only after that resolved. @default 'strict'
   */
  invalidRecords?: InvalidRecordPolicy;
  /**
   * Receives each record set aside in `quarantine` mode (required there): its position, the rules it
   * broke and its `practicePatientId`. After a crash it may be handed over again, like its page.
   */
  onInvalidRecord?: (record: InvalidRecord) => Promise<void>;
  /** Keep each invalid record's raw `<Patient>` element in `record.raw` (PHI). @default false */
  includeRawRecord?: boolean;
}

/** At-least-once (the default): `onPage` writes anywhere; after a crash a page may come twice. */
export interface AtLeastOnceSyncOptions extends SyncOptionsBase {
  /** @default 'at-least-once' */
  delivery?: 'at-least-once';
  /** Where the cursor lives between runs. */
  checkpoint: CheckpointStore;
  /** Processes one page; make it idempotent (upsert by `practicePatientId`): a page may come twice after a crash. */
  onPage: (page: PatientPage) => Promise<void>;
}

/**
 * Exactly-once: `onPage` gets the store's open transaction and writes the page through it; the
 * cursor moves in the same transaction. Needs a transactional store (`PostgresCheckpointStore`).
 */
export interface ExactlyOnceSyncOptions<Tx> extends SyncOptionsBase {
  /** Write each page through the store's transaction, with the cursor. */
  delivery: 'exactly-once';
  /** A store that commits the page's writes with the cursor. */
  checkpoint: TransactionalCheckpointStore<Tx>;
  /**
   * Writes one page through `transaction` (for `PostgresCheckpointStore`, a `pg` client inside
   * `BEGIN`). Do not commit or roll back yourself; throw to roll the page back.
   */
  onPage: (page: PatientPage, transaction: Tx) => Promise<void>;
}

/** Options of `client.patients.sync`: at-least-once (default) or exactly-once. */
export type SyncOptions<Tx = unknown> = AtLeastOnceSyncOptions | ExactlyOnceSyncOptions<Tx>;

/** What a sync did; `lastResponse` is the answer of its last page. */
export interface SyncResult extends HasLastResponse {
  /** Pages fetched in this run (an empty closing page included). */
  pages: number;
  /** Patient records delivered to `onPage`. */
  patients: number;
  /** The cursor saved last (the next run starts there). */
  cursor?: string;
  /** Invalid records handed to `onInvalidRecord` (quarantine mode). */
  quarantined: number;
}

/** The feed from a cursor; `beforeFetch` runs before every GET (the lease check). */
export type Feed = (
  since: string | undefined,
  control: { signal: AbortSignal; beforeFetch: () => Promise<void> },
) => PagePromise<PatientPage, Patient>;

export async function runSync<Tx>(
  feed: Feed,
  opts: SyncOptions<Tx>,
  context: { practiceId: string; apiVersion: string },
): Promise<SyncResult> {
  const exactlyOnce = checkOptions(opts);
  const store = opts.checkpoint;
  const run: CheckpointRun<Tx> = store.begin
    ? ((await store.begin({
        ...context,
        ...(opts.signal ? { signal: opts.signal } : {}),
      })) as CheckpointRun<Tx>)
    : await unleasedRun<Tx>(store);
  const stop = linked(opts.signal, run.signal);
  let cursor = run.cursor;
  let pages = 0;
  let patients = 0;
  let quarantined = 0;
  let last: PatientPage | undefined;
  try {
    for await (const page of feed(cursor, {
      signal: stop.signal,
      beforeFetch: () => run.ensureHeld(),
    }).pages()) {
      last = page;
      const moved = page.cursor !== undefined && page.cursor !== cursor ? page.cursor : undefined;
      const hasPatients = page.patients.length > 0;
      // Set-aside records are handed over before the cursor moves past them.
      for (const record of page.invalidRecords ?? []) await opts.onInvalidRecord?.(record);
      quarantined += page.invalidRecords?.length ?? 0;
      if (exactlyOnce) {
        const onPage = (opts as ExactlyOnceSyncOptions<Tx>).onPage;
        if (hasPatients || moved !== undefined)
          await run.commit(moved ?? cursor, hasPatients ? (tx) => onPage(page, tx) : undefined);
      } else {
        if (hasPatients) await (opts as AtLeastOnceSyncOptions).onPage(page);
        if (moved !== undefined) await run.commit(moved);
      }
      if (moved !== undefined) cursor = moved;
      pages++;
      patients += page.patients.length;
      opts.onProgress?.({ pages, patients, ...(cursor !== undefined ? { cursor } : {}) });
    }
  } catch (error) {
    // A request cancelled because the lease was lost reports the loss, not an abort.
    const reason: unknown = run.signal.reason;
    if (run.signal.aborted && reason instanceof LeaseLostError) throw reason;
    throw error;
  } finally {
    stop.dispose();
    await run.end();
  }
  return withLastResponse(
    { pages, patients, quarantined, ...(cursor !== undefined ? { cursor } : {}) },
    last?.lastResponse,
  );
}

/** Options a type cannot hold for JavaScript callers; returns whether the sync is exactly-once. */
function checkOptions<Tx>(opts: SyncOptions<Tx>): boolean {
  const delivery: unknown = opts.delivery;
  if (delivery !== undefined && delivery !== 'at-least-once' && delivery !== 'exactly-once') {
    throw new ValidationError('sync options', [
      { path: 'options.delivery', rule: "oneOf('at-least-once', 'exactly-once')" },
    ]);
  }
  if (opts.invalidRecords === 'quarantine' && typeof opts.onInvalidRecord !== 'function') {
    throw new ValidationError('sync options', [
      { path: 'options.onInvalidRecord', rule: "required with invalidRecords: 'quarantine'" },
    ]);
  }
  if (delivery === 'exactly-once' && typeof opts.checkpoint.begin !== 'function') {
    throw new ValidationError('sync options', [
      { path: 'options.checkpoint', rule: 'transactional store (begin) for exactly-once' },
    ]);
  }
  return delivery === 'exactly-once';
}

/** A plain store as a run: no lease, no transaction; the cursor saved with `save`. */
async function unleasedRun<Tx>(store: CheckpointStore): Promise<CheckpointRun<Tx>> {
  const cursor = await store.load();
  return {
    cursor,
    signal: new AbortController().signal,
    ensureHeld: async () => undefined,
    commit: async (next) => {
      if (next !== undefined) await store.save(next);
    },
    end: async () => undefined,
  };
}

/** A signal that fires when either fires; `dispose` removes the listeners. */
function linked(
  a: AbortSignal | undefined,
  b: AbortSignal,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const sources = [a, b].filter((s): s is AbortSignal => s !== undefined);
  const onAbort = (): void => controller.abort();
  for (const s of sources) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => sources.forEach((s) => s.removeEventListener('abort', onAbort)),
  };
}
