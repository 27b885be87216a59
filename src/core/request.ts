/**
 * What a request is, as the resources describe it and the transport (`internal/transport.ts`) sends
 * it. Types only: the resources build on these, the transport implements {@link Requester}.
 */
import type { MedfusionError } from './errors';
import type { RawResponse } from '../models/response-info';

/** Per-call options, accepted by every method as its last argument. */
export interface RequestOptions {
  /** Cancels the call, including any backoff or polling sleep. */
  signal?: AbortSignal;
  /** Time limit of one attempt, in ms. Defaults to the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Retries after the first attempt. Defaults to the client's `maxRetries`. */
  maxRetries?: number;
}

/** How a request authenticates. */
export type Auth = { kind: 'bearer' } | { kind: 'basic'; header: string } | { kind: 'none' };

/** Everything the transport needs to send one logical request. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Path below the base URL, ids already percent-encoded. */
  path: string;
  /** The path as logged and shown in errors: secrets in it replaced by a placeholder. */
  logPath?: string;
  /** The route with placeholders (`/v2/practice/{practiceId}/patient`), for telemetry. */
  route?: string;
  query?: Record<string, string | number | undefined>;
  body?: string;
  contentType?: string;
  accept: string;
  auth: Auth;
  /**
   * `false` for a POST that acts (invite, cancel): retried only when the server certainly did not
   * act on it; an unknown outcome is handed to `onUnknownOutcome`.
   */
  idempotent: boolean;
  onUnknownOutcome?: (cause: MedfusionError) => MedfusionError;
  options?: RequestOptions;
}

/** The one way out: sends a request, retrying per policy, and resolves with a 2xx answer. */
export interface Requester {
  request(spec: RequestSpec): Promise<RawResponse>;
}
