/** What the file-backed stores (checkpoint, invitation ledger) check before their first write. */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { StateStoreError, safeCause } from './errors';

/**
 * The directory of `path` exists and is writable, or a `StateStoreError` for `operation` with the
 * errno code: a wrong path fails before any request, not at the first save after a processed page.
 */
export async function checkWritableDirectory(path: string, operation: string): Promise<void> {
  const dir = dirname(path);
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    await fs.access(dir, fsConstants.W_OK);
  } catch (error) {
    throw new StateStoreError(operation, safeCause(error));
  }
}
