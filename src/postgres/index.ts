/**
 * `medfusion-patient-sdk/postgres`: durable state in your PostgreSQL database. A leased, fenced
 * checkpoint per practice (exactly-once sync), and the invitation ledger. `pg` is an optional peer
 * dependency: pass your own `pg.Pool`; nothing here loads `pg` itself. See docs/durable-state.md.
 */
export {
  PostgresCheckpointStore,
  type PostgresCheckpointStoreOptions,
  type CheckpointRow,
} from './checkpoint-store';
export { PostgresInvitationLedger, type PostgresInvitationLedgerOptions } from './ledger';
export { migrate, SCHEMA_VERSION, type MigrateOptions } from './schema';
export type { SqlClient, SqlPool, SqlPoolClient, SqlQuery, SqlResult } from './sql';
export { LeaseLostError, LeaseHeldError, StateStoreError } from '../core/errors';
export type {
  CheckpointRun,
  CheckpointContext,
  CommitControl,
  TransactionalCheckpointStore,
} from '../core/checkpoint';
export type {
  InvitationLedger,
  LedgerBatch,
  LedgerPatient,
  LedgerState,
  LedgerSubmission,
  NewLedgerBatch,
} from '../core/ledger';
