/** Reading one answer of the GET patient feed (wire spec section 4) into a {@link PatientPage}. */
import * as t from 'io-ts';
import { ValidationError } from './errors';
import { decodeResponse } from './read-response';
import type { RawResponse } from '../internal/transport';
import type { Logger } from '../internal/log';
import { isLeft, toIssues } from '../models/codec';
import type { ApiVersion } from '../models/enums';
import { PatientCodec, type Patient } from '../models/patient';
import { decodePatientBatch } from '../xml/documents';

/** One answer of the feed. */
export interface PatientPage {
  /** The patients, in the server's (timestamp) order. A patient may appear again in a later page with newer data. */
  patients: Patient[];
  /** The `Last-Timestamp` header: send it back verbatim as the next `since`. */
  cursor?: string;
  /** The server's `BatchId` of this page. */
  batchId?: string;
  /** Whether the feed may hold more right now (the page was full). */
  hasMore: boolean;
}

const Patients = t.array(PatientCodec);

/** Turns a 200 or 204 into a page; a body that is not a patient batch is a typed error. */
export function readPatientPage(
  res: RawResponse,
  max: number,
  version: ApiVersion,
  logger: Logger,
): PatientPage {
  const cursor = res.headers['last-timestamp']?.trim() || undefined;
  const base = cursor !== undefined ? { cursor } : {};
  if (res.status === 204 || res.body.trim() === '')
    return { patients: [], ...base, hasMore: false };

  const decoded = decodeResponse(res, (body) =>
    decodePatientBatch(body, { strict: false, direction: 'response', expectedVersion: version }),
  );
  // XML-level problems (a bad date, a bad number) first: the codec would only repeat them as `required`.
  if (decoded.issues.length > 0) throw new ValidationError('patient page', decoded.issues);
  const result = Patients.decode(decoded.patients);
  if (isLeft(result)) throw new ValidationError('patient page', toIssues(result.left, 'patients'));

  const patients = result.right;
  const unrecognized = patients.reduce((n, p) => n + (p.unrecognizedValues?.length ?? 0), 0);
  if (unrecognized > 0) {
    logger.warn('medfusion values outside known enumerations were kept', { count: unrecognized });
  }
  return {
    patients,
    ...base,
    ...(decoded.header.batchId ? { batchId: decoded.header.batchId } : {}),
    hasMore: patients.length >= max && cursor !== undefined,
  };
}
