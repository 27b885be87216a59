/**
 * The logger seam, as a type: the SDK logs through a four-method logger you inject, silent by
 * default (`internal/log.ts` holds the adapters). Only fixed messages and safe fields (method, path
 * template, status, attempt, duration, request id, counts) are ever passed: never bodies,
 * credentials or patient values.
 */

/**
 * The SDK's logger shape: `(message, fields)`. `console` and winston take it as is; a pino logger
 * (which takes `(fields, message)`) is recognised and adapted, or wrap one with `pinoLogger()`.
 */
export interface Logger {
  /** Details (off unless `logLevel: 'debug'`). */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** One line per successful HTTP attempt, and retry delays. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Failed attempts, and values kept outside known enumerations. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Not used by the SDK today; part of the usual logger shape. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The lowest level logged; `off` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';
