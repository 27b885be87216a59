import type { HasLastResponse } from '../core/response-info';
/** Models of a submitted batch and of its processing status (wire spec sections 3 and 5). */
import * as t from 'io-ts';
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

/** The body of a 202 (or 400) to a POST: `ProcessingResponse`. */
export const ProcessingResponseCodec = struct(
  'ProcessingResponse',
  {},
  {
    dataJobId: anyText,
    messageId: anyText,
    processingStatus: anyText,
    responseMessage: anyText,
  },
);
export type ProcessingResponse = t.TypeOf<typeof ProcessingResponseCodec>;

/** Why a message ended in `ERROR`. */
export const MessageErrorCodec = struct(
  'MessageError',
  {},
  { code: anyText, description: anyText, severity: anyText },
);
export type MessageError = t.TypeOf<typeof MessageErrorCodec>;

/** One message of a job: the job itself (no `practiceResourceId`) or one patient. */
export const BatchMessageCodec = struct(
  'BatchMessage',
  { messageId: anyText, state: anyText },
  { practiceResourceId: anyText, statusDate: DateCodec, error: MessageErrorCodec },
);
export type BatchMessage = t.TypeOf<typeof BatchMessageCodec>;

/**
 * Where a batch is. `done` once every message is `COMPLETED` or `ERROR`; `state` sums it up:
 * `PENDING` (not done), `COMPLETED` (all completed), `ERROR` (all failed), `PARTIAL` (some failed).
 */
export const BatchStatusCodec = struct(
  'BatchStatus',
  {
    dataJobId: anyText,
    done: t.boolean,
    state: t.keyof({ PENDING: null, COMPLETED: null, ERROR: null, PARTIAL: null }),
    messages: t.array(BatchMessageCodec),
  },
  {},
);
export type BatchStatus = t.TypeOf<typeof BatchStatusCodec> & HasLastResponse;

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
