/** POST patient (wire spec section 3) and cancelinvitation (section 9): batches become jobs. */
import { randomUUID } from 'node:crypto';
import { inviteIssues } from '../../core/validate';
import type { ApiVersion } from '../../models/enums';
import type { PatientInvite } from '../../models/patient';
import {
  decodeCancelInvitation,
  decodePatientBatch,
  encodeProcessingResponse,
} from '../../xml/documents';
import { XmlSyntaxError } from '../../xml/parse';
import { empty, failure, xml, type EmulatorRequest, type EmulatorResponse } from '../responses';
import type { Message, SandboxState } from '../state';

export function postPatients(
  state: SandboxState,
  version: ApiVersion,
  req: EmulatorRequest,
): EmulatorResponse {
  const type = req.headers['content-type'] ?? '';
  if (!/^(application|text)\/xml\b/.test(type)) return empty(415);
  let decoded;
  try {
    decoded = decodePatientBatch(req.body, {
      strict: true,
      direction: 'request',
      expectedVersion: version,
    });
  } catch (error) {
    if (error instanceof XmlSyntaxError)
      return failure([{ path: 'PatientBatch', rule: error.reason }]);
    throw error;
  }
  const issues = [...decoded.issues];
  if (decoded.header.batchSize !== decoded.patients.length)
    issues.push({ path: 'PatientBatch/BatchSize', rule: 'equalsPatientCount' });
  if (version !== 'v3' && !decoded.header.batchId)
    issues.push({ path: 'PatientBatch/BatchId', rule: 'required' });
  if (decoded.practice.practiceId !== state.practiceId)
    issues.push({ path: 'PatientBatch/Patient/PracticeIdentifier', rule: 'practiceId' });
  decoded.patients.forEach((p, i) => {
    truncateStates(p);
    issues.push(...inviteIssues(p, version, `Patient[${i}]`));
  });
  if (issues.length > 0) return failure(issues);

  state.stats.batchesReceived++;
  const repeat = decoded.header.batchId ? state.batchIds.get(decoded.header.batchId) : undefined;
  if (repeat) {
    state.stats.duplicateBatches++;
    // The real server does not de-duplicate on BatchId: a resend is processed again (section 10).
    if (state.options.dedupeBatchIds) return accepted(state, repeat);
  }
  const invites = decoded.patients as unknown as PatientInvite[];
  for (const { practicePatientId: id } of invites) {
    const before = state.posts.get(id) ?? 0;
    if (before > 0) state.stats.repeatPatientPosts++;
    state.posts.set(id, before + 1);
  }
  const job = state.newJob(
    invites.map((p) => p.practicePatientId),
    (m, i) => processInvite(state, invites[i] as PatientInvite, m),
  );
  if (decoded.header.batchId && !repeat) state.batchIds.set(decoded.header.batchId, job.dataJobId);
  return accepted(state, job.dataJobId);
}

/**
 * What the real server does with a `State` longer than two characters: it keeps the first two
 * (section 10, the vendor's tests assert it). The client refuses such a value; the sandbox, like the
 * server, accepts and corrupts it.
 */
function truncateStates(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'state' && typeof value === 'string' && value.length > 2)
      (node as Record<string, unknown>)[key] = value.slice(0, 2);
    else truncateStates(value);
  }
}

/** The 202 of a batch: the job in the body and in `Location`. */
export function accepted(state: SandboxState, dataJobId: string): EmulatorResponse {
  const location = `${state.baseUrl}/v1/practice/${state.practiceId}/processingStatus/${dataJobId}`;
  return xml(
    202,
    encodeProcessingResponse({
      dataJobId,
      messageId: randomUUID(),
      processingStatus: 'Successful',
    }),
    { location },
  );
}

/**
 * What processing does to one patient (section 3): a new practice patient id is PROVISIONED and
 * invited; one not yet registered is updated and invited again (a second e-mail: what a resend
 * costs, section 10); a registered one is accepted without touching its data (the portal is the
 * system of record); a `MedfusionPatientId` links a self-registered account, and is an ERROR when
 * no such account exists.
 */
function processInvite(state: SandboxState, invite: PatientInvite, message: Message): void {
  const id = invite.practicePatientId;
  if (invite.medfusionPatientId !== undefined) {
    const ownerId = state.byMedfusionId.get(invite.medfusionPatientId);
    const owner = ownerId === undefined ? undefined : state.records.get(ownerId);
    if (!owner || ownerId === undefined) {
      message.state = 'ERROR';
      message.error = {
        code: 'PATIENT_NOT_FOUND',
        description: 'No patient with this MedfusionPatientId',
        severity: 'FATAL',
      };
      return;
    }
    if (ownerId !== id && !state.records.has(id)) {
      // Link the existing portal account to the practice's id: no new account, no invitation.
      state.records.delete(ownerId);
      owner.patient = { ...owner.patient, practicePatientId: id };
      state.records.set(id, owner);
      state.byMedfusionId.set(invite.medfusionPatientId, id);
      if (owner.seq !== undefined) state.touch(id, owner);
    }
    message.state = 'COMPLETED';
    return;
  }
  const existing = state.records.get(id);
  if (!existing) state.create(invite);
  else if (existing.patient.status.status === 'PROVISIONED') {
    existing.patient = { ...existing.patient, ...invite, status: existing.patient.status };
    delete existing.xml;
    existing.invitations++;
    state.stats.invitationsSent++;
    state.stats.reinvitations++;
  }
  message.state = 'COMPLETED';
}

export function cancelInvitations(state: SandboxState, req: EmulatorRequest): EmulatorResponse {
  if (!/^(application|text)\/xml\b/.test(req.headers['content-type'] ?? '')) return empty(415);
  let decoded;
  try {
    decoded = decodeCancelInvitation(req.body);
  } catch (error) {
    if (error instanceof XmlSyntaxError)
      return failure([{ path: 'ExternalPatientIds', rule: error.reason }]);
    throw error;
  }
  if (decoded.issues.length > 0 || decoded.practicePatientIds.length === 0) {
    return failure(
      decoded.issues.length > 0
        ? decoded.issues
        : [{ path: 'ExternalPatientIds/PracticePatientId', rule: 'required' }],
    );
  }
  const ids = decoded.practicePatientIds;
  const job = state.newJob(ids, (m, i) => {
    const id = ids[i] as string;
    const record = state.records.get(id);
    if (record?.patient.status.status === 'PROVISIONED') {
      state.records.delete(id);
      state.byMedfusionId.delete(record.patient.medfusionPatientId as string);
      m.state = 'COMPLETED';
    } else {
      m.state = 'ERROR';
      m.error = {
        code: record ? 'PATIENT_REGISTERED' : 'PATIENT_NOT_FOUND',
        description: record ? 'The patient already registered' : 'No pending invitation',
        severity: 'FATAL',
      };
    }
  });
  return accepted(state, job.dataJobId);
}
