/**
 * What the dashboard reads, beside the fleet's status: the history of snapshots, and one practice's
 * detail (its runs, its checkpoint's age and lease, its invitation batches of unknown outcome).
 * Counts, times, classes and ids only: a cursor is shown as its age, never its bytes.
 */
import { cursorTime } from '../core/cursor';
import { run, schemaIdent, type SqlClient } from '../postgres/sql';

/** One minute of the fleet (a row of `fleet_snapshots`). */
export interface FleetSnapshot {
  /** When it was taken. */
  takenAt: Date;
  /** The fleet's practices. */
  practices: number;
  /** Synced within `staleAfterSeconds`. */
  current: number;
  /** Synced before, not within `staleAfterSeconds`. */
  stale: number;
  /** Never synced. */
  neverSynced: number;
  /** Whose last run failed. */
  failing: number;
  /** Rate-limited then. */
  rateLimited: number;
  /** Leased then. */
  syncing: number;
  /** Median lag, in seconds (`null`: no practice synced yet). */
  lagP50: number | null;
  /** 90th percentile of the lag, in seconds. */
  lagP90: number | null;
  /** 99th percentile of the lag, in seconds. */
  lagP99: number | null;
  /** The largest lag, in seconds. */
  lagMax: number | null;
  /** Runs that ended synced since the previous snapshot. */
  syncs: number;
  /** Runs that failed since the previous snapshot. */
  failures: number;
  /** Patients synced since the previous snapshot. */
  patients: number;
  /** Jobs waiting in the dead-letter queue (`null`: unknown). */
  deadLetters: number | null;
}

/** One row of the run log. */
export interface FleetRun {
  /** `sync`, `invite` or `action`. */
  kind: string;
  /** How it ended (a `RunOutcome`, `invited`), or the action's name. */
  outcome: string;
  /** When it began. */
  startedAt: Date | null;
  /** When it ended. */
  finishedAt: Date;
  /** How long it ran. */
  durationMs: number | null;
  /** Pages of a sync. */
  pages: number | null;
  /** Patients of a sync, or of an invitation list. */
  patients: number | null;
  /** The class of a failure. */
  errorClass: string | null;
  /** Its code (SQLSTATE, `E…`, OAuth code). */
  errorCode: string | null;
  /** Its HTTP status, when Medfusion answered. */
  httpStatus: number | null;
  /** The worker, or the operator of an action. */
  actor: string | null;
  /** The pg-boss job. */
  jobId: string | null;
}

/** One practice's checkpoint, per API version. */
export interface CheckpointDetail {
  /** The API version of this checkpoint. */
  apiVersion: string;
  /** Whether it has a cursor (a run has moved it). */
  hasCursor: boolean;
  /** How far behind now the cursor's instant is, in seconds (Medfusion's form only). */
  cursorAgeSeconds: number | null;
  /** When the row last changed (a commit, a lease). */
  updatedAt: Date;
  /** The lease holder, if leased. */
  holder: string | null;
  /** When the lease expires unless renewed. */
  leaseExpiresAt: Date | null;
  /** When the holder last renewed it. */
  leaseRenewedAt: Date | null;
  /** The fence: moved on by every lease and by operator actions. */
  fence: number;
}

/** An invitation batch holding patients whose outcome is unknown. */
export interface UnknownBatch {
  /** The batch's key in the ledger. */
  batchKey: string;
  /** The `BatchId` it was sent with. */
  batchId: string | null;
  /** Its patients of unknown outcome. */
  patients: number;
  /** POSTs of it so far. */
  attempts: number;
  /** When it was first claimed. */
  createdAt: Date;
  /** When it was last sent or changed. */
  updatedAt: Date;
}

