/**
 * The SDK's tables, created by `migrate()`: plain SQL, idempotent, safe to run from every worker at
 * start-up (an advisory lock serialises concurrent runs). The same text is in docs/durable-state.md.
 */
import { DEFAULT_SCHEMA, lockedTransaction, run, schemaIdent, type SqlPool } from './sql';

/** The version `migrate()` brings the schema to. */
export const SCHEMA_VERSION = 2;

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
