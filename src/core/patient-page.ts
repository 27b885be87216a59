/** Reading one answer of the GET patient feed (wire spec section 4) into a {@link PatientPage}. */
import * as t from 'io-ts';
import { ValidationError, type ValidationIssue } from './errors';
import { decodeResponse } from './read-response';
import type { RawResponse } from '../models/response-info';
import { responseInfo, withLastResponse, type HasLastResponse } from '../models/response-info';
import type { Logger } from './logger';
import { isLeft, toIssues } from '../models/codec';
import type { ApiVersion } from '../models/enums';
import { PatientCodec, type Patient } from '../models/patient';
import { decodePatientBatch, patientElementText } from '../xml/documents';

/**
 * A patient record of a page that broke the model's rules, set aside in `quarantine` mode. It names
 * the record's position and the rules it broke; of its values only its `practicePatientId`, unless
 * the raw element was asked for.
 */
export interface InvalidRecord {
  /** Position of the record in its page (0-based), among all the page's records. */
  position: number;
  /** Every rule it broke: XML paths (`PatientBatch/Patient[3]/DateOfBirth`) or model paths (`patients[3].demographics.name.lastName`). */
  issues: ValidationIssue[];
  /** Its `PracticePatientId`, when it has a usable one. */
  practicePatientId?: string;
  /** The `Last-Timestamp` of its page. */
  cursor?: string;
  /** The record's `<Patient>` element as received: only with `includeRawRecord: true` (it holds PHI). */
  raw?: string;
}

/**
 * What to do with a patient record that breaks the model's rules: `strict` (the default) rejects the
 * whole page with a `ValidationError`; `quarantine` delivers the valid patients and sets the invalid
 * records aside (`invalidRecords`), so one bad record cannot stop a practice's sync.
 */
export type InvalidRecordPolicy = 'strict' | 'quarantine';

/** One answer of the feed. */
export interface PatientPage extends HasLastResponse {
  /** The patients, in the server's (timestamp) order. A patient may appear again in a later page with newer data. */
  patients: Patient[];
  /** The `Last-Timestamp` header: send it back verbatim as the next `since`. */
  cursor?: string;
  /** The server's `BatchId` of this page. */
  batchId?: string;
  /** Whether the feed may hold more right now (the page was full). */
  hasMore: boolean;
  /** In `quarantine` mode: the records set aside, in page order. */
  invalidRecords?: InvalidRecord[];
}

/** How a page is read. */
export interface PageReadOptions {
  /** @default 'strict' */
  invalidRecords?: InvalidRecordPolicy;
  /** Keep each invalid record's raw `<Patient>` element in `raw` (PHI: handle it as such). @default false */
  includeRawRecord?: boolean;
}

const Patients = t.array(PatientCodec);
const HINT =
  "one bad record stops this page: pass invalidRecords: 'quarantine' (and onInvalidRecord to sync) to deliver the valid patients and set it aside";

/** Turns a 200 or 204 into a page; a body that is not a patient batch is a typed error. */
export function readPatientPage(
  res: RawResponse,
  max: number,
  version: ApiVersion,
  logger: Logger,
  options: PageReadOptions = {},
): PatientPage {
  const cursor = res.headers['last-timestamp']?.trim() || undefined;
  const base = cursor !== undefined ? { cursor } : {};
  if (res.status === 204 || res.body.trim() === '')
    return withLastResponse({ patients: [], ...base, hasMore: false }, responseInfo(res));

  const decoded = decodeResponse(res, (body) =>
    decodePatientBatch(body, { strict: false, direction: 'response', expectedVersion: version }),
  );
  const quarantine = options.invalidRecords === 'quarantine';
  let patients: Patient[];
  const invalid: InvalidRecord[] = [];
  if (!quarantine) {
    // XML-level problems (a bad date, a bad number) first: the codec would only repeat them as `required`.
    if (decoded.issues.length > 0) throw new ValidationError('patient page', decoded.issues, HINT);
    const result = Patients.decode(decoded.patients);
    if (isLeft(result))
      throw new ValidationError('patient page', toIssues(result.left, 'patients'), HINT);
    patients = result.right;
  } else {
    // Problems of the batch itself cannot be set aside with one record.
    if (decoded.headerIssues.length > 0)
      throw new ValidationError('patient page', decoded.headerIssues);
    patients = [];
    decoded.patients.forEach((raw, position) => {
      const xmlIssues = decoded.patientIssues[position] ?? [];
      const result = PatientCodec.decode(raw);
      if (xmlIssues.length === 0 && !isLeft(result)) {
        patients.push(result.right);
        return;
      }
      const issues = [
        ...xmlIssues,
        ...(isLeft(result) && xmlIssues.length === 0
          ? toIssues(result.left, `patients[${position}]`)
          : []),
      ];
      const id = raw.practicePatientId;
      const text = options.includeRawRecord ? patientElementText(res.body, position) : undefined;
      invalid.push({
        position,
        issues,
        ...(typeof id === 'string' && id.trim() !== '' ? { practicePatientId: id } : {}),
        ...base,
        ...(text !== undefined ? { raw: text } : {}),
      });
    });
    if (invalid.length > 0)
      logger.warn('medfusion invalid patient records set aside', { count: invalid.length });
  }

  const unrecognized = patients.reduce((n, p) => n + (p.unrecognizedValues?.length ?? 0), 0);
  if (unrecognized > 0) {
    logger.warn('medfusion values outside known enumerations were kept', { count: unrecognized });
  }
  return withLastResponse(
    {
      patients,
      ...base,
      ...(decoded.header.batchId ? { batchId: decoded.header.batchId } : {}),
      // Full by its records, valid or not: a page of set-aside records still has a next page.
      hasMore: decoded.patients.length >= max && cursor !== undefined,
      ...(quarantine ? { invalidRecords: invalid } : {}),
    },
    responseInfo(res),
  );
}

/** How many records a page held, the set-aside ones included. */
export const recordsOf = (page: PatientPage): number =>
  page.patients.length + (page.invalidRecords?.length ?? 0);
