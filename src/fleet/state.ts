/**
 * What each run leaves in the database: `fleet_practices` (the practice's last run, for the operator
 * view and the next run), a row of the run log (`fleet_runs`), and the pauses of `fleet_logins`: a
 * practice rate-limited, or behind a login rate-limited, until `not_before` waits, whichever worker
 * picks it up.
 */
import { run, schemaIdent, type SqlPool } from '../postgres/sql';

/** How a run ended. */
export type RunOutcome = 'synced' | 'failed' | 'rate-limited' | 'handed-back' | 'lease-held';

/** What a finished run records: counts, classes and codes, never a value. */
export interface RunRecord {
  kind: 'sync' | 'invite';
  outcome: RunOutcome | 'invited';
  pages?: number;
  patients?: number;
  durationMs: number;
  errorClass?: string;
  errorCode?: string;
  httpStatus?: number;
  notBefore?: Date;
  /** The pg-boss job. */
  jobId?: string;
  /** Kept in the run log's `detail`: a `FleetJobError`'s fields, an invitation report's counts. */
  detail?: object;
}

/** What `started` tells the run. */
export interface RunStart {
  /** Until when the practice, or its login, is rate-limited, if it is. */
  notBefore: Date | undefined;
  /** When the practice's last successful sync ended (`undefined`: never). */
  lastSuccessAt: Date | undefined;
}

export class FleetState {
  private readonly table: string;
  private readonly logins: string;
  private readonly runs: string;

  constructor(
    private readonly pool: SqlPool,
    schema: string,
    private readonly environment: string,
    private readonly worker: string,
  ) {
    this.table = `${schemaIdent(schema)}.fleet_practices`;
    this.logins = `${schemaIdent(schema)}.fleet_logins`;
    this.runs = `${schemaIdent(schema)}.fleet_runs`;
  }

  /** Marks the run's start, in one statement. */
  async started(practiceId: string, loginKey: string): Promise<RunStart> {
    const res = await run(
      this.pool,
      'fleet.started',
      `WITH practice AS (
         INSERT INTO ${this.table} AS f (practice_id, environment, last_started_at, worker, updated_at)
         VALUES ($1, $4, now(), $2, now())
         ON CONFLICT (practice_id, environment)
           DO UPDATE SET last_started_at = now(), worker = $2, updated_at = now()
         RETURNING f.not_before, f.last_success_at
       )
       SELECT CASE WHEN paused > now() THEN paused END AS not_before, last_success_at FROM (
         SELECT GREATEST((SELECT not_before FROM practice),
                         (SELECT not_before FROM ${this.logins} WHERE login_key = $3)) AS paused,
                (SELECT last_success_at FROM practice) AS last_success_at
       ) p`,
      [practiceId, this.worker, loginKey, this.environment],
      true,
    );
    const row = res.rows[0] as
      { not_before: Date | null; last_success_at: Date | null } | undefined;
    return {
      notBefore: row?.not_before ?? undefined,
      lastSuccessAt: row?.last_success_at ?? undefined,
    };
  }

  /** Pauses a login until `notBefore`: every practice behind it waits, on every worker. */
  async pauseLogin(loginKey: string, notBefore: Date): Promise<void> {
    await run(
      this.pool,
      'fleet.pause',
      `INSERT INTO ${this.logins} (login_key, not_before, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (login_key) DO UPDATE
         SET not_before = GREATEST(${this.logins}.not_before, EXCLUDED.not_before), updated_at = now()`,
      [loginKey, notBefore],
    );
  }

  /**
   * Records how the run ended: a sync updates its practice's row and adds a row to the run log, in
   * one statement; an invitation run adds its row to the run log.
   */
  async finished(practiceId: string, r: RunRecord): Promise<void> {
    const log = [
      practiceId,
      this.environment,
      r.kind,
      r.outcome,
      Math.round(r.durationMs),
      r.pages ?? null,
      r.patients ?? null,
      r.errorClass ?? null,
      r.errorCode ?? null,
      r.httpStatus ?? null,
      this.worker,
      r.jobId ?? null,
      r.detail ? JSON.stringify(r.detail) : null,
    ];
    const insert = `INSERT INTO ${this.runs} (practice_id, environment, kind, outcome, started_at,
         duration_ms, pages, patients, error_class, error_code, http_status, actor, job_id, detail)
       VALUES ($1, $2, $3, $4, now() - $5 * interval '1 millisecond', $5, $6, $7, $8, $9, $10, $11,
               $12, $13)`;
    if (r.kind !== 'sync') {
      // A practice invited through the fleet is one of the fleet's, synced or not.
      await run(
        this.pool,
        'fleet.finished',
        `WITH practice AS (
           INSERT INTO ${this.table} (practice_id, environment) VALUES ($1, $2)
           ON CONFLICT (practice_id, environment) DO NOTHING
         )
         ${insert}`,
        log,
        true,
      );
      return;
    }
    const success = r.outcome === 'synced';
    const failure = r.outcome === 'failed';
    await run(
      this.pool,
      'fleet.finished',
      `WITH practice AS (
         UPDATE ${this.table} SET
           last_finished_at = now(),
           last_outcome = $4,
           last_run_pages = COALESCE($6, last_run_pages),
           last_run_patients = COALESCE($7, last_run_patients),
           last_run_ms = $5,
           last_success_at = CASE WHEN $14 THEN now() ELSE last_success_at END,
           last_error_class = CASE WHEN $15 THEN $8 WHEN $14 THEN NULL ELSE last_error_class END,
           last_error_at = CASE WHEN $15 THEN now() ELSE last_error_at END,
           consecutive_failures = CASE WHEN $15 THEN consecutive_failures + 1
                                       WHEN $14 THEN 0 ELSE consecutive_failures END,
           not_before = $16,
           worker = $11,
           updated_at = now()
         WHERE practice_id = $1 AND environment = $2
       )
       ${insert}`,
      [...log, success, failure, r.notBefore ?? null],
      true,
    );
  }
}
