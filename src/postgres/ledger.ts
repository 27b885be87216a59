/**
 * The invitation ledger in PostgreSQL, per patient (`invitation_patients`) with one row per POST
 * (`invitation_batches`): safe for several workers at once. Claiming patients for a new batch is
 * one statement (`INSERT … ON CONFLICT … WHERE` per patient, and the batch row with exactly those
 * claimed), so a patient is in at most one batch being sent; a resend round is fenced by the batch's
 * `attempts`, so exactly one worker wins each round.
 */
import {
  resendGuard,
  type InvitationLedger,
  type LedgerBatch,
  type LedgerPatient,
  type LedgerState,
  type LedgerSubmission,
  type NewLedgerBatch,
} from '../core/ledger';
import { StateStoreError } from '../core/errors';
import { migrate } from './schema';
import { DEFAULT_SCHEMA, run, schemaIdent, type SqlPool } from './sql';

/** Options of {@link PostgresInvitationLedger}. */
export interface PostgresInvitationLedgerOptions {
  /** Your `pg.Pool`. */
  pool: SqlPool;
  /** Schema of the SDK's tables (see `migrate`). @default 'medfusion' */
  schema?: string;
  /**
   * How long after a batch's latest POST started a resend round may begin, in ms (judged on the
   * database's clock). A POST of another worker may still be in flight before then: resending it
   * would invite its patients twice. Longer than any POST with its retries. @default 600000 (10 min)
   */
  resendGuardMs?: number;
}

interface BatchRow {
  batch_key: string;
  practice_id: string;
  batch_id: string | null;
  practice_patient_ids: string[];
  state: LedgerState;
  data_job_id: string | null;
  status_url: string | null;
  message_id: string | null;
  attempts: number;
}

interface PatientRow {
  practice_id: string;
  practice_patient_id: string;
  record_hash: string | null;
  state: LedgerState;
  batch_key: string;
}

const BATCH_COLUMNS = `batch_key, practice_id, batch_id, practice_patient_ids, state, data_job_id,
  status_url, message_id, attempts`;

/**
 * `InvitationLedger` in the `invitation_patients` and `invitation_batches` tables. Pass it as
 * `invitePatients(invites, { ledger })`.
 *
 * @example
 * const ledger = new PostgresInvitationLedger({ pool });
 * await client.patients.invitePatients(invites, { ledger });
 */
export class PostgresInvitationLedger implements InvitationLedger {
  private readonly pool: SqlPool;
  private readonly schema: string;
  private readonly batchTable: string;
  private readonly patientTable: string;
  private readonly resendGuardMs: number;

  /** @throws {ConfigurationError} `resendGuardMs` is not an integer from 0 to 2^31 - 1. */
  constructor(options: PostgresInvitationLedgerOptions) {
    this.resendGuardMs = resendGuard(options.resendGuardMs, 'PostgresInvitationLedger');
    this.pool = options.pool;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.batchTable = `${schemaIdent(this.schema)}.invitation_batches`;
    this.patientTable = `${schemaIdent(this.schema)}.invitation_patients`;
  }

  /**
   * Creates or upgrades the SDK's tables in this ledger's schema (idempotent).
   *
   * @throws {StateStoreError} the database refused (SQLSTATE in `cause.code`).
   * @example
   * await ledger.migrate();
   */
  migrate(): Promise<void> {
    return migrate(this.pool, { schema: this.schema });
  }

  /**
   * What the ledger holds for these patients of a practice.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const known = await ledger.patients(practiceId, ['MRN-1', 'MRN-2']);
   */
  async patients(
    practiceId: string,
    practicePatientIds: readonly string[],
  ): Promise<Map<string, LedgerPatient>> {
    const res = await run(
      this.pool,
      'ledger.patients',
      `SELECT practice_id, practice_patient_id, record_hash, state, batch_key FROM ${this.patientTable}
       WHERE practice_id = $1 AND practice_patient_id = ANY($2::text[])`,
      [practiceId, practicePatientIds],
    );
    return new Map(
      (res.rows as PatientRow[]).map((r) => [r.practice_patient_id, toPatient(r)] as const),
    );
  }

