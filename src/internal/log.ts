/**
 * The logger seam. Library code never calls `console`: it logs through the injected four-method
 * logger, silent by default. Only fixed messages and safe fields (method, path template, status,
 * attempt, duration, request id) are ever passed: never bodies, credentials or patient values.
 */

import type { Logger, LogLevel } from '../core/logger';

export type { Logger, LogLevel };

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

/** The part of a pino logger the SDK uses: `logger.info(fields, message)`. */
export interface PinoLike {
  /** pino's `debug(mergingObject, message)`. */
  debug(fields: object, message: string): void;
  /** pino's `info(mergingObject, message)`. */
  info(fields: object, message: string): void;
  /** pino's `warn(mergingObject, message)`. */
  warn(fields: object, message: string): void;
  /** pino's `error(mergingObject, message)`. */
  error(fields: object, message: string): void;
}

/**
 * Adapts a pino logger, which takes `(fields, message)`: every line keeps its message and its
 * fields. `MedfusionClient` does this by itself for a pino logger it recognises.
 *
 * @example
 * new MedfusionClient({ ...options, logger: pinoLogger(pino()) });
 */
export function pinoLogger(pino: PinoLike): Logger {
  return {
    debug: (m, f) => pino.debug(f ?? {}, m),
    info: (m, f) => pino.info(f ?? {}, m),
    warn: (m, f) => pino.warn(f ?? {}, m),
    error: (m, f) => pino.error(f ?? {}, m),
  };
}

/**
 * Whether `logger` is a pino logger: pino's have `bindings()`, `child()` and `levels.values`
 * (winston's `levels` is a plain map of numbers, console has none of them).
 */
export function isPino(logger: object): logger is PinoLike {
  const l = logger as { bindings?: unknown; child?: unknown; levels?: { values?: unknown } };
  return (
    typeof l.bindings === 'function' &&
    typeof l.child === 'function' &&
    typeof l.levels === 'object' &&
    l.levels !== null &&
    typeof l.levels.values === 'object'
  );
}

/**
 * A logger that writes one line per call: time, level, message and the fields as `key=value`
 * (info and debug to stdout, warn and error to stderr). What the fleet worker logs to when no logger
 * is given; it is handed only the SDK's safe fields.
 */
export function consoleLogger(
  out: { write(line: string): unknown } = process.stdout,
  err: { write(line: string): unknown } = process.stderr,
): Logger {
  const line =
    (level: string, stream: { write(line: string): unknown }) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const pairs = Object.entries(fields ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${formatValue(v)}`);
      stream.write(`${new Date().toISOString()} ${level} ${[message, ...pairs].join(' ')}\n`);
    };
  return {
    debug: line('DEBUG', out),
    info: line('INFO', out),
    warn: line('WARN', err),
    error: line('ERROR', err),
  };
}

function formatValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[\w.:/@{}-]+$/.test(text) ? text : JSON.stringify(text);
}
