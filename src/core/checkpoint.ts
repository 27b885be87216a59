/**
 * Where `sync` keeps the feed cursor between runs. The cursor is saved only after a page was
 * processed, so a crash re-delivers at most the page in flight (at-least-once), never skips one.
 */
import { promises as fs } from 'node:fs';
import { StateStoreError, safeCause } from './errors';
import { checkWritableDirectory } from './files';
import { dirname, join, basename } from 'node:path';
import { randomUUID } from 'node:crypto';

/** A place to load and save the sync cursor. Implement it over your database to keep it transactional. */
export interface CheckpointStore {
  /** The saved cursor, or `undefined` to start at the beginning of the feed. */
  load(): Promise<string | undefined>;
  /** Saves `cursor`; must be durable when the promise resolves. */
  save(cursor: string): Promise<void>;
  /**
   * Optional: takes this practice's checkpoint for one run (a lease). When a store has it, `sync()`
   * calls it before the first request, moves the cursor through the run, and ends the run at the
   * end. `PostgresCheckpointStore` implements it; see docs/durable-state.md.
   */
  begin?(context: CheckpointContext): Promise<CheckpointRun<unknown>>;
}

/** A store whose runs can commit a page's own writes with the cursor: what exactly-once needs. */
export interface TransactionalCheckpointStore<Tx> extends CheckpointStore {
  begin(context: CheckpointContext): Promise<CheckpointRun<Tx>>;
}

/** What `sync()` tells a store when it begins a run. */
export interface CheckpointContext {
  /** The client's practice id: a store keyed to another practice refuses the run. */
  practiceId: string;
  /** The client's API version (`v1`, `v2`, `v3`). */
  apiVersion: string;
  /** The caller's signal: it stops a wait for the lease. */
  signal?: AbortSignal;
}

/**
 * One run of a sync over a leased checkpoint. The lease is renewed while the run lasts; once it is
 * lost, `signal` fires, `ensureHeld` and `commit` reject with `LeaseLostError` and the cursor never
 * moves again for this run.
 */
export interface CheckpointRun<Tx> {
  /** The cursor saved when the run began (`undefined`: the start of the feed). */
  readonly cursor: string | undefined;
  /** Fires when the lease is lost: requests in flight are cancelled. */
  readonly signal: AbortSignal;
  /** Called before every request: resolves while the lease is certainly held, else rejects. */
  ensureHeld(): Promise<void>;
  /**
   * Moves the cursor, fenced by the run's token. With `apply`, runs it first inside the same
   * transaction, so the page's writes and the cursor commit together or not at all. When
   * `control.signal` fires while `apply` runs, the transaction is abandoned (rolled back, its
   * connection closed) and the promise rejects at once, whatever `apply` does later.
   */
  commit(
    cursor: string | undefined,
    apply?: (transaction: Tx) => Promise<void>,
    control?: CommitControl,
  ): Promise<void>;
  /** Releases the lease (stops renewing it). Safe to call twice, and after a loss. */
  end(): Promise<void>;
}

/** How `sync()` bounds one commit. */
export interface CommitControl {
  /** Fires when the run is aborted, its lease lost, or the page's deadline passed. */
  signal?: AbortSignal;
}

/** Keeps the cursor in memory: for tests and one-shot scripts. */
export class MemoryCheckpointStore implements CheckpointStore {
  /** Every cursor saved, in order (handy in tests). */
  readonly history: string[] = [];

  constructor(private cursor?: string) {}

  /**
   * Never throws.
   * @example
   * const cursor = await new MemoryCheckpointStore('1600364930000,0').load();
   */
  async load(): Promise<string | undefined> {
    return this.cursor;
  }

  /**
   * Never throws.
   * @example
   * await store.save('1600364930000,0'); store.history; // ['1600364930000,0']
   */
  async save(cursor: string): Promise<void> {
    this.cursor = cursor;
    this.history.push(cursor);
  }
}

/**
 * Keeps the cursor in a file, written atomically: a temporary file in the same directory is
 * written and fsync'd, then renamed over the old one, and the directory fsync'd. A kill at any
 * instant leaves either the old cursor or the new one, never a torn file. `load()` (called by
 * `sync()` before its first request) checks that the directory exists and is writable, so a wrong
 * path fails before a page is processed; file-system failures are `StateStoreError`s.
 */
export class FileCheckpointStore implements CheckpointStore {
  /** @param path The cursor file; its directory must exist. */
  constructor(readonly path: string) {}

  /**
   * @throws {StateStoreError} the directory is missing or not writable (`checkpoint.open`), or the file cannot be read.
   * @example
   * const cursor = await new FileCheckpointStore('/var/lib/acme/medfusion.cursor').load();
   */
  async load(): Promise<string | undefined> {
    await checkWritableDirectory(this.path, 'checkpoint.open');
    try {
      const text = (await fs.readFile(this.path, 'utf8')).trim();
      return text === '' ? undefined : text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateStoreError('checkpoint.load', safeCause(error));
    }
  }

  /**
   * @throws {StateStoreError} the file could not be written (`checkpoint.save`, with its errno code).
   * @example
   * await store.save(page.cursor);
   */
  async save(cursor: string): Promise<void> {
    try {
      await this.write(cursor);
    } catch (error) {
      throw new StateStoreError('checkpoint.save', safeCause(error));
    }
  }

  private async write(cursor: string): Promise<void> {
    const dir = dirname(this.path);
    const tmp = join(dir, `.${basename(this.path)}.${randomUUID()}.tmp`);
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${cursor}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(tmp, this.path);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
