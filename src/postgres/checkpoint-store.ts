/**
 * A checkpoint per practice in PostgreSQL, with a lease and a fencing token, so that one worker at a
 * time syncs a practice and a worker that stalled past its lease can never move the cursor.
 *
 * - `begin()` takes the lease: an `INSERT … ON CONFLICT DO UPDATE … WHERE` the lease is free or
 *   expired, which increments the fencing token (`fence`) and returns the cursor in one statement.
 * - While the run lasts, the lease is renewed every `renewEveryMs`; every cursor move is an
 *   `UPDATE … WHERE fence = <ours>`: after a takeover it matches no row and is refused with
 *   `LeaseLostError`, whatever the clocks say. Expiry is judged on the database's clock only. An
 *   operator's `save()` increments the fence too, so it fences out every earlier holder.
 * - Before each request the run checks it is still inside its lease by the local monotonic clock
 *   (with a margin); a process resumed after a stall re-checks with the database before any GET.
 * - Exactly-once: the page's writes (`apply`) and the fenced cursor move share one transaction.
 *   An aborted run (caller, lease lost, page deadline) closes that transaction's connection at once,
 *   so the server rolls it back and a late write of `apply` fails; a transaction idle for longer
 *   than the lease is ended by the server, and the run then gives its lease up (renewals stop).
 * - A pool of one connection is enough: nothing waits for a second connection while holding one.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type {
  CheckpointContext,
  CheckpointRun,
  TransactionalCheckpointStore,
} from '../core/checkpoint';
import { anySignal, untilAborted } from '../core/abort';
import type { CommitControl } from '../core/checkpoint';
import { malformed, type CursorFormat } from '../core/cursor';
import {
  AbortError,
  abortReasonOf,
  ConfigurationError,
  CursorError,
  LeaseHeldError,
  LeaseLostError,
  ValidationError,
} from '../core/errors';
import { MAX_TIMER_MS } from '../core/limits';
import { sleep } from '../internal/sleep';
import { migrate } from './schema';
import { connect, DEFAULT_SCHEMA, run, schemaIdent, type SqlPool, type SqlPoolClient } from './sql';

/** The practice's row: `$1`-`$3` are practice id, environment and API version (`ids`). */
const ROW = 'practice_id = $1 AND environment = $2 AND api_version = $3';
/** The row, while it is still this run's lease: `$4` is the run's fencing token. */
const OURS = `${ROW} AND fence = $4::bigint`;

/** Options of {@link PostgresCheckpointStore}. */
export interface PostgresCheckpointStoreOptions<C extends SqlPoolClient> {
  /** Your `pg.Pool` (node-postgres 8.x). The store never ends it. */
  pool: SqlPool<C>;
  /** The practice whose cursor this is; `sync()` refuses a client of another practice. */
  practiceId: string;
  /** A label of the Medfusion environment (`production`, `demo`, `sandbox`…), part of the key. @default 'production' */
  environment?: string;
  /** The client's API version, part of the key (cursors are per feed). @default 'v2' */
  apiVersion?: string;
  /** Schema of the SDK's tables (see `migrate`). @default 'medfusion' */
  schema?: string;
  /** How long a lease lasts unless renewed, in ms. A crashed worker's lease frees after this. @default 30000 */
  leaseMs?: number;
  /** How often a running sync renews its lease, in ms. @default leaseMs / 3 */
  renewEveryMs?: number;
  /** How long `sync()` waits for a lease held by another worker; 0 fails fast with `LeaseHeldError`. @default 0 */
  waitForLeaseMs?: number;
  /** This worker's name in the `holder` column and in `LeaseHeldError`. @default `<hostname>:<pid>:<random>` */
  holder?: string;
  /** How a cursor given to `save()` is checked (see the client's `cursorFormat`). @default 'medfusion' */
  cursorFormat?: CursorFormat;
}

/** A checkpoint row as the database holds it (for operators and tests). */
export interface CheckpointRow {
  /** The saved cursor. */
  cursor: string | undefined;
  /** The fencing token of the latest lease (0: never leased). */
  fence: string;
  /** Who holds the lease, when someone does. */
  holder: string | undefined;
  /** When that lease expires unless renewed. */
  leaseExpiresAt: Date | undefined;
  /** When its holder last renewed it (or took it). */
  leaseRenewedAt: Date | undefined;
  /** When the row last changed. */
  updatedAt: Date;
}

