/**
 * The operator view, read from the database only: one line per practice (last successful sync, lag,
 * pages and patients of the last run, current lease holder, last error class) and a summary.
 */
import { run, schemaIdent, type SqlClient } from '../postgres/sql';

/** One practice as the operator sees it. */
export interface PracticeStatus {
  /** The practice. */
  practiceId: string;
  /** The Medfusion environment's label, as in its checkpoint. */
  environment: string;
  /** When its last successful sync ended. */
  lastSuccessAt: Date | undefined;
  /** Seconds since then (`undefined`: never synced). */
  lagSeconds: number | undefined;
  /** How its last run ended: `synced`, `failed`, `rate-limited`, `handed-back`, `lease-held`. */
  lastOutcome: string | undefined;
  /** Pages of its last run. */
  lastRunPages: number | undefined;
  /** Patients of its last run. */
  lastRunPatients: number | undefined;
  /** The worker holding its lease now, if any. */
  leaseHolder: string | undefined;
  /**
   * `held` while its holder renews it; `expiring` when the holder stopped renewing (a process killed
   * or stopped): the lease frees itself at `leaseExpiresAt`, nobody is syncing the practice.
   */
  leaseState: 'held' | 'expiring' | undefined;
  /** When the current lease expires unless renewed. */
  leaseExpiresAt: Date | undefined;
  /** The class of its last failure (cleared by a success). */
  lastErrorClass: string | undefined;
  /** Failures in a row. */
  consecutiveFailures: number;
  /** Rate-limited until then, when in the future. */
  rateLimitedUntil: Date | undefined;
  /** Invitation batches holding patients whose outcome is unknown (`sending` in the ledger). */
  unknownInvitationBatches: number;
  /** Patients whose invitation's outcome is unknown. */
  unknownInvitations: number;
}

/** Counts over the fleet. */
export interface FleetSummary {
  /** The fleet's practices (synced or invited by a worker at least once) in the environment shown. */
  practices: number;
  /** Synced within `staleAfterSeconds`. */
  current: number;
  /** Synced before, but not within `staleAfterSeconds`. */
  stale: number;
  /** Never synced. */
  neverSynced: number;
  /** Whose last run failed. */
  failing: number;
  /** Rate-limited now. */
  rateLimited: number;
  /** Leased by a worker that is renewing its lease (syncing now). */
  syncing: number;
  /** Leased by a worker that stopped renewing (gone): free again when the lease expires. */
  expiringLeases: number;
  /** Invitation batches holding patients of unknown outcome, all practices. */
  unknownInvitationBatches: number;
  /** Patients whose invitation's outcome is unknown, all practices. */
  unknownInvitations: number;
  /** Jobs in the dead-letter queue, when the pg-boss schema was given. */
  deadLetters: number | undefined;
}

/** The operator view. */
export interface FleetStatus {
  /** When it was read (the database's clock). */
  at: Date;
  /** The environment shown (`all`: every one). */
  environment: string;
  /** One entry per practice, by practice id. */
  practices: PracticeStatus[];
  /** Counts. */
  summary: FleetSummary;
}

/** Options of {@link readFleetStatus}. */
export interface FleetStatusOptions {
  /** Schema of the SDK's tables. @default 'medfusion' */
  schema?: string;
  /** pg-boss's schema, to count dead letters. @default none (not counted) */
  bossSchema?: string;
  /** The dead-letter queue's name. @default 'medfusion.dead-letter' */
  deadLetterQueue?: string;
  /** A sync older than this is stale. @default 900 */
  staleAfterSeconds?: number;
  /**
   * The environment shown: the fleet's practices of this environment (the fleet's own option).
   * `'all'` shows every environment. @default 'production'
   */
  environment?: string;
}

