/**
 * Models of a submitted batch and of its processing status (wire spec sections 3 and 5), as named
 * interfaces with their codecs typed against them (see `patient.ts`).
 */
import * as t from 'io-ts';
import type { HasLastResponse } from '../core/response-info';
import { struct, text } from './codec';

const anyText = text();

/** A `Date` instance holding a valid time. */
export const DateCodec = new t.Type<Date, Date, unknown>(
  'Date',
  (u): u is Date => u instanceof Date && !Number.isNaN(u.getTime()),
  (u, c) =>
    u instanceof Date && !Number.isNaN(u.getTime()) ? t.success(u) : t.failure(u, c, 'dateTime'),
  t.identity,
);

/** The body of a 202 (or 400) to a POST (`<ProcessingResponse>`): all text, all optional. */
export interface ProcessingResponse {
  /** The processing job (`<DataJobId>`, older servers `<dataJobId>`). */
  dataJobId?: string;
  /** The acceptance's message id (`<MessageId>`). */
  messageId?: string;
  /** `Successful` or `Failure` (`<ProcessingStatus>`). */
  processingStatus?: string;
  /** The server's message (`<ResponseMessage>`); it can quote submitted values: never log it. */
  responseMessage?: string;
}

/** Why a message ended in `ERROR` (`<Error>` of a processing-status message). */
export interface MessageError {
  /** The server's code, such as `PATIENT_NOT_FOUND`. */
  code?: string;
  /** Its description; it can quote submitted values. */
  description?: string;
  /** Its severity, such as `FATAL`. */
  severity?: string;
}

/** One message of a job (`<Message>`): the job itself (no `practiceResourceId`) or one patient. */
export interface BatchMessage {
  /** The message id (`<MessageId>`). */
  messageId: string;
  /** `PROCESSING`, `COMPLETED`, `ERROR`, or another state the server reports (`<Status>/<State>`). */
  state: string;
  /** The patient's practice patient id (`<PracticeResourceId>`); absent on the job's own message. */
  practiceResourceId?: string;
  /** When the state was reached (`<StatusDate>`), read as UTC when the server gives no zone. */
  statusDate?: Date;
  /** Why it failed, when it did. */
  error?: MessageError;
}

/**
 * Where a batch is. `done` once every message is `COMPLETED` or `ERROR`; `state` sums it up:
 * `PENDING` (not done), `COMPLETED` (all completed), `ERROR` (all failed), `PARTIAL` (some failed).
 */
export interface BatchStatus extends HasLastResponse {
  /** The processing job (`<DataJobId>`). */
  dataJobId: string;
  /** Every message is `COMPLETED` or `ERROR`. */
  done: boolean;
  /** The job summed up; a finished job can be `ERROR` or `PARTIAL` without anything throwing. */
  state: 'PENDING' | 'COMPLETED' | 'ERROR' | 'PARTIAL';
  /** The job's message first, then one per patient. */
  messages: BatchMessage[];
}

const ProcessingResponseRaw = struct(
  'ProcessingResponse',
  {},
  {
    dataJobId: anyText,
    messageId: anyText,
    processingStatus: anyText,
    responseMessage: anyText,
  },
);
const MessageErrorRaw = struct(
  'MessageError',
  {},
  { code: anyText, description: anyText, severity: anyText },
);
const BatchMessageRaw = struct(
  'BatchMessage',
  { messageId: anyText, state: anyText },
  { practiceResourceId: anyText, statusDate: DateCodec, error: MessageErrorRaw },
);
const BatchStatusRaw = struct(
  'BatchStatus',
  {
    dataJobId: anyText,
    done: t.boolean,
    state: t.keyof({ PENDING: null, COMPLETED: null, ERROR: null, PARTIAL: null }),
    messages: t.array(BatchMessageRaw),
  },
  {},
);

/** The codecs as io-ts built them, for the type-level test that they equal the interfaces. */
export const rawBatchCodecs = {
  ProcessingResponse: ProcessingResponseRaw,
  MessageError: MessageErrorRaw,
  BatchMessage: BatchMessageRaw,
  BatchStatus: BatchStatusRaw,
};

/** Validates a {@link ProcessingResponse}. */
export const ProcessingResponseCodec: t.Type<ProcessingResponse, unknown, unknown> =
  ProcessingResponseRaw;
/** Validates a {@link MessageError}. */
export const MessageErrorCodec: t.Type<MessageError, unknown, unknown> = MessageErrorRaw;
/** Validates a {@link BatchMessage}. */
export const BatchMessageCodec: t.Type<BatchMessage, unknown, unknown> = BatchMessageRaw;
/** Validates a {@link BatchStatus}. */
export const BatchStatusCodec: t.Type<
  Omit<BatchStatus, 'lastResponse'>,
  unknown,
  unknown
> = BatchStatusRaw;

/** What a successful POST returns: the job to follow and what was in it. */
export interface BatchSubmission extends HasLastResponse {
  /** The processing job id (from `DataJobId`). */
  dataJobId: string;
  /** Absolute URL of the job's processing status (the `Location` header). */
  statusUrl: string;
  /** The `BatchId` the SDK sent (v1/v2); the key to recognise a resubmission. */
  batchId?: string;
  /** The `MessageId` of the acceptance, when the server gave one. */
  messageId?: string;
  /** The practice patient ids in the batch, in order. */
  practicePatientIds: string[];
}
