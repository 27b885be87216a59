/**
 * Where `sync` keeps the feed cursor between runs. The cursor is saved only after a page was
 * processed, so a crash re-delivers at most the page in flight (at-least-once), never skips one.
 */
import { promises as fs } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomUUID } from 'node:crypto';

/** A place to load and save the sync cursor. Implement it over your database to keep it transactional. */
export interface CheckpointStore {
  /** The saved cursor, or `undefined` to start at the beginning of the feed. */
  load(): Promise<string | undefined>;
  /** Saves `cursor`; must be durable when the promise resolves. */
  save(cursor: string): Promise<void>;
}

/** Keeps the cursor in memory: for tests and one-shot scripts. */
export class MemoryCheckpointStore implements CheckpointStore {
  /** Every cursor saved, in order (handy in tests). */
  readonly history: string[] = [];

  constructor(private cursor?: string) {}

  async load(): Promise<string | undefined> {
    return this.cursor;
  }

  async save(cursor: string): Promise<void> {
    this.cursor = cursor;
    this.history.push(cursor);
  }
}

/**
 * Keeps the cursor in a file, written atomically: a temporary file in the same directory is
 * written and fsync'd, then renamed over the old one, and the directory fsync'd. A kill at any
 * instant leaves either the old cursor or the new one, never a torn file.
 */
export class FileCheckpointStore implements CheckpointStore {
  /** @param path The cursor file; its directory must exist. */
  constructor(readonly path: string) {}

  async load(): Promise<string | undefined> {
    try {
      const text = (await fs.readFile(this.path, 'utf8')).trim();
      return text === '' ? undefined : text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(cursor: string): Promise<void> {
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
