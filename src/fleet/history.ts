/**
 * The fleet over time: once a minute one worker (whichever writes the minute's row first) adds a
 * snapshot to `fleet_snapshots` (practices by state, the lag distribution, syncs, failures and
 * patients since the previous one, dead letters), purges the run log and snapshots past their
 * retention, and reports the per-practice lag gauge. The dashboard draws its charts from here.
 */
import type { GaugeReading, Instrumentation } from '../core/instrumentation';
import { run, schemaIdent, type SqlPool } from '../postgres/sql';

/** Rows deleted per purge: a day of 5,000 practices every 5 minutes is 1.44 million runs. */
const PURGE_BATCH = 20_000;

export interface HistoryOptions {
  schema: string;
  environment: string;
  /** Rows of the run log and snapshots older than this are deleted. */
  retentionDays: number;
  /** A sync older than this is stale. */
  staleAfterSeconds: number;
  /** Jobs waiting in the dead-letter queue, when known. */
  deadLetters: () => Promise<number | undefined>;
}

export class FleetHistory {
  private readonly s: string;
  /** The per-practice lag read at this worker's last snapshot, reported until `reportUntil`. */
  private lags: GaugeReading[] = [];
  private deadLetters: number | undefined;
  private reportUntil = 0;
  private readonly unobserve: (() => void)[];

  constructor(
    private readonly pool: SqlPool,
    private readonly o: HistoryOptions,
    instrumentation: Instrumentation,
  ) {
    this.s = schemaIdent(o.schema);
    const live = <T>(v: T): T | [] => (Date.now() < this.reportUntil ? v : []);
    this.unobserve = [
      instrumentation.observe('medfusion.fleet.practice.lag', () => live(this.lags)),
      instrumentation.observe('medfusion.fleet.dead_letters.waiting', () =>
        live(
          this.deadLetters === undefined
            ? []
            : [{ value: this.deadLetters, attributes: { 'medfusion.environment': o.environment } }],
        ),
      ),
    ];
  }

  /**
   * Writes this minute's snapshot unless another worker did; the writer also purges and refreshes
   * the gauges. Resolves with whether this worker wrote it.
   */
  async tick(): Promise<boolean> {
    const { environment } = this.o;
    const deadLetters = await this.o.deadLetters().catch(() => undefined);
    const s = this.s;
    const written = await run(
      this.pool,
      'fleet.snapshot',
      `WITH p AS (
         SELECT f.*, extract(epoch FROM now() - f.last_success_at)::float8 AS lag
           FROM ${s}.fleet_practices f WHERE f.environment = $1
       ), since AS (
         SELECT COALESCE((SELECT taken_at FROM ${s}.fleet_snapshots WHERE environment = $1
                           ORDER BY minute DESC LIMIT 1), now() - interval '1 minute') AS t
       ), r AS (
         SELECT count(*) FILTER (WHERE kind = 'sync' AND outcome = 'synced')::int AS syncs,
                count(*) FILTER (WHERE outcome = 'failed')::int AS failures,
                COALESCE(sum(patients) FILTER (WHERE kind = 'sync'), 0)::int AS patients
           FROM ${s}.fleet_runs, since
          WHERE environment = $1 AND finished_at > since.t
       ), a AS (
         SELECT count(*)::int AS practices,
                count(*) FILTER (WHERE lag <= $2)::int AS current,
                count(*) FILTER (WHERE lag > $2)::int AS stale,
                count(*) FILTER (WHERE last_success_at IS NULL)::int AS never_synced,
                count(*) FILTER (WHERE last_outcome = 'failed')::int AS failing,
                count(*) FILTER (WHERE not_before > now())::int AS rate_limited,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS lag_p50,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY lag) AS lag_p90,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS lag_p99,
                max(lag) AS lag_max
           FROM p
       ), l AS (
         SELECT count(DISTINCT c.practice_id)::int AS syncing
           FROM ${s}.checkpoints c
           JOIN p ON p.practice_id = c.practice_id
          WHERE c.environment = $1 AND c.lease_expires_at > now()
       )
       INSERT INTO ${s}.fleet_snapshots (environment, minute, taken_at, practices, current, stale,
              never_synced, failing, rate_limited, syncing, lag_p50, lag_p90, lag_p99, lag_max,
              syncs, failures, patients, dead_letters)
       SELECT $1, date_trunc('minute', now()), now(), a.practices, a.current, a.stale, a.never_synced,
              a.failing, a.rate_limited, l.syncing, a.lag_p50, a.lag_p90, a.lag_p99, a.lag_max,
              r.syncs, r.failures, r.patients, $3
         FROM a, r, l
        WHERE NOT EXISTS (SELECT 1 FROM ${s}.fleet_snapshots
                           WHERE environment = $1 AND minute = date_trunc('minute', now()))
       ON CONFLICT (environment, minute) DO NOTHING
       RETURNING taken_at`,
      [environment, this.o.staleAfterSeconds, deadLetters ?? null],
    );
    if (written.rows.length === 0) return false;
    await this.purge();
    const lags = await run(
      this.pool,
      'fleet.snapshot',
      `SELECT practice_id, extract(epoch FROM now() - last_success_at)::float8 AS lag
         FROM ${s}.fleet_practices WHERE environment = $1 AND last_success_at IS NOT NULL`,
      [environment],
    );
    this.lags = (lags.rows as { practice_id: string; lag: number }[]).map((r) => ({
      value: Math.max(0, r.lag),
      attributes: { 'medfusion.practice.id': r.practice_id, 'medfusion.environment': environment },
    }));
    this.deadLetters = deadLetters;
    this.reportUntil = Date.now() + 90_000;
    return true;
  }

  /** Deletes run-log rows and snapshots past the retention, a batch at a time. */
  private async purge(): Promise<void> {
    const days = this.o.retentionDays;
    await run(
      this.pool,
      'fleet.purge',
      `DELETE FROM ${this.s}.fleet_runs WHERE id IN (
         SELECT id FROM ${this.s}.fleet_runs
          WHERE finished_at < now() - $1 * interval '1 day' ORDER BY finished_at LIMIT $2)`,
      [days, PURGE_BATCH],
    );
    await run(
      this.pool,
      'fleet.purge',
      `DELETE FROM ${this.s}.fleet_snapshots WHERE taken_at < now() - $1 * interval '1 day'`,
      [days],
    );
  }

  /** Stops reporting the gauges. */
  close(): void {
    for (const u of this.unobserve) u();
  }
}
