/**
 * `medfusion-patient-sdk/dashboard`: the fleet's web dashboard, to run alone
 * (`medfusion-fleet dashboard`) or inside your own service. Needs `pg`, as the fleet does; mounts
 * `@pg-boss/dashboard` under `/jobs` when it is installed. See docs/operations.md.
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './server';
export {
  readHistory,
  readPractice,
  type FleetSnapshot,
  type FleetRun,
  type CheckpointDetail,
  type UnknownBatch,
  type PracticeDetail,
} from './data';
