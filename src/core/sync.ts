/**
 * Incremental sync with a checkpoint. At-least-once (the default): the cursor is saved only after
 * `onPage` resolved for the page it follows, so a crash re-delivers at most one page and never skips
 * one. Exactly-once: `onPage` writes through the store's transaction, which also moves the cursor, so
 * a crash at any instant leaves each page applied once. A store with leases (`begin`) lets one worker
 * at a time sync a practice; see docs/durable-state.md.
 */
import { anySignal, untilAborted } from './abort';
import type { CheckpointRun, CheckpointStore, TransactionalCheckpointStore } from './checkpoint';
import { malformed, type CursorFormat } from './cursor';
import {
  CallbackTimeoutError,
  CursorError,
  LeaseLostError,
  PaginationLoopError,
  ValidationError,
  type CursorRule,
} from './errors';
import type { Instrumentation, OperationSpan } from './instrumentation';
import { MAX_TIMER_MS } from './limits';
import type { Logger } from './logger';
import { withLastResponse, type HasLastResponse } from '../models/response-info';
import type { PagePromise } from './page-promise';
import {
  recordsOf,
  type InvalidRecord,
  type InvalidRecordPolicy,
  type PatientPage,
} from './patient-page';
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
  /**
   * Aborts the run at once when it fires: a request in flight is cancelled and a callback still
   * running is no longer waited for (`sync()` rejects with `AbortError`; in exactly-once mode the
   * page's transaction is rolled back). The lease is released.
   */
  signal?: AbortSignal;
  /**
   * Stops the run gracefully when it fires: the page in hand is finished and its cursor saved, a page
   * being fetched is dropped, then `sync()` rejects with `AbortError`. What a worker's SIGTERM wants.
   */
  stopSignal?: AbortSignal;
  /**
   * The longest `onPage` (and each `onInvalidRecord`) may run, in ms; past it the page is abandoned
   * (not committed) and `sync()` rejects with `CallbackTimeoutError`. @default no limit
   */
  pageTimeoutMs?: number;
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
  /**
   * Pages delivered whose cursor could not be saved (at-least-once only): a page of patients without
   * a `Last-Timestamp`, or with one this run already sent. The next run reads them again. Exactly-once
   * never delivers such a page: it stops with a `CursorError` instead.
   */
  uncheckpointedPages: number;
}

/** The feed from a cursor; `beforeFetch` runs before every GET (the lease check). */
export type Feed = (
  since: string | undefined,
  control: { signal: AbortSignal; beforeFetch: () => Promise<void> },
) => PagePromise<PatientPage, Patient>;

/** What the client tells `runSync` about itself. */
export interface SyncContext {
  practiceId: string;
  apiVersion: string;
  cursorFormat: CursorFormat;
  logger: Logger;
  /** Counts pages and patients. */
  instrumentation?: Instrumentation;
  /** The run's span: its pages and patients so far. */
  span?: OperationSpan;
}

