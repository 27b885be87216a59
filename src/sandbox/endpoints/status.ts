/** processingStatus (wire spec section 5): a job's messages as the server reports them. */
import { encodeProcessingStatus } from '../../xml/documents';
import { notFound, xml, type EmulatorResponse } from '../responses';
import type { SandboxState } from '../state';

export function processingStatus(state: SandboxState, dataJobId: string): EmulatorResponse {
  const job = state.jobs.get(dataJobId);
  if (!job) return notFound();
  return xml(200, encodeProcessingStatus({ dataJobId, messages: job.messages }));
}
