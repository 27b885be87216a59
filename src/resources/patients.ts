import { APIResource } from '../core/resource';
import { PagePromise } from '../core/page-promise';
import {
  readPatientPage,
  recordsOf,
  type InvalidRecordPolicy,
  type PageReadOptions,
  type PatientPage,
} from '../core/patient-page';
import { runSync, type SyncOptions, type SyncResult } from '../core/sync';
import { sendBulk, type InvitationResults, type InviteProgress } from '../core/chunks';
import type { InvitationLedger } from '../core/ledger';
import { newBatchId, senderDevice, submit } from '../core/submit';
import { CursorError, PaginationLoopError, ValidationError } from '../core/errors';
import { malformed, successorProblem } from '../core/cursor';
import type { RequestOptions } from '../core/request';
import type { BatchSubmission } from '../models/batch';
import type { Patient, PatientInvite } from '../models/patient';
import { validateInvites } from '../core/validate';
import { encodeCancelInvitation, encodePatientBatch } from '../xml/documents';

/** Options of `invitePatient`. */
export interface InviteOptions extends RequestOptions {
  /**
   * The `BatchId` to send (v1/v2). Leave it out for a new batch; pass the one from a
   * `SubmissionOutcomeUnknownError` to resubmit deliberately the same batch.
   */
  batchId?: string;
}

/** Options of `invitePatients`. */
export interface InviteManyOptions extends RequestOptions {
  /** Patients per POST, 1..100. @default 100 */
  batchSize?: number;
  /** POSTs in flight at once, 1..8. @default 2 */
  concurrency?: number;
  /** Called after each batch. */
  onProgress?: (progress: InviteProgress) => void;
  /**
   * Resubmit one batch deliberately with the `BatchId` of a `SubmissionOutcomeUnknownError`; the
   * invites must then fit in one batch.
   */
  batchId?: string;
  /**
   * A durable record of the batches sent (`FileInvitationLedger`, `PostgresInvitationLedger`): a
   * rerun after a crash skips accepted batches and reports those whose outcome is unknown.
   */
  ledger?: InvitationLedger;
  /**
   * Resend the patients the ledger holds as sent with an unknown outcome, in their batch's resend
   * round with its original `BatchId` (one worker wins each round). Only once you checked they did
   * not arrive: Medfusion processes a repeated `BatchId` again, so a patient of a batch that did
   * arrive gets a second invitation e-mail (docs/durable-state.md). @default false
   */
  resendUnknown?: boolean;
  /**
   * Send again the patients the ledger holds as accepted whose record has changed since (they are
   * reported in `report.changed` either way). The patient gets another invitation e-mail, and a
   * patient who registered meanwhile keeps the portal's data. @default false
   */
  resendChanged?: boolean;
}

const isLedger = (v: unknown): v is InvitationLedger =>
  typeof v === 'object' &&
  v !== null &&
  ['patients', 'batches', 'claim', 'claimResend', 'accept', 'reject'].every(
    (m) => typeof (v as Record<string, unknown>)[m] === 'function',
  );

/** The page-reading options, checked: a policy that is not one is refused before any request. */
function pageReadOptions(policy: unknown, raw: unknown): PageReadOptions {
  if (policy !== undefined && policy !== 'strict' && policy !== 'quarantine') {
    throw new ValidationError('parameters', [
      { path: 'params.invalidRecords', rule: "oneOf('strict', 'quarantine')" },
    ]);
  }
  return {
    ...(policy !== undefined ? { invalidRecords: policy } : {}),
    ...(raw === true ? { includeRawRecord: true } : {}),
  };
}

/** Parameters of `getUpdatedPatients`. */
export interface UpdatedPatientsParams {
  /** Cursor from a previous page (`Last-Timestamp`), sent verbatim; or a `Date` (see `sinceDateFormat`). Omit to start at the beginning of the feed. */
  since?: string | Date;
  /** Patients per page, 1..100. @default 100 */
  max?: number;
  /** While iterating, fetch the next page while the current one is processed. @default true */
  prefetch?: boolean;
  /**
   * A record that breaks the model's rules: `strict` fails the page with a `ValidationError`;
   * `quarantine` delivers the valid patients and lists the others in `page.invalidRecords`.
   * @default 'strict'
   */
  invalidRecords?: InvalidRecordPolicy;
  /** In quarantine, keep each invalid record's raw `<Patient>` element (PHI). @default false */
  includeRawRecord?: boolean;
}

const range = (path: string, v: unknown, min: number, max: number, fallback: number): number => {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  throw new ValidationError('parameters', [{ path, rule: `integer(${min}..${max})` }]);
};