export async function runSync<Tx>(
  feed: Feed,
  opts: SyncOptions<Tx>,
  context: SyncContext,
): Promise<SyncResult> {
  const exactlyOnce = checkOptions(opts);
  const { practiceId, apiVersion } = context;
  const store = opts.checkpoint;
  const run: CheckpointRun<Tx> = store.begin
    ? ((await store.begin({
        practiceId,
        apiVersion,
        ...(opts.signal ? { signal: opts.signal } : {}),
      })) as CheckpointRun<Tx>)
    : await unleasedRun<Tx>(store);
  // `hard` ends everything at once; the feed also stops (between pages) on `stopSignal`.
  const hard = anySignal(opts.signal, run.signal);
  const feedSignal = anySignal(hard, opts.stopSignal);
  let cursor = run.cursor;
  /** Every cursor this run started from or moved to: a page back at one cannot be checkpointed. */
  const seen = new Set<string | undefined>([cursor]);
  let pages = 0;
  let patients = 0;
  let quarantined = 0;
  let uncheckpointedPages = 0;
  let last: PatientPage | undefined;
  try {
    if (cursor !== undefined && malformed(cursor, context.cursorFormat)) {
      throw new CursorError(
        'malformed',
        practiceId,
        "it is the practice's saved cursor: reset it (store.save, or medfusion-fleet reset-cursor)",
      );
    }
    for await (const page of feed(cursor, {
      signal: feedSignal,
      beforeFetch: () => run.ensureHeld(),
    }).pages()) {
      last = page;
      const hasRecords = recordsOf(page) > 0;
      const unsaved: CursorRule | undefined = !hasRecords
        ? undefined
        : page.cursor === undefined
          ? 'missing'
          : seen.has(page.cursor)
            ? 'repeated'
            : undefined;
      if (unsaved && exactlyOnce)
        throw unsaved === 'repeated'
          ? new PaginationLoopError(practiceId, UNSAVED_DETAIL)
          : new CursorError(unsaved, practiceId, UNSAVED_DETAIL);
      const moved = page.cursor !== undefined && !seen.has(page.cursor) ? page.cursor : undefined;
      let running: CallbackTimeoutError['callback'] = 'onInvalidRecord';
      await withDeadline(
        opts.pageTimeoutMs,
        () => running,
        hard,
        async (signal) => {
          // Set-aside records are handed over before the cursor moves past them.
          for (const record of page.invalidRecords ?? [])
            await untilAborted(opts.onInvalidRecord?.(record) ?? Promise.resolve(), signal);
          quarantined += page.invalidRecords?.length ?? 0;
          running = 'onPage';
          if (exactlyOnce) {
            const onPage = (opts as ExactlyOnceSyncOptions<Tx>).onPage;
            const apply = page.patients.length > 0 ? (tx: Tx) => onPage(page, tx) : undefined;
            if (apply || moved !== undefined)
              await untilAborted(run.commit(moved ?? cursor, apply, { signal }), signal);
          } else {
            if (page.patients.length > 0)
              await untilAborted((opts as AtLeastOnceSyncOptions).onPage(page), signal);
            if (moved !== undefined) await untilAborted(run.commit(moved), signal);
          }
        },
      );
      if (unsaved) {
        uncheckpointedPages++;
        context.logger.warn('medfusion page delivered without a cursor to save', {
          practiceId,
          rule: unsaved,
        });
      }
      if (moved !== undefined) {
        cursor = moved;
        seen.add(moved);
      }
      pages++;
      patients += page.patients.length;
      context.instrumentation?.add('medfusion.sync.pages', 1);
      context.instrumentation?.add('medfusion.sync.patients', page.patients.length);
      context.span?.set({
        'medfusion.sync.pages': pages,
        'medfusion.sync.patients': patients,
        'medfusion.sync.quarantined': quarantined,
        'medfusion.sync.uncheckpointed_pages': uncheckpointedPages,
      });
      opts.onProgress?.({ pages, patients, ...(cursor !== undefined ? { cursor } : {}) });
    }
  } catch (error) {
    // A request cancelled because the lease was lost reports the loss, not an abort.
    const reason: unknown = run.signal.reason;
    if (run.signal.aborted && reason instanceof LeaseLostError) throw reason;
    throw error;
  } finally {
    await run.end();
  }
  return withLastResponse(
    {
      pages,
      patients,
      quarantined,
      uncheckpointedPages,
      ...(cursor !== undefined ? { cursor } : {}),
    },
    last?.lastResponse,
  );
}

const UNSAVED_DETAIL =
  'exactly-once cannot checkpoint that page, so it was not delivered and nothing of it was committed';

/**
 * Runs one page's callbacks under `signal`, and under a deadline of `ms` when one is set: past it
 * they are abandoned with a {@link CallbackTimeoutError}.
 */
async function withDeadline(
  ms: number | undefined,
  running: () => CallbackTimeoutError['callback'],
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  if (ms === undefined) return work(signal);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new CallbackTimeoutError(running(), ms)), ms);
  try {
    await work(anySignal(signal, deadline.signal));
  } finally {
    clearTimeout(timer);
  }
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
  const timeout: unknown = opts.pageTimeoutMs;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' ||
      !Number.isInteger(timeout) ||
      timeout < 1 ||
      timeout > MAX_TIMER_MS)
  ) {
    throw new ValidationError('sync options', [
      { path: 'options.pageTimeoutMs', rule: `integer(1..${MAX_TIMER_MS})` },
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
