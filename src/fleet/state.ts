/**
 * What each run leaves in `fleet_practices`, for the operator view and for the next run; and the
 * pauses of `fleet_logins`: a practice rate-limited, or behind a login rate-limited, until
 * `not_before` waits, whichever worker picks it up.
 */
import { run, schemaIdent, type SqlPool } from '../postgres/sql';

/** How a run ended. */
export type RunOutcome = 'synced' | 'failed' | 'rate-limited' | 'handed-back' | 'lease-held';

/** What a finished run records. */
export interface RunRecord {
  outcome: RunOutcome;
  pages?: number;
  patients?: number;
  durationMs: number;
  errorClass?: string;
  notBefore?: Date;
}

export class FleetState {
  private readonly table: string;
  private readonly logins: string;

  constructor(
    private readonly pool: SqlPool,
    schema: string,
    private readonly worker: string,
  ) {
    this.table = `${schemaIdent(schema)}.fleet_practices`;
    this.logins = `${schemaIdent(schema)}.fleet_logins`;
  }

  /**
   * Marks the run's start, in one statement; returns until when the practice, or the login it is
   * behind, is rate-limited, if it is.
   */
  async started(practiceId: string, loginKey: string): Promise<Date | undefined> {
    const res = await run(
      this.pool,
      'fleet.started',
      `WITH practice AS (
         INSERT INTO ${this.table} AS f (practice_id, last_started_at, worker, updated_at)
         VALUES ($1, now(), $2, now())
         ON CONFLICT (practice_id) DO UPDATE SET last_started_at = now(), worker = $2, updated_at = now()
         RETURNING f.not_before
       )
       SELECT CASE WHEN paused > now() THEN paused END AS not_before FROM (
         SELECT GREATEST((SELECT not_before FROM practice),
                         (SELECT not_before FROM ${this.logins} WHERE login_key = $3)) AS paused
       ) p`,
      [practiceId, this.worker, loginKey],
      true,
    );
    const notBefore = (res.rows[0] as { not_before: Date | null } | undefined)?.not_before;
    return notBefore ?? undefined;
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

  /** Records how the run ended. */
  async finished(practiceId: string, r: RunRecord): Promise<void> {
    const success = r.outcome === 'synced';
    const failure = r.outcome === 'failed';
    await run(
      this.pool,
      'fleet.finished',
      `UPDATE ${this.table} SET
         last_finished_at = now(),
         last_outcome = $2,
         last_run_pages = COALESCE($3, last_run_pages),
         last_run_patients = COALESCE($4, last_run_patients),
         last_run_ms = $5,
         last_success_at = CASE WHEN $6 THEN now() ELSE last_success_at END,
         last_error_class = CASE WHEN $7 THEN $8 WHEN $6 THEN NULL ELSE last_error_class END,
         last_error_at = CASE WHEN $7 THEN now() ELSE last_error_at END,
         consecutive_failures = CASE WHEN $7 THEN consecutive_failures + 1 WHEN $6 THEN 0 ELSE consecutive_failures END,
         not_before = $9,
         worker = $10,
         updated_at = now()
       WHERE practice_id = $1`,
      [
        practiceId,
        r.outcome,
        r.pages ?? null,
        r.patients ?? null,
        Math.round(r.durationMs),
        success,
        failure,
        r.errorClass ?? null,
        r.notBefore ?? null,
        this.worker,
      ],
      true,
    );
  }
}