/** Invite patients and read the feed of new and updated patients. */
export class Patients extends APIResource {
  /**
   * Invites one patient: POST a one-patient `PatientBatch`. Resolves once Medfusion accepted the
   * batch (202); processing happens later, follow it with `client.batches.waitForCompletion`.
   *
   * @throws {ValidationError} an invite breaks a rule (before anything is sent; paths and rules, no values).
   * @throws {AuthenticationError} {@link OAuthError} the credentials were refused.
   * @throws {APIError} Medfusion refused the batch (`BadRequestError`, `RateLimitError` after retries, …).
   * @throws {SubmissionOutcomeUnknownError} the POST may have arrived: not re-sent; check before resubmitting with its `batchId`.
   * @throws {ConnectionError} {@link TimeoutError} {@link AbortError} transport failures before sending, or the caller's signal.
   * @example
   * const job = await client.patients.invitePatient({
   *   practicePatientId: 'P-1001',
   *   demographics: { name: { firstName: 'Ada', lastName: 'Lovelace' }, dateOfBirth: '1985-12-10', gender: 'FEMALE', email: 'ada@example.com' },
   * });
   */
  async invitePatient(invite: PatientInvite, options?: InviteOptions): Promise<BatchSubmission> {
    const [valid] = validateInvites([invite], this.core.options.apiVersion);
    return this.postBatch(valid ? [valid] : [], options);
  }

