/**
 * The little of node-postgres this entry needs, as structural types: the user's own `pg.Pool` fits
 * them, and nothing here imports `pg` (an optional peer dependency).
 */
import { createHash } from 'node:crypto';
import { StateStoreError, safeCause } from '../core/errors';

/** What a query returns: the rows and how many were touched. */
export interface SqlResult {
  /** The rows returned. */
  rows: unknown[];
  /** Rows inserted, updated or deleted (or returned). */
  rowCount: number | null;
}

/** A statement with its values, named to be prepared once per connection. */
export interface SqlQuery {
  /** The prepared statement's name. */
  name: string;
  /** Its text. */
  text: string;
  /** Its values, bound to `$1`, `$2`, … */
  values: unknown[];
}

/** Anything that runs a parameterised query: a `pg.Pool`, a `pg.Client`, a `pg.PoolClient`. */
export interface SqlClient {
  /** Runs one parameterised statement (`$1`, `$2`, … bound to `values`). */
  query(text: string, values?: unknown[]): Promise<SqlResult>;
  /** Runs a named statement, prepared once per connection (node-postgres's query config). */
  query(query: SqlQuery): Promise<SqlResult>;
}

/** A connection taken from a pool: `pg.PoolClient`. */
export interface SqlPoolClient extends SqlClient {
  /** Gives the connection back to the pool (`true` or an error: destroy it instead). */
  release(error?: Error | boolean): void;
  /** Listens for the connection's errors (a server that ended the session). */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Stops listening. */
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool: `pg.Pool`. `C` is what it hands out, and what exactly-once `onPage` gets. */
export interface SqlPool<C extends SqlPoolClient = SqlPoolClient> extends SqlClient {
  /** Takes a connection from the pool, for a transaction. */
  connect(): Promise<C>;
}

/** The default schema of the SDK's tables. */
export const DEFAULT_SCHEMA = 'medfusion';

/** A schema name, checked and quoted: lower-case letters, digits and `_`, at most 63. */
export function schemaIdent(schema: string): string {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StateStoreError('options.schema', { name: 'InvalidIdentifier' });
  }
  return `"${schema}"`;
}

/**
 * Runs one of our statements; a failure becomes a `StateStoreError` carrying its SQLSTATE only.
 * `prepared`: the statement is named (after a digest of its text) and prepared once per connection,
 * for the statements every job runs (the server then plans it once, not at every call).
 */
export async function run(
  client: SqlClient,
  operation: string,
  text: string,
  values: unknown[] = [],
  prepared = false,
): Promise<SqlResult> {
  try {
    return prepared
      ? await client.query({ name: statementName(text), text, values })
      : await client.query(text, values);
  } catch (error) {
    throw new StateStoreError(operation, safeCause(error));
  }
}

const names = new Map<string, string>();

/** A prepared statement's name: the same text always gets the same one. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `medfusion_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Takes a connection from the pool; a failure becomes a `StateStoreError`. */
export async function connect<C extends SqlPoolClient>(
  pool: SqlPool<C>,
  operation: string,
): Promise<C> {
  try {
    return await pool.connect();
  } catch (error) {
    throw new StateStoreError(operation, safeCause(error));
  }
}

/**
 * Runs `work` in one transaction that first takes the advisory lock named `lockKey`, so that
 * concurrent callers (every worker at start-up) run one after the other. Rolls back on failure.
 */
export async function lockedTransaction(
  pool: SqlPool,
  operation: string,
  lockKey: string,
  work: (client: SqlPoolClient) => Promise<void>,
): Promise<void> {
  const client = await connect(pool, operation);
  try {
    await run(client, operation, 'BEGIN');
    await run(client, operation, 'SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
    await work(client);
    await run(client, operation, 'COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