/** An integer option in `min..MAX_TIMER_MS`, or `fallback`; anything else is a `ConfigurationError`. */
const duration = (option: string, v: unknown, fallback: number, min: number): number => {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_TIMER_MS) return v;
  throw new ConfigurationError(
    option,
    `must be an integer from ${min} to ${MAX_TIMER_MS} (ms)`,
    'PostgresCheckpointStore',
  );
};

/**
 * `CheckpointStore` in PostgreSQL with a lease per practice and fencing. Run {@link migrate} (or
 * `store.migrate()`) once first.
 *
 * `C` is the type of the transaction `onPage` gets in exactly-once mode: pass `pg.PoolClient`
 * (`new PostgresCheckpointStore<PoolClient>({ … })`) for node-postgres's own typing; the default is
 * the structural {@link SqlPoolClient}.
 *
 * @example
 * const store = new PostgresCheckpointStore<PoolClient>({ pool, practiceId });
 * await client.patients.sync({
 *   delivery: 'exactly-once',
 *   checkpoint: store,
 *   onPage: async (page, tx) => {
 *     for (const p of page.patients) await tx.query('INSERT INTO changes VALUES ($1)', [p.practicePatientId]);
 *   },
 * });
 */
export class PostgresCheckpointStore<
  C extends SqlPoolClient = SqlPoolClient,