  /**
   * Invites many patients in batches of `batchSize`. Every invite is validated before anything is
   * sent. If a batch fails, no new batch is started and a `PartialSubmissionError` tells which
   * were accepted, which failed and which were never sent.
   *
   * With a `ledger`, each patient is recorded before its POST and marked accepted after the 202, so
   * the call can be rerun after a crash with the list in any order, grown, or cut into other
   * batches: patients already accepted are not sent again (their jobs are returned), patients never
   * sent are sent, and patients whose outcome is unknown are reported in the
   * `PartialSubmissionError` as `SubmissionOutcomeUnknownError`s with their batch's `BatchId`, not
   * resent, unless `resendUnknown` is set. A patient accepted earlier whose record changed since is
   * listed in `report.changed` and sent again only with `resendChanged`.
   *
   * The result is the jobs of every patient of the list, with a `report` (not enumerable): patients
   * sent, already accepted, changed, resent.
   *
   * @throws {ValidationError} an invite or an option breaks a rule (before anything is sent).
   * @throws {PartialSubmissionError} a batch failed or its outcome is unknown: `submitted`, `failed` (with each error, such as `SubmissionOutcomeUnknownError`) and `notSent`.
   * @throws {StateStoreError} the ledger could not be read or written.
   * @throws {OAuthError} the credentials were refused.
   * @example
   * const ledger = new FileInvitationLedger('./invitations.ledger');
   * const jobs = await client.patients.invitePatients(invites, { ledger });
   * for (const c of jobs.report.changed) console.warn(`changed after acceptance: ${c.practicePatientId}`);
   */
  async invitePatients(
    invites: PatientInvite[],
    options: InviteManyOptions = {},
  ): Promise<InvitationResults> {
    const valid = validateInvites(invites, this.core.options.apiVersion);
    const {
      batchSize: size,
      concurrency,
      onProgress,
      batchId,
      ledger,
      resendUnknown,
      resendChanged,
      ...request
    } = options;
    const batchSize = range('options.batchSize', size, 1, 100, 100);
    if (batchId !== undefined && valid.length > batchSize) {
      throw new ValidationError('options', [{ path: 'options.batchId', rule: 'oneBatchOnly' }]);
    }
    if (ledger !== undefined && !isLedger(ledger)) {
      throw new ValidationError('options', [{ path: 'options.ledger', rule: 'InvitationLedger' }]);
    }
    const o = this.core.options;
    const attributes = {
      'medfusion.practice.id': o.practiceId,
      'medfusion.invitation.patients': valid.length,
      'medfusion.invitation.ledger': ledger !== undefined,
    };
    return this.core.instrumentation.operation('medfusion.invitations', attributes, (span) =>
      sendBulk(
        {
          items: valid,
          batchSize,
          concurrency: range('options.concurrency', concurrency, 1, 8, 2),
          ...(onProgress ? { onProgress } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
          newBatchId: () => (o.apiVersion === 'v3' ? undefined : newBatchId()),
          ...(batchId !== undefined ? { batchId } : {}),
          onReport: (r) => {
            span.set({
              'medfusion.invitation.sent': r.sent,
              'medfusion.invitation.already_accepted': r.alreadyAccepted,
              'medfusion.invitation.changed': r.changed.length,
              'medfusion.invitation.unknown_resent': r.unknownResent,
            });
            const count = (result: string, n: number): void => {
              if (n > 0)
                this.core.instrumentation.add('medfusion.invitation.patients', n, {
                  'medfusion.invitation.result': result,
                });
            };
            count('sent', r.sent - r.unknownResent);
            count('unknown-resent', r.unknownResent);
            count('already-accepted', r.alreadyAccepted);
            count('changed', r.changed.filter((c) => !c.resent).length);
          },
          ...(ledger
            ? {
                ledger: {
                  ledger,
                  practiceId: o.practiceId,
                  resendUnknown: resendUnknown === true,
                  resendChanged: resendChanged === true,
                },
              }
            : {}),
        },
        (chunk, id) =>
          this.postBatch(chunk, { ...request, ...(id !== undefined ? { batchId: id } : {}) }),
      ),
    );
  }

  /**
   * New and updated patients. `await` it for one page; `for await` over it for every patient until
   * the feed is drained; `.pages()` for page after page.
   *
   * Failures come through the returned promise or iterator:
   * @throws {ValidationError} a bad parameter (before any request), or a page that breaks the model (strict mode).
   * @throws {ResponseParseError} a body that is not a patient batch (HTML, truncated, a second root, over `maxResponseBytes`).
   * @throws {PaginationLoopError} the server repeated the cursor of a full page.
   * @throws {APIError} {@link OAuthError} {@link ConnectionError} {@link TimeoutError} {@link AbortError} after retries, or the caller's signal.
   * @example
   * for await (const patient of client.patients.getUpdatedPatients({ since: cursor })) upsert(patient);
   */
  getUpdatedPatients(
    params: UpdatedPatientsParams = {},
    options: RequestOptions = {},
  ): PagePromise<PatientPage, Patient> {
    return this.feed(params, options);
  }

  /**
   * Drains the feed from the saved checkpoint, handing each page to `onPage`.
   *
   * - At-least-once (default): the cursor is saved only after `onPage` resolved; make `onPage` an
   *   upsert, a page may come twice after a crash.
   * - `delivery: 'exactly-once'` with a transactional store (`PostgresCheckpointStore`): `onPage`
   *   writes through the transaction that also moves the cursor.
   *
   * A store with leases lets one worker at a time sync the practice: a second `sync()` fails fast
   * with `LeaseHeldError`, and a worker whose lease was taken over gets `LeaseLostError`.
   *
   * @throws {ValidationError} bad options (before any request), or a page that breaks the model in strict mode (the cursor stays before it).
   * @throws {LeaseHeldError} another worker is syncing this practice (leased stores).
   * @throws {LeaseLostError} this worker's lease was taken over; the cursor did not move.
   * @throws {StateStoreError} the checkpoint store failed.
   * @throws {ResponseParseError} {@link PaginationLoopError} {@link APIError} {@link OAuthError} {@link ConnectionError} {@link AbortError} as for `getUpdatedPatients`; whatever `onPage` throws is rethrown as is.
   * @example
   * await client.patients.sync({
   *   checkpoint: new FileCheckpointStore('./medfusion.cursor'),
   *   onPage: async (page) => upsertAll(page.patients),
   * });
   */
  async sync<Tx>(options: SyncOptions<Tx>): Promise<SyncResult> {
    const { prefetch, max, invalidRecords, includeRawRecord } = options;
    const o = this.core.options;
    const { instrumentation } = this.core;
    const attributes = {
      'medfusion.practice.id': o.practiceId,
      'medfusion.sync.delivery': options?.delivery ?? 'at-least-once',
    };
    return instrumentation.operation('medfusion.sync', attributes, (span) =>
      runSync(
        (since, control) =>
          this.feed(
            {
              ...(since !== undefined ? { since } : {}),
              ...(max !== undefined ? { max } : {}),
              prefetch: prefetch ?? true,
              ...(invalidRecords !== undefined ? { invalidRecords } : {}),
              ...(includeRawRecord !== undefined ? { includeRawRecord } : {}),
            },
            { signal: control.signal },
            control.beforeFetch,
          ),
        options,
        {
          practiceId: o.practiceId,
          apiVersion: o.apiVersion,
          cursorFormat: o.cursorFormat,
          logger: o.logger,
          instrumentation,
          span,
        },
      ),
    );
  }

  /** The feed as a `PagePromise`; `beforeFetch` runs before each GET (sync's lease check). */
  private feed(
    params: UpdatedPatientsParams,
    options: RequestOptions,
    beforeFetch?: () => Promise<void>,
  ): PagePromise<PatientPage, Patient> {
    let max: number;
    let since: string | undefined;
    let read: PageReadOptions;
    try {
      max = range('params.max', params.max, 1, 100, 100);
      since = this.cursorOf(params.since);
      read = pageReadOptions(params.invalidRecords, params.includeRawRecord);
    } catch (error) {
      // Reported through the returned promise, like every other failure, and before any request.
      return new PagePromise(
        {
          fetch: () => Promise.reject(error),
          items: () => [],
          next: () => undefined,
          full: () => false,
        },
        undefined,
      );
    }
    const version = this.core.options.apiVersion;
    const fetch = async (
      cursor: string | undefined,
      signal: AbortSignal | undefined,
    ): Promise<PatientPage> => {
      await beforeFetch?.();
      const res = await this.core.transport.request({
        method: 'GET',
        path: `${this.practicePath()}/patient`,
        route: `${this.practiceRoute()}/patient`,
        query: { since: cursor, max },
        accept: 'application/xml',
        auth: { kind: 'bearer' },
        idempotent: true,
        options: { ...options, ...(signal ? { signal } : {}) },
      });
      return readPatientPage(res, max, version, this.core.options.logger, read);
    };
    const { practiceId, cursorFormat } = this.core.options;
    return new PagePromise(
      {
        fetch,
        items: (page) => page.patients,
        next: (page) => (page.hasMore ? page.cursor : undefined),
        full: (page) => recordsOf(page) >= max,
        check: (page, sent) => {
          if (page.cursor === undefined) return;
          const date = page.lastResponse?.headers.date;
          const rule = successorProblem(page.cursor, sent, date, cursorFormat);
          if (rule) throw new CursorError(rule, practiceId);
        },
        loopError: () => new PaginationLoopError(practiceId),
      },
      since,
      { ...(options.signal ? { signal: options.signal } : {}), prefetch: params.prefetch ?? true },
    );
  }

  /**
   * Cancels pending invitations (v3 `cancelinvitation`); answered like an invite, with a job to follow.
   *
   * @throws {ValidationError} an empty list or an empty id (before anything is sent).
   * @throws {SubmissionOutcomeUnknownError} the POST may have arrived.
   * @throws {APIError} {@link OAuthError} {@link ConnectionError} {@link AbortError} after retries, or the caller's signal.
   * @example
   * const job = await client.patients.cancelInvitation(['MRN-000123']);
   * const status = await client.batches.waitForCompletion(job);
   */
  async cancelInvitation(
    practicePatientIds: string[],
    options?: RequestOptions,
  ): Promise<BatchSubmission> {
    const ok = Array.isArray(practicePatientIds) && practicePatientIds.length > 0;
    const bad = ok
      ? practicePatientIds.findIndex((id) => typeof id !== 'string' || id.trim() === '')
      : -1;
    if (!ok || bad >= 0) {
      throw new ValidationError('practicePatientIds', [
        { path: ok ? `practicePatientIds[${bad}]` : 'practicePatientIds', rule: 'nonEmpty' },
      ]);
    }
    return submit(
      this.core,
      {
        path: `${this.practicePath('v3')}/patient/cancelinvitation`,
        route: `${this.practiceRoute('v3')}/patient/cancelinvitation`,
        body: encodeCancelInvitation(practicePatientIds),
        practicePatientIds,
      },
      options,
    );
  }

  private postBatch(
    invites: PatientInvite[],
    options: InviteOptions = {},
  ): Promise<BatchSubmission> {
    const { batchId: given, ...request } = options;
    const version = this.core.options.apiVersion;
    const batchId = version === 'v3' ? undefined : newBatchId(given);
    const body = encodePatientBatch(
      version,
      { ...(batchId ? { batchId } : {}), sender: senderDevice(this.core) },
      invites,
      {
        practiceId: this.core.options.practiceId,
      },
    );
    const practicePatientIds = invites.map((i) => i.practicePatientId);
    return submit(
      this.core,
      {
        path: `${this.practicePath()}/patient`,
        route: `${this.practiceRoute()}/patient`,
        body,
        ...(batchId ? { batchId } : {}),
        practicePatientIds,
      },
      request,
    );
  }

  private cursorOf(since: unknown): string | undefined {
    if (since === undefined) return undefined;
    if (since instanceof Date && !Number.isNaN(since.getTime()) && since.getTime() >= 0) {
      const ms = since.getTime();
      return this.core.options.sinceDateFormat === 'seconds'
        ? `${Math.floor(ms / 1000)},0`
        : String(ms);
    }
    const format = this.core.options.cursorFormat;
    if (typeof since === 'string' && malformed(since, format) === undefined) return since;
    const rule = format === 'medfusion' ? 'cursor(<epoch>[,<n>]) or Date' : 'cursor or Date';
    throw new ValidationError('parameters', [{ path: 'params.since', rule }]);
  }
}
