/**
 * What each run leaves in `fleet_practices`, for the operator view and for the next run (a practice
 * rate-limited until `not_before` waits, whichever worker picks it up).
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

  constructor(
    private readonly pool: SqlPool,
    schema: string,
    private readonly worker: string,
  ) {
    this.table = `${schemaIdent(schema)}.fleet_practices`;
  }

  /** Marks the run's start; returns until when the practice is rate-limited, if it is. */
  async started(practiceId: string): Promise<Date | undefined> {
    const res = await run(
      this.pool,
      'fleet.started',
      `INSERT INTO ${this.table} AS f (practice_id, last_started_at, worker, updated_at)
       VALUES ($1, now(), $2, now())
       ON CONFLICT (practice_id) DO UPDATE SET last_started_at = now(), worker = $2, updated_at = now()
       RETURNING CASE WHEN f.not_before > now() THEN f.not_before END AS not_before`,
      [practiceId, this.worker],
    );
    const notBefore = (res.rows[0] as { not_before: Date | null } | undefined)?.not_before;
    return notBefore ?? undefined;
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
    );
  }
}
