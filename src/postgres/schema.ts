/**
 * The SDK's tables, created by `migrate()`: plain SQL, idempotent, safe to run from every worker at
 * start-up (an advisory lock serialises concurrent runs). The same text is in docs/durable-state.md.
 */
import { DEFAULT_SCHEMA, lockedTransaction, run, schemaIdent, type SqlPool } from './sql';

/** The version `migrate()` brings the schema to. */
export const SCHEMA_VERSION = 3;

/** The statements of each schema version, in order. `$schema` is replaced by the quoted schema name. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS $schema.checkpoints (
    practice_id      text        NOT NULL,
    environment      text        NOT NULL,
    api_version      text        NOT NULL,
    cursor           text,
    fence            bigint      NOT NULL DEFAULT 0,
    holder           text,
    lease_expires_at timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, environment, api_version)
  );
  CREATE TABLE IF NOT EXISTS $schema.invitation_batches (
    content_hash         text        PRIMARY KEY,
    practice_id          text        NOT NULL,
    batch_id             text,
    practice_patient_ids text[]      NOT NULL,
    state                text        NOT NULL CHECK (state IN ('sending', 'accepted', 'rejected')),
    data_job_id          text,
    status_url           text,
    message_id           text,
    attempts             integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS invitation_batches_practice_state
    ON $schema.invitation_batches (practice_id, state);
  `,
  // 2: when a lease was last renewed, so the operator view tells a live holder from a gone one.
  `
  ALTER TABLE $schema.checkpoints ADD COLUMN IF NOT EXISTS lease_renewed_at timestamptz;
  `,
  // 3: the ledger per patient. A batch row is now one POST, keyed by a batch key (the content hash
  // of version 1 rows); each patient of every version-1 batch gets a row of its own, from its best
  // record (accepted, then unknown, then rejected; the latest first). Version-1 rows have no record
  // hash: such a patient counts as unchanged.
  `
  ALTER TABLE $schema.invitation_batches RENAME COLUMN content_hash TO batch_key;
  CREATE TABLE $schema.invitation_patients (
    practice_id         text        NOT NULL,
    practice_patient_id text        NOT NULL,
    record_hash         text,
    state               text        NOT NULL CHECK (state IN ('sending', 'accepted', 'rejected')),
    batch_key           text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, practice_patient_id)
  );
  INSERT INTO $schema.invitation_patients
    (practice_id, practice_patient_id, record_hash, state, batch_key, created_at, updated_at)
  SELECT DISTINCT ON (b.practice_id, id) b.practice_id, id, NULL, b.state, b.batch_key,
         b.created_at, b.updated_at
    FROM $schema.invitation_batches b, unnest(b.practice_patient_ids) AS id
   ORDER BY b.practice_id, id,
            CASE b.state WHEN 'accepted' THEN 0 WHEN 'sending' THEN 1 ELSE 2 END, b.updated_at DESC;
  CREATE INDEX invitation_patients_batch ON $schema.invitation_patients (batch_key);
  CREATE INDEX invitation_patients_unknown ON $schema.invitation_patients (practice_id)
    WHERE state = 'sending';
  `,
];

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Schema of the SDK's tables; created if missing. @default 'medfusion' */
  schema?: string;
}

/**
 * Creates or upgrades the SDK's tables (checkpoints, invitation ledger) in `schema`. Idempotent and
 * safe to call concurrently from several workers.
 *
 * @throws {StateStoreError} when the database refuses (SQLSTATE in `cause.code`).
 * @example
 * await migrate(pool); // once at start-up
 */
export async function migrate(pool: SqlPool, options: MigrateOptions = {}): Promise<void> {
  const schema = schemaIdent(options.schema ?? DEFAULT_SCHEMA);
  await lockedTransaction(
    pool,
    'migrate',
    `medfusion-patient-sdk.migrate.${schema}`,
    async (client) => {
      await run(client, 'migrate', `CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await run(
        client,
        'migrate',
        `CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version integer NOT NULL)`,
      );
      const found = await run(
        client,
        'migrate',
        `SELECT max(version) AS v FROM ${schema}.schema_version`,
      );
      const current = Number((found.rows[0] as { v: number | null } | undefined)?.v ?? 0);
      for (let v = current; v < MIGRATIONS.length; v++) {
        await run(client, 'migrate', (MIGRATIONS[v] as string).replaceAll('$schema', schema));
        await run(client, 'migrate', `INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [
          v + 1,
        ]);
      }
    },
  );
}