  /**
   * The batches under these keys.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const batches = await ledger.batches([batchKey]);
   */
  async batches(batchKeys: readonly string[]): Promise<Map<string, LedgerBatch>> {
    const res = await run(
      this.pool,
      'ledger.batches',
      `SELECT ${BATCH_COLUMNS} FROM ${this.batchTable} WHERE batch_key = ANY($1::text[])`,
      [batchKeys],
    );
    return new Map((res.rows as BatchRow[]).map((r) => [r.batch_key, toBatch(r)] as const));
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
      `SELECT ${BATCH_COLUMNS} FROM ${this.batchTable}
       WHERE practice_id = $1 AND ($2::text IS NULL OR state = $2)
       ORDER BY created_at, batch_key`,
      [practiceId, state ?? null],
    );
    return (res.rows as BatchRow[]).map(toBatch);
  }

  /**
   * Patients of a practice whose latest POST has an unknown outcome, oldest first.
   *
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const unknown = await ledger.unknownPatients(practiceId);
   */
  async unknownPatients(practiceId: string): Promise<LedgerPatient[]> {
    const res = await run(
      this.pool,
      'ledger.unknown',
      `SELECT practice_id, practice_patient_id, record_hash, state, batch_key FROM ${this.patientTable}
       WHERE practice_id = $1 AND state = 'sending' ORDER BY updated_at, practice_patient_id`,
      [practiceId],
    );
    return (res.rows as PatientRow[]).map(toPatient);
  }

  /**
   * Records a new batch and claims its patients, in one statement; see {@link InvitationLedger.claim}.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * const claimed = await ledger.claim({ batchKey, practiceId, batchId, patients }, { resendChanged: false });
   */
  async claim(batch: NewLedgerBatch, options: { resendChanged: boolean }): Promise<string[]> {
    const res = await run(
      this.pool,
      'ledger.claim',
      `WITH wanted AS (
         SELECT id, hash, ord FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS w(id, hash, ord)
       ), claimed AS (
         INSERT INTO ${this.patientTable} AS p
           (practice_id, practice_patient_id, record_hash, state, batch_key)
         SELECT $1, id, hash, 'sending', $2 FROM wanted
         ON CONFLICT (practice_id, practice_patient_id) DO UPDATE
           SET state = 'sending', record_hash = EXCLUDED.record_hash,
               batch_key = EXCLUDED.batch_key, updated_at = now()
           WHERE p.state = 'rejected'
              OR ($5::boolean AND p.state = 'accepted' AND p.record_hash IS NOT NULL
                  AND p.record_hash <> EXCLUDED.record_hash)
         RETURNING practice_patient_id
       ), ordered AS (
         SELECT array_agg(w.id ORDER BY w.ord) AS ids FROM wanted w
         WHERE w.id IN (SELECT practice_patient_id FROM claimed)
       ), batch AS (
         INSERT INTO ${this.batchTable}
           (batch_key, practice_id, batch_id, practice_patient_ids, state, attempts)
         SELECT $2, $1, $6, ids, 'sending', 1 FROM ordered WHERE ids IS NOT NULL
         RETURNING practice_patient_ids
       )
       SELECT practice_patient_ids AS ids FROM batch`,
      [
        batch.practiceId,
        batch.batchKey,
        batch.patients.map((p) => p.practicePatientId),
        batch.patients.map((p) => p.recordHash),
        options.resendChanged,
        batch.batchId ?? null,
      ],
    );
    return (res.rows[0] as { ids: string[] } | undefined)?.ids ?? [];
  }

  /**
   * Claims an unknown batch for one resend round; see {@link InvitationLedger.claimResend}.
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * if (await ledger.claimResend(batch.batchKey, batch.attempts)) await post(batch);
   */
  async claimResend(batchKey: string, attempts: number): Promise<boolean> {
    const res = await run(
      this.pool,
      'ledger.claim',
      `UPDATE ${this.batchTable} b SET attempts = attempts + 1, state = 'sending', updated_at = now()
       WHERE batch_key = $1 AND attempts = $2
         AND updated_at <= now() - $3 * interval '1 millisecond'
         AND EXISTS (SELECT 1 FROM ${this.patientTable} p
                      WHERE p.practice_id = b.practice_id AND p.batch_key = $1 AND p.state = 'sending')
       RETURNING 1`,
      [batchKey, attempts, this.resendGuardMs],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * Settles a batch whose outcome is unknown, after you checked by hand (the feed, Medfusion's
   * support): `accepted` (it arrived: never resent) or `rejected` (it did not: sent by the next run).
   * Only its patients still of unknown outcome change. Resolves with how many did.
   *
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * await ledger.settleUnknown(batch.batchKey, 'accepted'); // it reached Medfusion after all
   */
  async settleUnknown(batchKey: string, outcome: 'accepted' | 'rejected'): Promise<number> {
    const res = await run(
      this.pool,
      'ledger.settle',
      `WITH batch AS (
         UPDATE ${this.batchTable} SET state = $2, updated_at = now() WHERE batch_key = $1
       )
       UPDATE ${this.patientTable} SET state = $2, updated_at = now()
       WHERE practice_id = (SELECT practice_id FROM ${this.batchTable} WHERE batch_key = $1)
         AND batch_key = $1 AND state = 'sending'`,
      [batchKey, outcome],
    );
    return res.rowCount ?? 0;
  }

  /**
   * Records the 202 and its job: the batch and those patients accepted.
   * @throws {StateStoreError} the database refused, or the batch is unknown.
   * @example
   * await ledger.accept(batchKey, ids, { dataJobId, statusUrl });
   */
  async accept(
    batchKey: string,
    practicePatientIds: readonly string[],
    submission: LedgerSubmission,
  ): Promise<void> {
    const res = await run(
      this.pool,
      'ledger.accept',
      `WITH batch AS (
         UPDATE ${this.batchTable} SET state = 'accepted', data_job_id = $3, status_url = $4,
                message_id = $5, updated_at = now()
         WHERE batch_key = $1
         RETURNING practice_id
       ), patients AS (
         UPDATE ${this.patientTable} SET state = 'accepted', updated_at = now()
         WHERE practice_id = (SELECT practice_id FROM ${this.batchTable} WHERE batch_key = $1)
           AND batch_key = $1 AND practice_patient_id = ANY($2::text[]) AND state = 'sending'
       )
       SELECT count(*)::int AS n FROM batch`,
      [
        batchKey,
        practicePatientIds,
        submission.dataJobId,
        submission.statusUrl,
        submission.messageId ?? null,
      ],
    );
    if ((res.rows[0] as { n: number } | undefined)?.n !== 1)
      throw new StateStoreError('ledger.accept', { name: 'UnknownBatch' });
  }

  /**
   * Records a definite refusal: the batch and those patients rejected (sendable again).
   * @throws {StateStoreError} the database refused or could not be reached (SQLSTATE only).
   * @example
   * await ledger.reject(batchKey, ids);
   */
  async reject(batchKey: string, practicePatientIds: readonly string[]): Promise<void> {
    await run(
      this.pool,
      'ledger.reject',
      `WITH batch AS (
         UPDATE ${this.batchTable} SET state = 'rejected', updated_at = now()
         WHERE batch_key = $1
       )
       UPDATE ${this.patientTable} SET state = 'rejected', updated_at = now()
       WHERE practice_id = (SELECT practice_id FROM ${this.batchTable} WHERE batch_key = $1)
         AND batch_key = $1 AND practice_patient_id = ANY($2::text[]) AND state = 'sending'`,
      [batchKey, practicePatientIds],
    );
  }
}

function toPatient(r: PatientRow): LedgerPatient {
  return {
    practiceId: r.practice_id,
    practicePatientId: r.practice_patient_id,
    ...(r.record_hash !== null ? { recordHash: r.record_hash } : {}),
    state: r.state,
    batchKey: r.batch_key,
  };
}

function toBatch(r: BatchRow): LedgerBatch {
  return {
    batchKey: r.batch_key,
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
