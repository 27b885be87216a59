export { MedfusionClient } from './client';
export type { ClientOptions, SenderOptions, ResolvedOptions } from './internal/options';
export type { ProxyOption, ResolvedProxy } from './internal/proxy';
export { TokenCache } from './internal/auth';
export { RequestLimiter } from './internal/limiter';
export type {
  Credentials,
  PasswordCredentials,
  AppTokenCredentials,
  AccessTokenCredentials,
  BasicAuthEncoding,
} from './internal/auth';
export { pinoLogger, type PinoLike } from './internal/log';
export type { Logger, LogLevel } from './core/logger';
export type { Backoff } from './internal/retry';
export type { RequestOptions } from './core/request';

export { PagePromise, type PageSource } from './core/page-promise';
export type { ResponseInfo, HasLastResponse, ResponseHeaders } from './models/response-info';
export type {
  PatientPage,
  InvalidRecord,
  InvalidRecordPolicy,
  PageReadOptions,
} from './core/patient-page';
export {
  FileCheckpointStore,
  MemoryCheckpointStore,
  type CheckpointStore,
  type TransactionalCheckpointStore,
  type CheckpointContext,
  type CheckpointRun,
  type CommitControl,
} from './core/checkpoint';
export { MAX_CURSOR_AHEAD_MS, MAX_CURSOR_LENGTH, type CursorFormat } from './core/cursor';
export { MAX_TIMER_MS } from './core/limits';
export {
  FileInvitationLedger,
  inviteRecordHash,
  type InvitationLedger,
  type LedgerBatch,
  type LedgerPatient,
  type LedgerState,
  type LedgerSubmission,
  type NewLedgerBatch,
} from './core/ledger';
export type {
  SyncOptions,
  SyncOptionsBase,
  AtLeastOnceSyncOptions,
  ExactlyOnceSyncOptions,
  SyncResult,
  SyncProgress,
} from './core/sync';
export type {
  InviteProgress,
  InvitationReport,
  InvitationResults,
  ChangedInvite,
} from './core/chunks';
export type { InviteOptions, InviteManyOptions, UpdatedPatientsParams } from './resources/patients';
export type { WaitOptions } from './resources/batches';
export { Patients } from './resources/patients';
export { Batches } from './resources/batches';

export {
  MedfusionError,
  ValidationError,
  ConfigurationError,
  APIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  UnsupportedMediaTypeError,
  RateLimitError,
  InternalServerError,
  OAuthError,
  ConnectionError,
  TimeoutError,
  AbortError,
  ResponseParseError,
  SubmissionOutcomeUnknownError,
  WaitTimeoutError,
  PaginationLoopError,
  CursorError,
  CallbackTimeoutError,
  type CursorRule,
  type AbortReason,
  PartialSubmissionError,
  LeaseLostError,
  LeaseHeldError,
  StateStoreError,
  type ValidationIssue,
  type APIErrorInit,
  type SafeCause,
  SAFE_ERROR_HEADERS,
} from './core/errors';

export {
  NameCodec,
  PartialNameCodec,
  AddressCodec,
  DemographicsCodec,
  PatientDemographicsCodec,
  EmergencyContactCodec,
  EmploymentCodec,
  GuarantorCodec,
  BillingCodec,
  InsuranceCodec,
  ProviderCodec,
  PatientInviteCodec,
  PatientCodec,
  type Name,
  type PartialName,
  type Address,
  type Demographics,
  type PatientDemographics,
  type CodedValue,
  type OpenEnum,
  type EmergencyContact,
  type Employment,
  type Guarantor,
  type Billing,
  type Insurance,
  type Provider,
  type PatientInvite,
  type Patient,
  type PatientStatus,
  type PreferredLocation,
  type Insurances,
  type InsuranceImage,
  type InsuranceImages,
} from './models/patient';
export {
  BatchStatusCodec,
  BatchMessageCodec,
  MessageErrorCodec,
  ProcessingResponseCodec,
  type BatchStatus,
  type BatchMessage,
  type MessageError,
  type ProcessingResponse,
  type BatchSubmission,
} from './models/batch';
export * as enums from './models/enums';
export type { ApiVersion, Gender } from './models/enums';
export { VERSION } from './version';
