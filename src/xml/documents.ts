/**
 * The documents of the API, read and written through the schema tables: `PatientBatch` (POST body
 * and GET response), `ProcessingResponse`, `ProcessingStatus` and the v3 cancel-invitation body.
 * Used by the client and by the sandbox alike.
 */
import type { ValidationIssue } from '../models/codec';
import type { ApiVersion } from '../models/enums';
import {
  parseXml,
  XmlSyntaxError,
  asElement,
  childrenOf,
  type XmlDocument,
  type XmlElement,
} from './parse';
import {
  CANCEL_INVITATION,
  NAMESPACES,
  PATIENT,
  PATIENT_BATCH,
  PROCESSING_RESPONSE,
  PROCESSING_STATUS,
} from './schema';
import {
  compile,
  decodeNodes,
  encodeNodes,
  newState,
  type Direction,
  type DecodeState,
} from './walk';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const PREFIX = 'ns2';

/** Device attributes and arguments of `Sender` (and `Partner`, `Destination`). */
export interface Device {
  vendorName?: string;
  deviceName?: string;
  deviceVersion?: string;
  deviceLocalTime?: string;
  deviceUTCTime?: string;
  arguments?: { key: string; value: string }[];
}

/** Everything a `PatientBatch` holds besides the patients. */
export interface BatchHeader {
  batchId?: string;
  sender?: Device;
  partner?: Device;
  destination?: Device;
}

/** Values written from outside the patient model: the practice's ids. */
export interface PracticeContext {
  /** The integration practice UUID (`IntuitPracticeId` / `IntegrationPracticeId`). */
  practiceId: string;
  /** The practice's own id (`PracticeId`), when it has one. */
  practiceExternalId?: string;
}

function root(tag: string, namespace: string, inner: string): string {
  return `${XML_DECLARATION}<${PREFIX}:${tag} xmlns:${PREFIX}="${namespace}">${inner}</${PREFIX}:${tag}>`;
}

/** One `<Patient>` element. The sandbox caches these to serve pages cheaply. */
export function encodePatientElement(
  patient: unknown,
  version: ApiVersion,
  direction: Direction,
  practice: PracticeContext,
): string {
  const body = encodeNodes(compile(PATIENT, version, direction), patient, {
    direction,
    context: practice as unknown as Record<string, unknown>,
  });
  return `<Patient>${body}</Patient>`;
}

/** A whole `PatientBatch` from already encoded `<Patient>` elements. */
export function wrapPatientBatch(
  version: ApiVersion,
  direction: Direction,
  header: BatchHeader,
  patientElements: readonly string[],
): string {
  const headerNodes = compile(PATIENT_BATCH, version, direction);
  const head = encodeNodes(
    // The model has no `patients` here, so the table's Patient block writes nothing.
    headerNodes,
    { ...header, batchSize: patientElements.length },
    { direction, context: {} },
  );
  return root('PatientBatch', NAMESPACES.patient[version], head + patientElements.join(''));
}

/** Encodes a POST patient body. Inputs must already be valid `PatientInvite`s. */
export function encodePatientBatch(
  version: ApiVersion,
  header: BatchHeader,
  invites: readonly unknown[],
  practice: PracticeContext,
): string {
  const patients = invites.map((p) => encodePatientElement(p, version, 'request', practice));
  return wrapPatientBatch(version, 'request', header, patients);
}

/** A decoded `PatientBatch`, before its patients are checked against a codec. */
export interface DecodedPatientBatch {
  version: ApiVersion;
  header: BatchHeader & { batchSize?: number };
  /** The practice ids the patients carried (the last patient's). */
  practice: Partial<PracticeContext>;
  /** Each patient as a plain object, with `unrecognizedValues` where enums were unknown. */
  patients: Record<string, unknown>[];
  /** Problems of the XML itself: unknown, misplaced, empty elements, bad dates or numbers. */
  issues: ValidationIssue[];
  /** The same problems, of the batch's own elements (not of a patient). */
  headerIssues: ValidationIssue[];
  /** The same problems, per patient, in order. */
  patientIssues: ValidationIssue[][];
}

function versionOf(doc: XmlDocument): ApiVersion | undefined {
  const entries = Object.entries(NAMESPACES.patient) as [ApiVersion, string][];
  return entries.find(([, ns]) => ns === doc.namespace)?.[0];
}

function expectRoot(doc: XmlDocument, name: string): void {
  if (doc.root !== name) throw new XmlSyntaxError(`expected root element ${name}`);
}

/**
 * Reads a `PatientBatch`. `strict` (the sandbox) also enforces the namespace, unqualified children
 * and element rules of the real service; otherwise unknown elements are ignored and the version
 * falls back to `expectedVersion` when the namespace is not one we know.
 */
