/**
 * What a feed cursor (`Last-Timestamp`, wire spec section 4) must look like before the SDK sends it
 * back or saves it, and how two cursors compare. One rule per function, each named by the
 * {@link CursorRule} a {@link CursorError} carries: a cursor that breaks one never reaches a store,
 * so a server that sends garbage cannot wedge a practice, and a run never sends the same `since` twice.
 *
 * Medfusion's cursors are `<epoch>[,<n>]`: epoch seconds or milliseconds, then a sequence within
 * that instant (the vendor's tests build `<epoch seconds>,0` by hand; sibling pages define
 * milliseconds). `cursorFormat: 'opaque'` accepts any short token of safe characters instead, for a
 * server of your own; order and clock checks then apply only to cursors in Medfusion's form.
 */
import type { CursorRule } from './errors';

/** How cursors are checked: Medfusion's `<epoch>[,<n>]` (default), or any short safe token. */
export type CursorFormat = 'medfusion' | 'opaque';

const MEDFUSION = /^(\d{1,17})(?:,(\d{1,10}))?$/;
const OPAQUE = /^[A-Za-z0-9][A-Za-z0-9._~:,+=/-]{0,255}$/;

/** The longest cursor kept, in characters: Medfusion's are under 30. */
export const MAX_CURSOR_LENGTH = 256;

/**
 * How far a cursor may run ahead of the later of the server's `Date` header (the local clock when it
 * sent none) and the previous cursor: one hour. A Medfusion cursor is the time of the last change it
 * covers, never later than the server's now; an hour absorbs any skew between its clocks. A cursor
 * further ahead would skip every change until then, for good.
 */
export const MAX_CURSOR_AHEAD_MS = 60 * 60 * 1000;

/** A cursor in Medfusion's form as an instant and a sequence (`undefined` when it has none). */
export interface CursorTime {
  /** Milliseconds since the epoch: a first number under 10^11 is read as seconds (as the sandbox does). */
  ms: number;
  /** The sequence after the comma, when there is one. */
  seq: number | undefined;
}

/** The instant of a cursor in Medfusion's form, or `undefined` for any other form. */
export function cursorTime(cursor: string): CursorTime | undefined {
  const m = MEDFUSION.exec(cursor);
  if (!m) return undefined;
  const n = Number(m[1]);
  return { ms: n < 1e11 ? n * 1000 : n, seq: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The rule a cursor's own form breaks (length, characters, Medfusion's form), if any. */
export function malformed(cursor: string, format: CursorFormat): CursorRule | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) return 'malformed';
  return (format === 'medfusion' ? MEDFUSION : OPAQUE).test(cursor) ? undefined : 'malformed';
}

/**
 * Whether `next` is certainly before `previous`: both in Medfusion's form, and an earlier instant, or
 * the same instant with a lower sequence. Cursors of other forms are never judged.
 */
export function isBackwards(next: string, previous: string): boolean {
  const a = cursorTime(next);
  const b = cursorTime(previous);
  if (!a || !b) return false;
  if (a.ms !== b.ms) return a.ms < b.ms;
  return a.seq !== undefined && b.seq !== undefined && a.seq < b.seq;
}

/**
 * Whether `next` runs more than {@link MAX_CURSOR_AHEAD_MS} ahead of the later of `serverNow` (the
 * answer's `Date`, else the local clock) and `previous`.
 */
export function isTooFarAhead(
  next: string,
  previous: string | undefined,
  serverDate: string | undefined,
  localNow = Date.now(),
): boolean {
  const t = cursorTime(next);
  if (!t) return false;
  const date = serverDate === undefined ? Number.NaN : Date.parse(serverDate);
  const reference = Math.max(
    Number.isNaN(date) ? localNow : date,
    (previous !== undefined ? cursorTime(previous)?.ms : undefined) ?? Number.NEGATIVE_INFINITY,
  );
  return t.ms > reference + MAX_CURSOR_AHEAD_MS;
}

/**
 * The first rule `next` breaks as the successor of `previous` in an answer dated `serverDate`:
 * its form, then order, then the clock. `undefined` when it may be sent and saved.
 */
export function successorProblem(
  next: string,
  previous: string | undefined,
  serverDate: string | undefined,
  format: CursorFormat,
): CursorRule | undefined {
  return (
    malformed(next, format) ??
    (previous !== undefined && isBackwards(next, previous) ? 'backwards' : undefined) ??
    (isTooFarAhead(next, previous, serverDate) ? 'ahead' : undefined)
  );
}
