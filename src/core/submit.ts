/**
 * POSTing a batch and reading its acceptance (wire spec sections 3 and 9). A POST is never repeated
 * once its body may have reached the server: see {@link SubmissionOutcomeUnknownError}.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'date-fns/format';
import { ResponseParseError, SubmissionOutcomeUnknownError } from './errors';
import type { ClientCore } from './resource';
import type { RequestOptions } from './request';
import type { RawResponse } from '../models/response-info';
import { responseInfo, withLastResponse } from '../models/response-info';
import type { BatchSubmission } from '../models/batch';
import { path } from './path';
import { decodeProcessingResponse, type Device } from '../xml/documents';
import { XmlSyntaxError } from '../xml/parse';

/** The `Sender` device: the configured names and the moment of sending. */
export function senderDevice(core: ClientCore, now = new Date()): Device {
  return {
    ...core.options.sender,
    deviceLocalTime: format(now, "yyyy-MM-dd'T'HH:mm:ss"),
    deviceUTCTime: now.toISOString().slice(0, 19),
  };
}

/** Sends one XML body that starts a processing job and returns the job to follow. */
export async function submit(
  core: ClientCore,
  req: {
    path: string;
    route: string;
    body: string;
    batchId?: string;
    practicePatientIds: string[];
  },
  options?: RequestOptions,
): Promise<BatchSubmission> {
  const { batchId, practicePatientIds } = req;
  const res = await core.transport.request({
    method: 'POST',
    path: req.path,
    route: req.route,
    body: req.body,
    contentType: 'application/xml',
    accept: 'application/xml',
    auth: { kind: 'bearer' },
    idempotent: false,
    onUnknownOutcome: (cause) =>
      new SubmissionOutcomeUnknownError(batchId, practicePatientIds, cause),
    ...(options ? { options } : {}),
  });
  const accepted = readAcceptance(res);
  if (!accepted.dataJobId) {
    // Accepted, but we cannot tell which job: the same remedy as an unknown outcome.
    const cause = new ResponseParseError(
      res.status,
      res.contentType,
      'no DataJobId in the body or Location',
    );
    throw new SubmissionOutcomeUnknownError(batchId, practicePatientIds, cause);
  }
  const o = core.options;
  return withLastResponse(
    {
      dataJobId: accepted.dataJobId,
      statusUrl:
        accepted.location ??
        `${o.baseUrl}/v1${path`/practice/${o.practiceId}/processingStatus/${accepted.dataJobId}`}`,
      ...(batchId !== undefined ? { batchId } : {}),
      ...(accepted.messageId ? { messageId: accepted.messageId } : {}),
      practicePatientIds,
    },
    responseInfo(res),
  );
}

function readAcceptance(res: RawResponse): {
  dataJobId?: string;
  messageId?: string;
  location?: string;
} {
  const location = res.headers.location;
  let fields: { dataJobId?: string; messageId?: string } = {};
  try {
    if (res.body.trim() !== '') fields = decodeProcessingResponse(res.body);
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
  }
  const fromLocation = location ? /\/processingStatus\/([^/?#]+)/.exec(location)?.[1] : undefined;
  const dataJobId =
    fields.dataJobId ?? (fromLocation ? decodeURIComponent(fromLocation) : undefined);
  return {
    ...(dataJobId ? { dataJobId } : {}),
    ...(fields.messageId ? { messageId: fields.messageId } : {}),
    ...(location ? { location } : {}),
  };
}

/** A fresh `BatchId` (v1/v2), or the caller's own to mark a deliberate resubmission. */
export const newBatchId = (given?: string): string => given ?? randomUUID();
