/**
 * A sync job: one practice's exactly-once sync under its lease. A practice (or its login) paused by a
 * 429 waits for its time; a held lease puts the job off; a graceful stop hands the practice back.
 */
import { anySignal } from '../core/abort';
import { AbortError, LeaseHeldError, OAuthError, RateLimitError } from '../core/errors';
import { isPathId } from '../core/path';
import type { InvalidRecord, PatientPage } from '../core/patient-page';
import { retryAfterMs } from '../internal/retry';
import { PostgresCheckpointStore } from '../postgres/checkpoint-store';
import type { SqlPoolClient } from '../postgres/sql';
import type { BossJob } from './boss';
import { InvalidJobError, type FleetJobError } from './errors';
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
import type { RunOutcome } from './state';

export async function runSyncJob<C extends SqlPoolClient>(
  ctx: JobContext<C>,
  job: BossJob,
): Promise<JobResult> {
  const practiceId = practiceOf(job.data, isPathId);
  if (practiceId === undefined) return invalidJob(ctx, job);
  const { options, stats } = ctx;
  const started = Date.now();
  let pages = 0;
  let patients = 0;
  const finish = async (
    outcome: RunOutcome,
    extra: { failure?: FleetJobError; notBefore?: Date } = {},
  ): Promise<void> => {
    const durationMs = Date.now() - started;
    const { failure, notBefore } = extra;
    await ctx.state.finished(practiceId, {
      kind: 'sync',
      outcome,
      pages,
      patients,
      durationMs,
      jobId: job.id,
      ...(notBefore ? { notBefore } : {}),
      ...(failure ? failureRecord(failure) : {}),
    });
    ctx.report('sync', outcome === 'failed' ? 'warn' : 'info', {
      practiceId,
      outcome,
      pages,
      patients,
      durationMs,
      ...(failure ? { errorClass: failure.errorClass } : {}),
    });
  };
  let loginKey: string | undefined;
  try {
    const { client, loginKey: login } = await tagged('clientOptions', (id: string) =>
      ctx.clients.get(id),
    )(practiceId);
    loginKey = login;
    const { notBefore, lastSuccessAt } = await ctx.state.started(practiceId, login);
    if (lastSuccessAt)
      ctx.instrumentation.record(
        'medfusion.fleet.sync.staleness',
        Math.max(0, Date.now() - lastSuccessAt.getTime()) / 1000,
      );
    if (notBefore) {
      // The practice, or its login, was rate-limited (by any worker): wait for the server's time.
      await ctx.scheduler.resync(practiceId, (notBefore.getTime() - Date.now()) / 1000);
      await finish('rate-limited', { notBefore });
      stats.rateLimited++;
      return done(job, { outcome: 'rate-limited' });
    }
    const checkpoint = new PostgresCheckpointStore<C>({
      pool: ctx.callbacks.pool,
      practiceId,
      schema: options.schema,
      environment: options.environment,
      apiVersion: client.options.apiVersion,
      leaseMs: options.leaseMs,
      holder: options.name,
    });
    const onInvalid = ctx.callbacks.onInvalidRecord;
    const result = await client.patients.sync({
      delivery: 'exactly-once',
      checkpoint,
      // pg-boss's timeout (job.signal) and a hard stop abort at once, even a hanging onPage; a
      // graceful stop finishes the page in hand first.
      signal: anySignal(ctx.signals.aborting, job.signal),
      stopSignal: ctx.signals.stopping,
      ...(options.pageTimeoutMs !== undefined ? { pageTimeoutMs: options.pageTimeoutMs } : {}),
      onPage: tagged('onPage', (page: PatientPage, transaction: C) =>
        ctx.callbacks.onPage({ practiceId, page, transaction }),
      ),
      onProgress: (p) => {
        pages = p.pages;
        patients = p.patients;
      },
      ...(onInvalid
        ? {
            invalidRecords: 'quarantine' as const,
            onInvalidRecord: tagged('onInvalidRecord', (r: InvalidRecord) =>
              onInvalid(practiceId, r),
            ),
          }
        : {}),
    });
    pages = result.pages;
    patients = result.patients;
    await finish('synced');
    stats.synced++;
    return done(job, { outcome: 'synced', pages, patients });
  } catch (error) {
    if (error instanceof AbortError && ctx.signals.stopping.aborted) {
      // Shutting down: the pages committed stay; the practice goes back to the queue for another worker.
      await ctx.scheduler.resync(practiceId, 0);
      await finish('handed-back');
      stats.handedBack++;
      return done(job, { outcome: 'handed-back', pages, patients });
    }
    if (error instanceof RateLimitError) {
      // The login is paused, not just this practice: the others behind it wait too, on every worker.
      const waitMs = retryAfterMs(error.headers) ?? options.rateLimitDelaySeconds * 1000;
      const notBefore = new Date(Date.now() + waitMs);
      if (loginKey !== undefined) await ctx.state.pauseLogin(loginKey, notBefore);
      await ctx.scheduler.resync(practiceId, waitMs / 1000);
      await finish('rate-limited', { notBefore });
      stats.rateLimited++;
      return done(job, { outcome: 'rate-limited', pages, patients });
    }
    if (error instanceof LeaseHeldError) {
      // Another worker holds the practice (or a killed one's lease has not run out): try after it.
      await ctx.scheduler.resync(practiceId, options.leaseMs / 1000);
      await finish('lease-held');
      stats.leaseHeld++;
      return done(job, { outcome: 'lease-held' });
    }
    if (error instanceof OAuthError) ctx.clients.forget(practiceId); // rotated credentials next time
    const failure = jobError('sync', practiceId, error);
    await finish('failed', { failure }).catch(() => undefined);
    stats.failed++;
    return failed(job, failure);
  }
}

/** A job whose data is not what the fleet sends: dead-lettered at once. */
export function invalidJob<C extends SqlPoolClient>(
  ctx: JobContext<C>,
  job: BossJob,
  kind: 'sync' | 'invite' = 'sync',
): JobResult {
  ctx.stats.failed++;
  const failure = jobError(kind, 'unknown', new InvalidJobError());
  ctx.report(kind, 'warn', { outcome: 'failed', errorClass: failure.errorClass });
  return { id: job.id, status: 'deadletter', output: failure.toJSON() };
}