> implements TransactionalCheckpointStore<C> {
  /** The practice, environment and API version this row belongs to, as shown in errors. */
  readonly key: string;
  /** This worker's name in the lease. */
  readonly holder: string;
  private readonly pool: SqlPool<C>;
  private readonly table: string;
  private readonly schema: string;
  private readonly ids: [string, string, string];
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly waitForLeaseMs: number;
  private readonly cursorFormat: CursorFormat;

  /** @throws {ConfigurationError} when an option is wrong, naming it. */
  constructor(options: PostgresCheckpointStoreOptions<C>) {
    const practiceId = options.practiceId;
    if (typeof practiceId !== 'string' || practiceId.trim() === '') {
      throw new ConfigurationError(
        'practiceId',
        'must be a non-empty string',
        'PostgresCheckpointStore',
      );
    }
    this.pool = options.pool;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.table = `${schemaIdent(this.schema)}.checkpoints`;
    const environment = options.environment ?? 'production';
    const apiVersion = options.apiVersion ?? 'v2';
    this.ids = [practiceId, environment, apiVersion];
    this.key = `${practiceId}/${environment}/${apiVersion}`;
    this.leaseMs = duration('leaseMs', options.leaseMs, 30_000, 100);
    this.renewEveryMs = duration(
      'renewEveryMs',
      options.renewEveryMs,
      Math.floor(this.leaseMs / 3),
      1,
    );
    if (this.renewEveryMs >= this.leaseMs)
      throw new ConfigurationError(
        'renewEveryMs',
        'must be less than leaseMs',
        'PostgresCheckpointStore',
      );
    this.waitForLeaseMs = duration('waitForLeaseMs', options.waitForLeaseMs, 0, 0);
    this.holder = options.holder ?? defaultHolder();
    const format: unknown = options.cursorFormat ?? 'medfusion';
    if (format !== 'medfusion' && format !== 'opaque')
      throw new ConfigurationError(
        'cursorFormat',
        "must be 'medfusion' or 'opaque'",
        'PostgresCheckpointStore',
      );
    this.cursorFormat = format;
  }

  /**
   * Creates the SDK's tables in this store's schema (idempotent).
   *
   * @throws {StateStoreError} the database refused (SQLSTATE in `cause.code`).
   * @example
   * await store.migrate();
   */
  migrate(): Promise<void> {
    return migrate(this.pool, { schema: this.schema });
  }

  /**
   * The saved cursor, or `undefined`.
   *
   * @throws {StateStoreError} the database refused or could not be reached.
   * @example
   * const cursor = await store.load();
   */
  async load(): Promise<string | undefined> {
    return (await this.read())?.cursor;
  }

  /**
   * Saves a cursor outside a `sync()` run (an operator's reset or seed). It is fenced: the fencing
   * token moves on, so a worker whose lease lapsed cannot overwrite it when it wakes up
   * (`LeaseLostError`). Refused with `LeaseHeldError` while a worker holds a live lease.
   *
   * @throws {CursorError} `cursor` is not a cursor (see `cursorFormat`); nothing was written.
   * @throws {LeaseHeldError} another worker holds the practice's lease.
   * @throws {StateStoreError} the database refused or could not be reached.
   * @example
   * await store.save('1600364930000,0'); // reset a practice's cursor between syncs
   */
  async save(cursor: string): Promise<void> {
    if (typeof cursor !== 'string' || malformed(cursor, this.cursorFormat))
      throw new CursorError('malformed', this.ids[0], 'nothing was written');
    const res = await run(
      this.pool,
      'checkpoint.save',
      `INSERT INTO ${this.table} (practice_id, environment, api_version, cursor)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (practice_id, environment, api_version) DO UPDATE
         SET cursor = EXCLUDED.cursor, fence = checkpoints.fence + 1, holder = NULL,
             lease_expires_at = NULL, lease_renewed_at = NULL, updated_at = now()
         WHERE checkpoints.holder IS NULL OR checkpoints.lease_expires_at <= clock_timestamp()
       RETURNING 1`,
      [...this.ids, cursor],
    );
    if (res.rowCount === 0) {
      const row = await this.read();
      throw new LeaseHeldError(this.key, row?.holder, row?.leaseExpiresAt, 0);
    }
  }

  /**
   * The row as the database holds it, or `undefined` before the first run.
   *
   * @throws {StateStoreError} the database refused or could not be reached.
   * @example
   * const row = await store.read(); // { cursor, fence, holder, leaseExpiresAt, updatedAt }
   */
  async read(): Promise<CheckpointRow | undefined> {
    const res = await run(
      this.pool,
      'checkpoint.read',
      `SELECT cursor, fence::text AS fence, holder, lease_expires_at, lease_renewed_at, updated_at
       FROM ${this.table} WHERE ${ROW}`,
      this.ids,
    );
    const row = res.rows[0] as
      | {
          cursor: string | null;
          fence: string;
          holder: string | null;
          lease_expires_at: Date | null;
          lease_renewed_at: Date | null;
          updated_at: Date;
        }
      | undefined;
    if (!row) return undefined;
    return {
      cursor: row.cursor ?? undefined,
      fence: row.fence,
      holder: row.holder ?? undefined,
      leaseExpiresAt: row.lease_expires_at ?? undefined,
      leaseRenewedAt: row.lease_renewed_at ?? undefined,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Takes the lease for one run (called by `sync()`).
   * @throws {LeaseHeldError} when another worker holds it (after `waitForLeaseMs`).
   * @throws {ValidationError} when the client's practice or API version is not this store's.
   * @throws {AbortError} the caller's signal ended a wait for the lease.
   * @throws {StateStoreError} the database refused or could not be reached.
   * @example
   * const run = await store.begin({ practiceId, apiVersion: 'v2' }); // sync() does this for you
   * await run.commit(nextCursor);
   * await run.end();
   */
  async begin(context: CheckpointContext): Promise<CheckpointRun<C>> {
    const [practiceId, , apiVersion] = this.ids;
    const issues = [
      ...(context.practiceId !== practiceId
        ? [{ path: 'checkpoint.practiceId', rule: 'equals client practiceId' }]
        : []),
      ...(context.apiVersion !== apiVersion
        ? [{ path: 'checkpoint.apiVersion', rule: 'equals client apiVersion' }]
        : []),
    ];
    if (issues.length > 0) throw new ValidationError('checkpoint', issues);

    let waited = 0;
    for (;;) {
      if (context.signal?.aborted) throw new AbortError(undefined, abortReasonOf(context.signal));
      const sentAt = performance.now();
      const res = await run(
        this.pool,
        'checkpoint.acquire',
        `INSERT INTO ${this.table}
           (practice_id, environment, api_version, fence, holder, lease_expires_at, lease_renewed_at)
         VALUES ($1, $2, $3, 1, $4, clock_timestamp() + $5 * interval '1 millisecond', clock_timestamp())
         ON CONFLICT (practice_id, environment, api_version) DO UPDATE
           SET fence = checkpoints.fence + 1, holder = EXCLUDED.holder,
               lease_expires_at = EXCLUDED.lease_expires_at,
               lease_renewed_at = EXCLUDED.lease_renewed_at, updated_at = now()
           WHERE checkpoints.holder IS NULL OR checkpoints.lease_expires_at <= clock_timestamp()
         RETURNING fence::text AS fence, cursor`,
        [...this.ids, this.holder, this.leaseMs],
        true,
      );
      const row = res.rows[0] as { fence: string; cursor: string | null } | undefined;
      if (row)
        return new PostgresRun(this.runContext(), row.fence, row.cursor ?? undefined, sentAt);

      if (waited >= this.waitForLeaseMs) {
        const held = await this.read();
        throw new LeaseHeldError(this.key, held?.holder, held?.leaseExpiresAt, Math.round(waited));
      }
      const pausedAt = performance.now();
      await sleep(Math.min(200, this.waitForLeaseMs - waited), context.signal);
      waited += performance.now() - pausedAt;
    }
  }

  private runContext(): RunContext<C> {
    return {
      pool: this.pool,
      table: this.table,
      ids: this.ids,
      key: this.key,
      leaseMs: this.leaseMs,
      renewEveryMs: this.renewEveryMs,
    };
  }
}

interface RunContext<C extends SqlPoolClient> {
  pool: SqlPool<C>;
  table: string;
  ids: [string, string, string];
  key: string;
  leaseMs: number;
  renewEveryMs: number;
}

/** One leased run; see the module comment. */
class PostgresRun<C extends SqlPoolClient> implements CheckpointRun<C> {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  /** Local monotonic time until which the lease is certainly ours (a margin before its expiry). */
  private safeUntil: number;
  private lost?: LeaseLostError;
  private ended = false;
  private renewing?: Promise<void>;

  constructor(
    private readonly ctx: RunContext<C>,
    private readonly fence: string,
    readonly cursor: string | undefined,
    leasedAt: number,
  ) {
    this.safeUntil = this.until(leasedAt);
    this.timer = setInterval(() => void this.renew().catch(() => undefined), ctx.renewEveryMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async ensureHeld(): Promise<void> {
    if (this.lost) throw this.lost;
    if (performance.now() < this.safeUntil) return;
    await this.renew();
    if (this.lost) throw this.lost;
  }

  async commit(
    cursor: string | undefined,
    apply?: (transaction: C) => Promise<void>,
    control: CommitControl = {},
  ): Promise<void> {
    if (this.lost) throw this.lost;
    const move = `UPDATE ${this.ctx.table}
      SET cursor = COALESCE($5, cursor), updated_at = now(),
          lease_expires_at = clock_timestamp() + $6 * interval '1 millisecond',
          lease_renewed_at = clock_timestamp()
      WHERE ${OURS}
      RETURNING 1`;
    const values = [...this.ctx.ids, this.fence, cursor ?? null, this.ctx.leaseMs];
    if (!apply) {
      const sentAt = performance.now();
      const res = await run(this.ctx.pool, 'checkpoint.commit', move, values, true);
      return this.afterMove(res.rowCount, sentAt, 'commit');
    }
    const signal = anySignal(control.signal, this.controller.signal);
    const connecting = connect(this.ctx.pool, 'checkpoint.commit');
    let client: C;
    try {
      client = await untilAborted(connecting, signal);
    } catch (error) {
      connecting.then(
        (c) => c.release(),
        () => undefined,
      );
      throw this.lost ?? error;
    }
    // The server ends a transaction left idle longer than the lease (onPage too slow), or the
    // network drops it: give the lease up, so renewals stop and another worker can take over.
    const onError = (): void =>
      this.giveUp(new LeaseLostError(this.ctx.key, this.fence, 'commit', 'transaction-ended'));
    client.on('error', onError);
    let failure: unknown;
    let broken = false;
    let applying = false;
    try {
      await run(client, 'checkpoint.commit', 'BEGIN');
      // A worker stalled inside its transaction must not hold row locks for ever.
      await run(
        client,
        'checkpoint.commit',
        `SET LOCAL idle_in_transaction_session_timeout = ${this.ctx.leaseMs}`,
      );
      applying = true;
      await untilAborted(apply(client), signal);
      applying = false;
      const sentAt = performance.now();
      const res = await run(client, 'checkpoint.commit', move, values, true);
      // A refused move throws LeaseLostError, and the catch below rolls the page back.
      if (res.rowCount === 0) this.afterMove(0, sentAt, 'commit');
      await run(client, 'checkpoint.commit', 'COMMIT');
      this.afterMove(res.rowCount, sentAt, 'commit');
    } catch (error) {
      failure = error;
      // Abandoned while `apply` may still run: close the connection (the server rolls back, and a
      // late write of `apply` fails) rather than wait for it.
      broken =
        applying ||
        (await client.query('ROLLBACK').then(
          () => false,
          () => true,
        ));
    } finally {
      // A closed connection can still report its end: keep a listener so that never crashes.
      if (broken) client.on('error', () => undefined);
      client.removeListener('error', onError);
      client.release(broken);
    }
    if (failure === undefined) return;
    // Only now, with the connection back in the pool (a pool of one must not deadlock): a failed
    // transaction after the lease was lost reports the loss, the cause the caller must act on.
    if (!this.lost && !signal.aborted) await this.renew().catch(() => undefined);
    throw this.lost ?? failure;
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    if (!this.lost) await this.release();
  }

  /** Frees the lease (fenced); best effort and bounded: if it fails, the lease expires after leaseMs. */
  private release(): Promise<void> {
    const released = run(
      this.ctx.pool,
      'checkpoint.release',
      `UPDATE ${this.ctx.table} SET holder = NULL, lease_expires_at = NULL, lease_renewed_at = NULL
       WHERE ${OURS}`,
      [...this.ctx.ids, this.fence],
      true,
    ).then(
      () => undefined,
      () => undefined,
    );
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(this.ctx.leaseMs, 5000));
      timer.unref();
      void released.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Extends the lease; one renewal at a time. A refused renewal marks the lease lost. */
  private renew(): Promise<void> {
    if (this.lost || this.ended) return Promise.resolve();
    this.renewing ??= (async () => {
      const sentAt = performance.now();
      try {
        const res = await run(
          this.ctx.pool,
          'checkpoint.renew',
          `UPDATE ${this.ctx.table}
           SET lease_expires_at = clock_timestamp() + $5 * interval '1 millisecond',
               lease_renewed_at = clock_timestamp()
           WHERE ${OURS}
           RETURNING 1`,
          [...this.ctx.ids, this.fence, this.ctx.leaseMs],
          true,
        );
        this.afterMove(res.rowCount, sentAt, 'renew');
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing.catch((error: unknown) => {
      if (error instanceof LeaseLostError) return;
      throw error;
    });
  }

  /** After a fenced statement: extend the safe window, or record the loss and cancel requests. */
  private afterMove(rowCount: number | null, sentAt: number, operation: string): void {
    if (rowCount !== null && rowCount > 0) {
      this.safeUntil = Math.max(this.safeUntil, this.until(sentAt));
      return;
    }
    this.giveUp(new LeaseLostError(this.ctx.key, this.fence, operation));
    throw this.lost;
  }

  /**
   * The run can no longer move the cursor: stop renewing, cancel what is in flight. A lease taken
   * over is not ours to free; one given up (its transaction ended) is freed at once.
   */
  private giveUp(loss: LeaseLostError): void {
    if (this.lost) return;
    this.lost = loss;
    clearInterval(this.timer);
    this.controller.abort(loss);
    if (loss.reason === 'transaction-ended') void this.release();
  }

  /** The lease runs leaseMs from when its statement was sent; trust it for two thirds of that. */
  private until(sentAt: number): number {
    return sentAt + (this.ctx.leaseMs * 2) / 3;
  }
}

/** A worker's default name in leases: `<hostname>:<pid>:<random>`. */
export function defaultHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
