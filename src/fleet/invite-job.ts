/**
 * An invitation job: one list, loaded by reference (`loadInvites`), sent through the per-patient
 * ledger, so a rerun (a retry, a redrive) never invites an accepted patient again.
 */
import { anySignal } from '../core/abort';
import { OAuthError, PartialSubmissionError, SubmissionOutcomeUnknownError } from '../core/errors';
import { isPathId } from '../core/path';
import type { SqlPoolClient } from '../postgres/sql';
import type { BossJob, InviteJobData } from './boss';
import {
  done,
  failed,
  failureRecord,
  jobError,
  practiceOf,
  tagged,
  type JobContext,
  type JobResult,
} from './job';
import { invalidJob } from './sync-job';

export async function runInviteJob<C extends SqlPoolClient>(
  ctx: JobContext<C>,
  job: BossJob,
): Promise<JobResult> {
  const data = job.data as Partial<InviteJobData> | null;
  const practiceId = practiceOf(data, isPathId);
  const load = ctx.callbacks.loadInvites;
  if (practiceId === undefined || typeof data?.ref !== 'string' || !load)
    return invalidJob(ctx, job, 'invite');
  const started = Date.now();
  try {
    const invites = await tagged('loadInvites', load)(practiceId, data.ref);
    const { client } = await tagged('clientOptions', (id: string) => ctx.clients.get(id))(
      practiceId,
    );
    // Only a hard stop aborts: an aborted POST in flight would leave its outcome unknown.
    const jobs = await client.patients.invitePatients(invites, {
      ledger: ctx.ledger,
      resendUnknown: data.resendUnknown === true,
      batchSize: ctx.options.inviteBatchSize,
      signal: anySignal(ctx.signals.aborting, job.signal),
    });
    const { sent, alreadyAccepted, changed, unknownResent } = jobs.report;
    ctx.stats.invited++;
    const counts = {
      patients: invites.length,
      sent,
      alreadyAccepted,
      changed: changed.length,
      unknownResent,
    };
    const durationMs = Date.now() - started;
    await ctx.state.finished(practiceId, {
      kind: 'invite',
      outcome: 'invited',
      patients: invites.length,
      durationMs,
      jobId: job.id,
      detail: counts,
    });
    // Records changed since accepted were not sent: worth the operator's eye.
    ctx.report('invite', changed.length > 0 ? 'warn' : 'info', {
      practiceId,
      outcome: 'invited',
      ...counts,
      durationMs,
    });
    return done(job, { outcome: 'invited', ...counts });
  } catch (error) {
    if (error instanceof OAuthError) ctx.clients.forget(practiceId);
    // Only patients of unknown outcome left: another attempt would just report them again. The
    // dead letter tells the operator to check them, then send the job again with resendUnknown.
    const onlyUnknown =
      error instanceof PartialSubmissionError &&
      error.notSent.length === 0 &&
      error.failed.every((f) => f.error instanceof SubmissionOutcomeUnknownError);
    const failure = jobError('invite', practiceId, error, onlyUnknown ? false : undefined);
    const durationMs = Date.now() - started;
    await ctx.state
      .finished(practiceId, {
        kind: 'invite',
        outcome: 'failed',
        durationMs,
        jobId: job.id,
        ...failureRecord(failure),
      })
      .catch(() => undefined);
    ctx.report('invite', 'warn', {
      practiceId,
      outcome: 'failed',
      errorClass: failure.errorClass,
      durationMs,
    });
    ctx.stats.failed++;
    return failed(job, failure);
  }
}
