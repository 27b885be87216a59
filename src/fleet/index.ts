/**
 * `medfusion-patient-sdk/fleet`: keep hundreds or thousands of practices in sync from several
 * workers, on pg-boss (a PostgreSQL job queue) and the SDK's PostgreSQL state. `pg-boss` (12, Node
 * 22+) and `pg` are optional peer dependencies: pass your own `PgBoss` and `pg.Pool`; nothing here
 * loads either. See docs/fleet.md.
 */
export {
  FleetWorker,
  type FleetWorkerOptions,
  type FleetWorkerStats,
  type FleetRetryOptions,
  type FleetPage,
} from './worker';
export { FleetJobError, type FleetJobKind, type FleetCallback } from './errors';
export {
  readFleetStatus,
  formatFleetStatus,
  formatAge,
  type FleetStatus,
  type FleetStatusOptions,
  type FleetSummary,
  type PracticeStatus,
} from './status';
export { migrateFleet, FLEET_DDL } from './schema';
export {
  FleetOperations,
  type FleetOperationsOptions,
  type OperationsBoss,
  type DeadLetter,
  type DeadLetterReason,
  type FencedResult,
} from './operations';
export type { RunOutcome } from './state';
export type { ClientOptionsFor } from './clients';
export {
  queueNames,
  type FleetBoss,
  type FleetQueues,
  type BossJob,
  type BossQueueOptions,
  type BossSendOptions,
  type BossWorkOptions,
  type BossJobInsert,
  type BossFoundJob,
  type BossQueueInfo,
  type SyncJobData,
  type InviteJobData,
} from './boss';