export function decodePatientBatch(
  body: string,
  opts: { strict: boolean; direction: Direction; expectedVersion?: ApiVersion },
): DecodedPatientBatch {
  const doc = parseXml(body, { dropEmptyElements: !opts.strict });
  expectRoot(doc, 'PatientBatch');
  const detected = versionOf(doc);
  const issues: ValidationIssue[] = [];
  if (opts.strict) {
    if (!detected || (opts.expectedVersion && detected !== opts.expectedVersion)) {
      issues.push({ path: 'PatientBatch', rule: 'namespace' });
    }
    if (doc.qualifiedChildren) issues.push({ path: 'PatientBatch', rule: 'unqualifiedChildren' });
  }
  const version = detected ?? opts.expectedVersion ?? 'v1';
  const headerState = newState();
  const batch = compile(PATIENT_BATCH, version, opts.direction);
  const header: Record<string, unknown> = {};
  const { Patient: _patients, ...rest } = doc.element;
  decodeNodes(batch, rest as XmlElement, header, headerState, opts, 'PatientBatch', '');
  issues.push(...headerState.issues);

  const patientTable = compile(PATIENT, version, opts.direction);
  const patients: Record<string, unknown>[] = [];
  const patientIssues: ValidationIssue[][] = [];
  const headerIssues = [...issues];
  let practice: Partial<PracticeContext> = {};
  (childrenOf(doc.element, 'Patient') ?? []).forEach((raw, i) => {
    const st: DecodeState = newState();
    const patient: Record<string, unknown> = {};
    decodeNodes(patientTable, asElement(raw), patient, st, opts, `PatientBatch/Patient[${i}]`, '');
    if (st.unrecognized.length > 0) patient.unrecognizedValues = st.unrecognized;
    issues.push(...st.issues);
    patientIssues.push(st.issues);
    practice = st.context as Partial<PracticeContext>;
    patients.push(patient);
  });
  if (opts.strict && patients.length === 0) {
    issues.push({ path: 'PatientBatch/Patient', rule: 'required' });
    headerIssues.push({ path: 'PatientBatch/Patient', rule: 'required' });
  }
  return {
    version,
    header: header as DecodedPatientBatch['header'],
    practice,
    patients,
    issues,
    headerIssues,
    patientIssues,
  };
}

/** The text of the `index`-th `<Patient>` element of a batch, for a caller who asked for it. */
export function patientElementText(body: string, index: number): string | undefined {
  const open = /<(?:[A-Za-z_][\w.-]*:)?Patient[\s>]/g;
  let match: RegExpExecArray | null = null;
  for (let i = 0; i <= index; i++) {
    match = open.exec(body);
    if (!match) return undefined;
  }
  if (!match) return undefined;
  const close = /<\/(?:[A-Za-z_][\w.-]*:)?Patient\s*>/g;
  close.lastIndex = match.index;
  const end = close.exec(body);
  return end ? body.slice(match.index, end.index + end[0].length) : undefined;
}

/** The fields of a `ProcessingResponse`. */
export interface ProcessingResponseFields {
  dataJobId?: string;
  messageId?: string;
  processingStatus?: string;
  responseMessage?: string;
}

/** Reads a `ProcessingResponse` (any namespace; `DataJobId` or `dataJobId`). */
export function decodeProcessingResponse(body: string): ProcessingResponseFields {
  const doc = parseXml(body, { dropEmptyElements: true });
  expectRoot(doc, 'ProcessingResponse');
  const out: Record<string, unknown> = {};
  decodeNodes(
    compile(PROCESSING_RESPONSE, 'v1', 'response'),
    doc.element,
    out,
    newState(),
    { strict: false },
    'ProcessingResponse',
    '',
  );
  return out;
}

/** Writes a `ProcessingResponse` (the sandbox's answer to a POST). */
export function encodeProcessingResponse(fields: ProcessingResponseFields): string {
  const inner = encodeNodes(compile(PROCESSING_RESPONSE, 'v1', 'request'), fields, {
    direction: 'request',
    context: {},
  });
  return root('ProcessingResponse', NAMESPACES.health, inner);
}

/** The raw fields of a processing status document, before the summary is computed. */
export interface ProcessingStatusFields {
  dataJobId?: string;
  messages?: {
    messageId?: string;
    practiceResourceId?: string;
    state?: string;
    statusDate?: Date;
    error?: { code?: string; description?: string; severity?: string };
  }[];
}

/** Reads a `ProcessingStatus` document. Bad dates are reported in `issues`. */
export function decodeProcessingStatus(body: string): {
  fields: ProcessingStatusFields;
  issues: ValidationIssue[];
} {
  const doc = parseXml(body, { dropEmptyElements: true });
  expectRoot(doc, 'ProcessingStatus');
  const out: Record<string, unknown> = {};
  const st = newState();
  decodeNodes(
    compile(PROCESSING_STATUS, 'v1', 'response'),
    doc.element,
    out,
    st,
    { strict: false },
    'ProcessingStatus',
    '',
  );
  return { fields: out, issues: st.issues };
}

/** Writes a `ProcessingStatus` document (the sandbox). */
export function encodeProcessingStatus(fields: ProcessingStatusFields): string {
  const inner = encodeNodes(compile(PROCESSING_STATUS, 'v1', 'request'), fields, {
    direction: 'request',
    context: {},
  });
  return root('ProcessingStatus', NAMESPACES.health, inner);
}

/** The v3 cancel-invitation body: default namespace, each child reset to no namespace. */
export function encodeCancelInvitation(practicePatientIds: readonly string[]): string {
  const inner = encodeNodes(
    compile(CANCEL_INVITATION, 'v3', 'request'),
    { practicePatientIds },
    { direction: 'request', context: {} },
  ).replace(/<PracticePatientId>/g, '<PracticePatientId xmlns="">');
  return `${XML_DECLARATION}<ExternalPatientIds xmlns="${NAMESPACES.patient.v3}">${inner}</ExternalPatientIds>`;
}

/** Reads a cancel-invitation body (the sandbox). */
export function decodeCancelInvitation(body: string): {
  practicePatientIds: string[];
  issues: ValidationIssue[];
} {
  const doc = parseXml(body);
  expectRoot(doc, 'ExternalPatientIds');
  const out: { practicePatientIds?: string[] } = {};
  const st = newState();
  if (doc.namespace !== NAMESPACES.patient.v3)
    st.issues.push({ path: 'ExternalPatientIds', rule: 'namespace' });
  decodeNodes(
    compile(CANCEL_INVITATION, 'v3', 'request'),
    doc.element,
    out,
    st,
    { strict: true },
    'ExternalPatientIds',
    '',
  );
  return { practicePatientIds: out.practicePatientIds ?? [], issues: st.issues };
}
