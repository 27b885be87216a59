/**
 * The logger seam. Library code never calls `console`: it logs through the injected four-method
 * logger, silent by default. Only fixed messages and safe fields (method, path template, status,
 * attempt, duration, request id) are ever passed: never bodies, credentials or patient values.
 */

/** Any pino/winston/console-like logger. */
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

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 99 };
const noop = (): void => undefined;

/** The logger that logs nothing: the default. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Wraps `logger` so that lines below `level` are dropped before they are built. */
export function leveled(logger: Logger, level: LogLevel): Logger {
  const on = (l: Exclude<LogLevel, 'off'>) => RANK[l] >= RANK[level];
  return {
    debug: on('debug') ? (m, f) => logger.debug(m, f) : noop,
    info: on('info') ? (m, f) => logger.info(m, f) : noop,
    warn: on('warn') ? (m, f) => logger.warn(m, f) : noop,
    error: on('error') ? (m, f) => logger.error(m, f) : noop,
  };
}
