/**
 * The fleet's tables, beside the SDK's checkpoints and ledger (same schema): one row per practice with
 * what the operator view shows, the run log, the fleet's history a minute at a time, and the logins'
 * pauses. Plain SQL, idempotent, safe to run from every worker at start-up.
 */
import { migrate } from '../postgres/schema';
import { lockedTransaction, run, schemaIdent, type SqlPool } from '../postgres/sql';

/** The fleet's DDL; `$schema` is replaced by the quoted schema. Also in docs/fleet.md. */
export const FLEET_DDL = `
CREATE TABLE IF NOT EXISTS $schema.fleet_practices (
  practice_id          text        PRIMARY KEY,   -- (practice_id, environment) from 0.3 on
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
-- 0.3: a practice of the fleet belongs to one environment, as its checkpoint does. Rows of 0.2 take the
-- environment of the practice's checkpoint (or 'production').
ALTER TABLE $schema.fleet_practices ADD COLUMN IF NOT EXISTS environment text;
UPDATE $schema.fleet_practices f SET environment = COALESCE(
    (SELECT c.environment FROM $schema.checkpoints c WHERE c.practice_id = f.practice_id
      ORDER BY c.updated_at DESC LIMIT 1), 'production')
 WHERE f.environment IS NULL;
ALTER TABLE $schema.fleet_practices ALTER COLUMN environment SET DEFAULT 'production';
ALTER TABLE $schema.fleet_practices ALTER COLUMN environment SET NOT NULL;
DO $$ BEGIN
  IF (SELECT count(*) FROM pg_index i JOIN pg_attribute a
        ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
       WHERE i.indrelid = '$schema.fleet_practices'::regclass AND i.indisprimary) = 1 THEN
    ALTER TABLE $schema.fleet_practices DROP CONSTRAINT fleet_practices_pkey;
    ALTER TABLE $schema.fleet_practices ADD PRIMARY KEY (practice_id, environment);
  END IF;
END $$;
-- The run log: one row per job run and per operator action (counts, classes and codes, never a
-- value); kept for historyRetentionDays.
CREATE TABLE IF NOT EXISTS $schema.fleet_runs (
  id          bigserial   PRIMARY KEY,
  practice_id text        NOT NULL,
  environment text        NOT NULL,
  kind        text        NOT NULL,             -- sync | invite | action
  outcome     text        NOT NULL,             -- a RunOutcome, invited, or the action's name
  started_at  timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer,
  pages       integer,
  patients    integer,
  error_class text,
  error_code  text,
  http_status integer,
  actor       text,                             -- the worker, or the operator of an action
  job_id      text,
  detail      jsonb                             -- a FleetJobError's fields, an invitation report's counts
);
CREATE INDEX IF NOT EXISTS fleet_runs_practice ON $schema.fleet_runs (practice_id, finished_at DESC);
CREATE INDEX IF NOT EXISTS fleet_runs_finished ON $schema.fleet_runs (finished_at);
-- The fleet over time: one row a minute, written by one worker.
CREATE TABLE IF NOT EXISTS $schema.fleet_snapshots (
  environment  text        NOT NULL,
  minute       timestamptz NOT NULL,             -- one row a minute: the first worker to write it
  taken_at     timestamptz NOT NULL,
  practices    integer     NOT NULL,
  current      integer     NOT NULL,
  stale        integer     NOT NULL,
  never_synced integer     NOT NULL,
  failing      integer     NOT NULL,
  rate_limited integer     NOT NULL,
  syncing      integer     NOT NULL,
  lag_p50      float8,
  lag_p90      float8,
  lag_p99      float8,
  lag_max      float8,
  syncs        integer     NOT NULL,             -- runs that ended synced since the previous snapshot
  failures     integer     NOT NULL,
  patients     integer     NOT NULL,
  dead_letters integer,
  PRIMARY KEY (environment, minute)
);
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
