/** GET patient (wire spec section 4): the feed of registered and updated patients, by cursor. */
import { randomUUID } from 'node:crypto';
import type { ApiVersion } from '../../models/enums';
import { wrapPatientBatch } from '../../xml/documents';
import { empty, failure, xml, type EmulatorResponse } from '../responses';
import type { FeedEntry, SandboxState } from '../state';

const CURSOR = /^(\d+)(?:,(\d+))?$/;

export function getPatients(
  state: SandboxState,
  version: ApiVersion,
  query: URLSearchParams,
): EmulatorResponse {
  const maxText = query.get('max');
  const max = maxText === null ? 100 : Number(maxText);
  if (maxText !== null && !/^\d+$/.test(maxText))
    return failure([{ path: 'max', rule: `Invalid 'max' query argument` }]);
  if (max > 100)
    return failure([
      { path: 'max', rule: `Max :${max} value exceeds configured threshold limit :100` },
    ]);
  if (max < 1) return failure([{ path: 'max', rule: 'Max must be at least 1' }]);
  const sinceText = query.get('since');
  const since = sinceText === null ? { ts: -1, seq: -1 } : parseCursor(sinceText);
  if (!since)
    return failure([{ path: 'since', rule: "Invalid 'since' query argument - not a timestamp" }]);

  const elements: string[] = [];
  let last: FeedEntry | undefined;
  for (let i = firstAfter(state.feed, since); i < state.feed.length && elements.length < max; i++) {
    const entry = state.feed[i] as FeedEntry;
    const record = state.records.get(entry.id);
    if (!record || record.seq !== entry.seq) continue; // superseded by a later change
    elements.push(state.render(record, version));
    last = entry;
  }
  if (!last) {
    const cursor = sinceText ?? `${Math.max(0, state.lastTs)},${state.seq}`;
    return empty(204, { 'last-timestamp': cursor });
  }
  const body = wrapPatientBatch(
    version,
    'response',
    { batchId: randomUUID(), sender: { deviceName: 'PIDC', vendorName: 'Intuit' } },
    elements,
  );
  return xml(200, body, { 'last-timestamp': `${last.ts},${last.seq}` });
}

/** Records a feed GET that arrived at `start` and is answered at `end`; counts it if another was still open. */
export function noteFeedRead(state: SandboxState, start: number, end: number): void {
  state.feedReadsUntil = state.feedReadsUntil.filter((until) => until > start);
  if (state.feedReadsUntil.length > 0) state.stats.overlappingFeedReads++;
  state.feedReadsUntil.push(end);
}

function firstAfter(feed: FeedEntry[], since: { ts: number; seq: number }): number {
  let lo = 0;
  let hi = feed.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = feed[mid] as FeedEntry;
    if (e.ts < since.ts || (e.ts === since.ts && e.seq <= since.seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `<ms>,<seq>` (ours), `<epoch seconds>,0` (the vendor's tests) or `<ms>`; seconds are told by size. */
function parseCursor(text: string): { ts: number; seq: number } | undefined {
  const m = CURSOR.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return {
    ts: n < 1e11 ? n * 1000 : n,
    seq: m[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(m[2]),
  };
}