/** One practice in detail. */
export interface PracticeDetail {
  /** The practice. */
  practiceId: string;
  /** Its environment. */
  environment: string;
  /** Its last 50 runs and actions, the latest first. */
  runs: FleetRun[];
  /** Its checkpoints (one per API version). */
  checkpoints: CheckpointDetail[];
  /** Its invitation batches holding patients of unknown outcome. */
  unknownBatches: UnknownBatch[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The snapshots of the last `hours` (at most 7 days), oldest first. */
export async function readHistory(
  db: SqlClient,
  o: { schema: string; environment: string; hours: number },
): Promise<FleetSnapshot[]> {
  const res = await run(
    db,
    'dashboard.history',
    `SELECT * FROM ${schemaIdent(o.schema)}.fleet_snapshots
      WHERE environment = $1 AND minute > now() - $2 * interval '1 hour'
      ORDER BY minute`,
    [o.environment, Math.min(Math.max(o.hours, 1), 168)],
  );
  return (res.rows as Record<string, unknown>[]).map((r) => ({
    takenAt: r.taken_at as Date,
    practices: Number(r.practices),
    current: Number(r.current),
    stale: Number(r.stale),
    neverSynced: Number(r.never_synced),
    failing: Number(r.failing),
    rateLimited: Number(r.rate_limited),
    syncing: Number(r.syncing),
    lagP50: num(r.lag_p50),
    lagP90: num(r.lag_p90),
    lagP99: num(r.lag_p99),
    lagMax: num(r.lag_max),
    syncs: Number(r.syncs),
    failures: Number(r.failures),
    patients: Number(r.patients),
    deadLetters: num(r.dead_letters),
  }));
}

/** One practice: its last 50 runs, its checkpoints, its batches of unknown outcome. */
export async function readPractice(
  db: SqlClient,
  o: { schema: string; environment: string; practiceId: string },
): Promise<PracticeDetail> {
  const s = schemaIdent(o.schema);
  const ids = [o.practiceId, o.environment];
  // Three reads, sent together.
  const [runs, checkpoints, batches] = await Promise.all([
    run(
      db,
      'dashboard.practice',
      `SELECT kind, outcome, started_at, finished_at, duration_ms, pages, patients, error_class,
            error_code, http_status, actor, job_id
       FROM ${s}.fleet_runs WHERE practice_id = $1 AND environment = $2
      ORDER BY finished_at DESC LIMIT 50`,
      ids,
    ),
    run(
      db,
      'dashboard.practice',
      `SELECT api_version, cursor, updated_at, holder, lease_expires_at, lease_renewed_at, fence,
            now() AS now
       FROM ${s}.checkpoints WHERE practice_id = $1 AND environment = $2 ORDER BY api_version`,
      ids,
    ),
    run(
      db,
      'dashboard.practice',
      `SELECT b.batch_key, b.batch_id, b.attempts, b.created_at, b.updated_at,
            count(*)::int AS patients
       FROM ${s}.invitation_patients p
       JOIN ${s}.invitation_batches b ON b.batch_key = p.batch_key
      WHERE p.practice_id = $1 AND p.state = 'sending'
      GROUP BY b.batch_key, b.batch_id, b.attempts, b.created_at, b.updated_at
      ORDER BY b.created_at`,
      [o.practiceId],
    ),
  ]);
  return {
    practiceId: o.practiceId,
    environment: o.environment,
    runs: (runs.rows as Record<string, unknown>[]).map((r) => ({
      kind: r.kind as string,
      outcome: r.outcome as string,
      startedAt: (r.started_at as Date | null) ?? null,
      finishedAt: r.finished_at as Date,
      durationMs: num(r.duration_ms),
      pages: num(r.pages),
      patients: num(r.patients),
      errorClass: (r.error_class as string | null) ?? null,
      errorCode: (r.error_code as string | null) ?? null,
      httpStatus: num(r.http_status),
      actor: (r.actor as string | null) ?? null,
      jobId: (r.job_id as string | null) ?? null,
    })),
    checkpoints: (checkpoints.rows as Record<string, unknown>[]).map((r) => {
      const cursor = r.cursor as string | null;
      const at = cursor === null ? undefined : cursorTime(cursor);
      return {
        apiVersion: r.api_version as string,
        hasCursor: cursor !== null,
        cursorAgeSeconds:
          at === undefined ? null : Math.max(0, ((r.now as Date).getTime() - at.ms) / 1000),
        updatedAt: r.updated_at as Date,
        holder: (r.holder as string | null) ?? null,
        leaseExpiresAt: (r.lease_expires_at as Date | null) ?? null,
        leaseRenewedAt: (r.lease_renewed_at as Date | null) ?? null,
        fence: Number(r.fence),
      };
    }),
    unknownBatches: (batches.rows as Record<string, unknown>[]).map((r) => ({
      batchKey: r.batch_key as string,
      batchId: (r.batch_id as string | null) ?? null,
      patients: Number(r.patients),
      attempts: Number(r.attempts),
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
    })),
  };
}
