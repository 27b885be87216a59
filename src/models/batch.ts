/**
 * Models of a submitted batch and of its processing status (wire spec sections 3 and 5), as named
 * interfaces with their codecs typed against them (see `patient.ts`).
 */
import * as t from 'io-ts';
import type { BatchMessage, BatchStatus, MessageError, ProcessingResponse } from './types';
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

export type {
  BatchMessage,
  BatchStatus,
  BatchSubmission,
  MessageError,
  ProcessingResponse,
} from './types';
