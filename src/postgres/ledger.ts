/**
 * The invitation ledger in PostgreSQL: safe for several workers at once, because claiming a batch is
 * one `INSERT … ON CONFLICT … WHERE` that only one of them can win.
 */
import type { InvitationLedger, LedgerBatch, LedgerState, LedgerSubmission } from '../core/ledger';
import { StateStoreError } from '../core/errors';
import { migrate } from './schema';
import { DEFAULT_SCHEMA, run, schemaIdent, type SqlPool } from './sql';

/** Options of {@link PostgresInvitationLedger}. */
export interface PostgresInvitationLedgerOptions {
  /** Your `pg.Pool`. */
  pool: SqlPool;
  /** Schema of the SDK's tables (see `migrate`). @default 'medfusion' */
  schema?: string;
}

interface Row {
  content_hash: string;
  practice_id: string;
  batch_id: string | null;
  practice_patient_ids: string[];
  state: LedgerState;
  data_job_id: string | null;
  status_url: string | null;
  message_id: string | null;
  attempts: number;
}

/**
 * `InvitationLedger` in the `invitation_batches` table. Pass it as `invitePatients(invites, { ledger })`.
 *
 * @example
 * const ledger = new PostgresInvitationLedger({ pool });
 * await client.patients.invitePatients(invites, { ledger });
 */
export class PostgresInvitationLedger implements InvitationLedger {
  private readonly pool: SqlPool;
  private readonly schema: string;
  private readonly table: string;

  constructor(options: PostgresInvitationLedgerOptions) {
    this.pool = options.pool;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.table = `${schemaIdent(this.schema)}.invitation_batches`;
  }

  /**
   * Creates the SDK's tables in this ledger's schema (idempotent).
   *
   * @throws {StateStoreError} the database refused (SQLSTATE in `cause.code`).
   * @example
   * await ledger.migrate();
   */
  migrate(): Promise<void> {
    return migrate(this.pool, { schema: this.schema });
  }

  /**
   * The batches recorded under these content hashes.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const known = await ledger.find([hash]);
   */
  async find(contentHashes: readonly string[]): Promise<Map<string, LedgerBatch>> {
    const res = await run(
      this.pool,
      'ledger.find',
      `SELECT content_hash, practice_id, batch_id, practice_patient_ids, state, data_job_id,
              status_url, message_id, attempts
       FROM ${this.table} WHERE content_hash = ANY($1::text[])`,
      [contentHashes],
    );
    return new Map((res.rows as Row[]).map((r) => [r.content_hash, toBatch(r)]));
  }

  /**
   * Batches of a practice in one state, oldest first: for operators resolving unknown outcomes.
   *
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const unknown = await ledger.list(practiceId, 'sending');
   */
  async list(practiceId: string, state?: LedgerState): Promise<LedgerBatch[]> {
    const res = await run(
      this.pool,
      'ledger.list',
      `SELECT content_hash, practice_id, batch_id, practice_patient_ids, state, data_job_id,
              status_url, message_id, attempts
       FROM ${this.table} WHERE practice_id = $1 AND ($2::text IS NULL OR state = $2)
       ORDER BY created_at, content_hash`,
      [practiceId, state ?? null],
    );
    return (res.rows as Row[]).map(toBatch);
  }

  /**
   * Records a batch as being sent; one worker wins a batch. See {@link InvitationLedger.claim}.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const mine = await ledger.claim({ contentHash, practiceId, batchId, practicePatientIds }, { resend: false });
   */
  async claim(
    batch: Pick<LedgerBatch, 'contentHash' | 'practiceId' | 'batchId' | 'practicePatientIds'>,
    options: { resend: boolean },
  ): Promise<boolean> {
    const res = await run(
      this.pool,
      'ledger.claim',
      `INSERT INTO ${this.table} AS t (content_hash, practice_id, batch_id, practice_patient_ids, state, attempts)
       VALUES ($1, $2, $3, $4::text[], 'sending', 1)
       ON CONFLICT (content_hash) DO UPDATE
         SET state = 'sending', attempts = t.attempts + 1, updated_at = now(),
             batch_id = COALESCE(t.batch_id, EXCLUDED.batch_id)
         WHERE t.state = 'rejected' OR (t.state = 'sending' AND $5::boolean)
       RETURNING 1`,
      [
        batch.contentHash,
        batch.practiceId,
        batch.batchId ?? null,
        batch.practicePatientIds,
        options.resend,
      ],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * Records the 202 and its job.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * await ledger.accept(contentHash, { dataJobId, statusUrl });
   */
  async accept(contentHash: string, submission: LedgerSubmission): Promise<void> {
    const res = await run(
      this.pool,
      'ledger.accept',
      `UPDATE ${this.table} SET state = 'accepted', data_job_id = $2, status_url = $3,
              message_id = $4, updated_at = now()
       WHERE content_hash = $1`,
      [contentHash, submission.dataJobId, submission.statusUrl, submission.messageId ?? null],
    );
    if (res.rowCount === 0) throw new StateStoreError('ledger.accept', { name: 'UnknownBatch' });
  }

  /**
   * Records a definite refusal.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * await ledger.reject(contentHash);
   */
  async reject(contentHash: string): Promise<void> {
    await run(
      this.pool,
      'ledger.reject',
      `UPDATE ${this.table} SET state = 'rejected', updated_at = now()
       WHERE content_hash = $1 AND state = 'sending'`,
      [contentHash],
    );
  }
}

function toBatch(r: Row): LedgerBatch {
  return {
    contentHash: r.content_hash,
    practiceId: r.practice_id,
    ...(r.batch_id !== null ? { batchId: r.batch_id } : {}),
    practicePatientIds: r.practice_patient_ids,
    state: r.state,
    ...(r.state === 'accepted' && r.data_job_id !== null
      ? {
          submission: {
            dataJobId: r.data_job_id,
            statusUrl: r.status_url ?? '',
            ...(r.message_id !== null ? { messageId: r.message_id } : {}),
          },
        }
      : {}),
    attempts: r.attempts,
  };
}
