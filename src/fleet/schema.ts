/**
 * The fleet's table, beside the SDK's checkpoints and ledger (same schema): one row per practice with
 * what the operator view shows. Plain SQL, idempotent, safe to run from every worker at start-up.
 */
import { migrate } from '../postgres/schema';
import { lockedTransaction, run, schemaIdent, type SqlPool } from '../postgres/sql';

/** The fleet's DDL; `$schema` is replaced by the quoted schema. Also in docs/fleet.md. */
export const FLEET_DDL = `
CREATE TABLE IF NOT EXISTS $schema.fleet_practices (
  practice_id          text        PRIMARY KEY,
  last_started_at      timestamptz,             -- the latest run began
  last_finished_at     timestamptz,             -- the latest run ended, however
  last_success_at      timestamptz,             -- the latest run that drained the feed
  last_outcome         text,                    -- synced | failed | rate-limited | handed-back | lease-held
  last_run_pages       integer,
  last_run_patients    integer,
  last_run_ms          integer,
  last_error_class     text,                    -- a class name, never a message
  last_error_at        timestamptz,
  consecutive_failures integer     NOT NULL DEFAULT 0,
  not_before           timestamptz,             -- rate-limited until
  worker               text,                    -- the worker of the latest run
  updated_at           timestamptz NOT NULL DEFAULT now()
);
-- One row per practice login (a digest of its host, client and user: no secret): a 429 pauses the
-- login, and every practice behind it waits, on every worker.
CREATE TABLE IF NOT EXISTS $schema.fleet_logins (
  login_key  text        PRIMARY KEY,
  not_before timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

/**
 * Creates the SDK's tables and the fleet's in `schema` (idempotent; concurrent calls serialised).
 *
 * @throws {StateStoreError} the database refused (SQLSTATE in `cause.code`).
 */
export async function migrateFleet(pool: SqlPool, schema: string): Promise<void> {
  await migrate(pool, { schema });
  const ddl = FLEET_DDL.replaceAll('$schema', schemaIdent(schema));
  await lockedTransaction(
    pool,
    'fleet.migrate',
    `medfusion-patient-sdk.fleet.migrate.${schema}`,
    async (client) => void (await run(client, 'fleet.migrate', ddl)),
  );
}
