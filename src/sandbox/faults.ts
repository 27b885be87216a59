/**
 * Fault injection, by rate (a share of requests, seeded) or by count (the next N requests), so
 * users can rehearse rate limits, outages, resets, latency and token expiry. OAuth endpoints are
 * never faulted; `expireTokens` revokes every token at once.
 */
import { seededRandom } from './random';

/** Faults the sandbox injects into its answers: rates are 0..1 per request. */
export interface FaultOptions {
  /** Share of API requests answered 429 with `Retry-After`, 0..1. */
  rate429?: number;
  /** Share answered 503 with an HTML body, 0..1. */
  rate503?: number;
  /** Share whose connection is reset, 0..1. A POST is reset after it was processed (the worst case). */
  resetRate?: number;
  /** The next N API requests get a 429. */
  count429?: number;
  /** The next N API requests get a 503. */
  count503?: number;
  /** The next N API requests are reset. */
  countReset?: number;
  /** Share of API requests whose token has just expired (401; every token is revoked), 0..1. */
  expiryRate?: number;
  /** The next N API requests each find their token expired. */
  countExpiry?: number;
  /** Added latency on every API request, in ms. */
  latencyMs?: number;
  /** Revoke every token issued so far (the next call gets 401). */
  expireTokens?: boolean;
  /** `Retry-After` of injected 429s, in seconds. @default 1 */
  retryAfterSeconds?: number;
}

export type Fault =
  | { kind: 'none'; latencyMs: number }
  | { kind: '429'; latencyMs: number; retryAfterSeconds: number }
  | { kind: '503' | 'reset-before' | 'reset-after' | 'expire'; latencyMs: number };

export class Faults {
  private readonly random: () => number;
  private f: FaultOptions = {};

  constructor(seed: number, initial?: FaultOptions) {
    this.random = seededRandom(seed ^ 0x5eed);
    if (initial) this.add(initial);
  }

  add(faults: FaultOptions): void {
    const { expireTokens: _ignored, ...rest } = faults;
    for (const [k, v] of Object.entries(rest) as [keyof FaultOptions, number | undefined][]) {
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new Error(`sandbox: fault ${k} must be a number >= 0`);
      if (k.startsWith('rate') && v > 1) throw new Error(`sandbox: fault ${k} is a share, 0..1`);
      (this.f as Record<string, number>)[k] = v;
    }
  }

  clear(): void {
    this.f = {};
  }

  /** The fault for the next API request. */
  next(method: string): Fault {
    const f = this.f;
    const latencyMs = f.latencyMs ?? 0;
    const retryAfterSeconds = f.retryAfterSeconds ?? 1;
    const reset = method === 'POST' ? 'reset-after' : 'reset-before';
    if (f.count429) {
      f.count429--;
      return { kind: '429', latencyMs, retryAfterSeconds };
    }
    if (f.count503) {
      f.count503--;
      return { kind: '503', latencyMs };
    }
    if (f.countReset) {
      f.countReset--;
      return { kind: reset, latencyMs };
    }
    if (f.countExpiry) {
      f.countExpiry--;
      return { kind: 'expire', latencyMs };
    }
    const r = this.random();
    const r429 = f.rate429 ?? 0;
    const r503 = f.rate503 ?? 0;
    const rReset = f.resetRate ?? 0;
    const rExpiry = f.expiryRate ?? 0;
    if (r < r429) return { kind: '429', latencyMs, retryAfterSeconds };
    if (r < r429 + r503) return { kind: '503', latencyMs };
    if (r < r429 + r503 + rReset) return { kind: reset, latencyMs };
    if (r < r429 + r503 + rReset + rExpiry) return { kind: 'expire', latencyMs };
    return { kind: 'none', latencyMs };
  }
}
