/** The shapes of the sandbox's answers, shared by every endpoint. */
import type { ValidationIssue } from '../core/errors';
import { encodeProcessingResponse } from '../xml/documents';

/** A request as any server adapter hands it over. Header names lower-case. */
export interface EmulatorRequest {
  /** `GET`, `POST`, … */
  method: string;
  /** Path and query, e.g. `/v2/practice/…/patient?since=…`. */
  url: string;
  /** Request headers, names lower-case. */
  headers: Record<string, string | undefined>;
  /** The body as text (`''` for a GET). */
  body: string;
}

/** The answer; `reset` asks the adapter to drop the connection instead, after `latencyMs`. */
export interface EmulatorResponse {
  /** The HTTP status. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** The body as text. */
  body: string;
  /** Drop the connection instead of answering (an injected reset). */
  reset?: boolean;
  /** Wait this long before answering (injected latency), in ms. */
  latencyMs?: number;
}

export const json = (status: number, value: unknown): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

export const xml = (
  status: number,
  body: string,
  headers: Record<string, string> = {},
): EmulatorResponse => ({
  status,
  headers: { 'content-type': 'application/xml', ...headers },
  body,
});

export const empty = (status: number, headers: Record<string, string> = {}): EmulatorResponse => ({
  status,
  headers,
  body: '',
});

export const notFound = (): EmulatorResponse => ({
  status: 404,
  headers: { 'content-type': 'text/html' },
  body: '<html><body><h1>404 Not Found</h1></body></html>',
});

/** Only rule names and element paths, like the real `DC_CORE_033` messages, never values. */
export const failure = (issues: ValidationIssue[]): EmulatorResponse =>
  xml(
    400,
    encodeProcessingResponse({
      processingStatus: 'Failure',
      responseMessage: `DC_CORE_033-Error in ${issues
        .slice(0, 10)
        .map((i) => `${i.path} : ${i.rule}`)
        .join('; ')}`,
    }),
  );