interface Row {
  practice_id: string;
  environment: string;
  last_success_at: Date | null;
  lag_seconds: number | null;
  last_outcome: string | null;
  last_run_pages: number | null;
  last_run_patients: number | null;
  lease_holder: string | null;
  lease_expires_at: Date | null;
  lease_live: boolean | null;
  last_error_class: string | null;
  consecutive_failures: number | null;
  rate_limited_until: Date | null;
  unknown_batches: number;
  unknown_patients: number;
  now: Date;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/**
 * Reads the fleet's state: run it anywhere with a connection, no worker needed.
 *
 * @throws {StateStoreError} the database refused (tables missing: run a worker, or `migrate`, once).
 */
export async function readFleetStatus(
  db: SqlClient,
  options: FleetStatusOptions = {},
): Promise<FleetStatus> {
  const s = schemaIdent(options.schema ?? 'medfusion');
  const stale = options.staleAfterSeconds ?? 900;
  const environment = options.environment ?? 'production';
  const res = await run(
    db,
    'fleet.status',
    `WITH ids AS (
       -- The fleet's practices (synced or invited by a FleetWorker), of one environment or all.
       SELECT practice_id, environment FROM ${s}.fleet_practices WHERE $1 = 'all' OR environment = $1
     ), leases AS (
       -- A live holder renews every third of its lease: past half of it without a renewal, it is gone.
       SELECT DISTINCT ON (practice_id, environment) practice_id, environment, holder,
              lease_expires_at,
              lease_renewed_at IS NULL
                OR now() - lease_renewed_at < (lease_expires_at - lease_renewed_at) / 2 AS live
         FROM ${s}.checkpoints
        WHERE lease_expires_at > now() AND ($1 = 'all' OR environment = $1)
        ORDER BY practice_id, environment, lease_expires_at DESC
     ), unknown AS (
       SELECT practice_id, count(DISTINCT batch_key)::int AS batches, count(*)::int AS patients
         FROM ${s}.invitation_patients WHERE state = 'sending' GROUP BY practice_id
     )
     SELECT ids.practice_id, ids.environment, f.last_success_at,
            extract(epoch FROM now() - f.last_success_at)::float8 AS lag_seconds,
            f.last_outcome, f.last_run_pages, f.last_run_patients, leases.holder AS lease_holder,
            leases.lease_expires_at, leases.live AS lease_live,
            f.last_error_class, f.consecutive_failures,
            CASE WHEN f.not_before > now() THEN f.not_before END AS rate_limited_until,
            COALESCE(unknown.batches, 0) AS unknown_batches,
            COALESCE(unknown.patients, 0) AS unknown_patients, now() AS now
       FROM ids
       LEFT JOIN ${s}.fleet_practices f USING (practice_id, environment)
       LEFT JOIN leases USING (practice_id, environment)
       LEFT JOIN unknown USING (practice_id)
      ORDER BY ids.practice_id, ids.environment`,
    [environment],
  );
  const rows = res.rows as Row[];
  const practices = rows.map((r): PracticeStatus => ({
    practiceId: r.practice_id,
    environment: r.environment,
    lastSuccessAt: opt(r.last_success_at),
    lagSeconds: r.lag_seconds === null ? undefined : Math.max(0, r.lag_seconds),
    lastOutcome: opt(r.last_outcome),
    lastRunPages: opt(r.last_run_pages),
    lastRunPatients: opt(r.last_run_patients),
    leaseHolder: opt(r.lease_holder),
    leaseState: r.lease_holder === null ? undefined : r.lease_live ? 'held' : 'expiring',
    leaseExpiresAt: opt(r.lease_expires_at),
    lastErrorClass: opt(r.last_error_class),
    consecutiveFailures: r.consecutive_failures ?? 0,
    rateLimitedUntil: opt(r.rate_limited_until),
    unknownInvitationBatches: r.unknown_batches,
    unknownInvitations: r.unknown_patients,
  }));
  const count = (f: (p: PracticeStatus) => boolean): number => practices.filter(f).length;
  return {
    at: rows[0]?.now ?? new Date(),
    environment,
    practices,
    summary: {
      practices: practices.length,
      current: count((p) => p.lagSeconds !== undefined && p.lagSeconds <= stale),
      stale: count((p) => p.lagSeconds !== undefined && p.lagSeconds > stale),
      neverSynced: count((p) => p.lastSuccessAt === undefined),
      failing: count((p) => p.lastOutcome === 'failed'),
      rateLimited: count((p) => p.rateLimitedUntil !== undefined),
      syncing: count((p) => p.leaseState === 'held'),
      expiringLeases: count((p) => p.leaseState === 'expiring'),
      unknownInvitationBatches: practices.reduce((n, p) => n + p.unknownInvitationBatches, 0),
      unknownInvitations: practices.reduce((n, p) => n + p.unknownInvitations, 0),
      deadLetters: options.bossSchema
        ? await deadLetters(
            db,
            options.bossSchema,
            options.deadLetterQueue ?? 'medfusion.dead-letter',
          )
        : undefined,
    },
  };
}

/** Jobs waiting in the dead-letter queue, from pg-boss's own table (0 when it has none yet). */
async function deadLetters(db: SqlClient, bossSchema: string, queue: string): Promise<number> {
  const s = schemaIdent(bossSchema);
  const found = await run(db, 'fleet.status', `SELECT to_regclass($1) IS NOT NULL AS ok`, [
    `${s}.job`,
  ]);
  if (!(found.rows[0] as { ok: boolean } | undefined)?.ok) return 0;
  const res = await run(
    db,
    'fleet.status',
    `SELECT count(*)::int AS n FROM ${s}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
    [queue],
  );
  return (res.rows[0] as { n: number } | undefined)?.n ?? 0;
}

/** Seconds as `42s`, `7m`, `3h`, `2d`. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return 'never';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** The status as a table (one line per practice) and a summary, for a terminal or a log file. */
export function formatFleetStatus(status: FleetStatus): string {
  const header = [
    'PRACTICE',
    'ENVIRONMENT',
    'LAST SUCCESS',
    'LAG',
    'PAGES',
    'PATIENTS',
    'LEASE',
    'OUTCOME',
    'LAST ERROR',
  ];
  const lines = status.practices.map((p) => [
    p.practiceId,
    p.environment,
    p.lastSuccessAt?.toISOString() ?? '-',
    formatAge(p.lagSeconds),
    p.lastRunPages?.toString() ?? '-',
    p.lastRunPatients?.toString() ?? '-',
    p.leaseHolder ? `${p.leaseHolder}${p.leaseState === 'expiring' ? ' (expiring)' : ''}` : '-',
    p.lastOutcome ?? '-',
    p.lastErrorClass
      ? `${p.lastErrorClass}${p.consecutiveFailures > 1 ? ` x${p.consecutiveFailures}` : ''}`
      : '-',
  ]);
  const s = status.summary;
  const summary =
    `${s.practices} practices: ${s.current} current, ${s.stale} stale, ${s.neverSynced} never synced, ` +
    `${s.failing} failing, ${s.rateLimited} rate-limited, ${s.syncing} syncing now` +
    (s.expiringLeases > 0 ? `, ${s.expiringLeases} lease(s) of a gone worker expiring` : '') +
    '; ' +
    `${s.unknownInvitations} invitation(s) of unknown outcome in ${s.unknownInvitationBatches} batch(es)` +
    (s.deadLetters !== undefined ? `; ${s.deadLetters} dead letter(s)` : '');
  return [...formatTable(header, lines), '', summary].join('\n');
}

/** A header and rows as aligned columns, two spaces apart: one line each. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
