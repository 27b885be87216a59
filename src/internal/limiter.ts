/**
 * A cap on requests in flight, shared by every client given the same limiter (a fleet worker's
 * clients, one per practice). The transport holds a slot for each attempt only: never across a
 * backoff or a `Retry-After` wait, so a waiting call does not block others.
 */
import { AbortError, abortReasonOf } from '../core/errors';

/**
 * At most `maxInFlight` requests at once across the clients that share it; the others wait their
 * turn, first come first served. The wait for a slot does not count towards `timeoutMs`.
 *
 * @example
 * const limiter = new RequestLimiter(16);
 * const a = new MedfusionClient({ ...common, practiceId: 'a', requestLimiter: limiter });
 * const b = new MedfusionClient({ ...common, practiceId: 'b', requestLimiter: limiter });
 */
export class RequestLimiter {
  private active = 0;
  private highWater = 0;
  private readonly queue: Array<() => void> = [];

  /**
   * @param maxInFlight Requests allowed in flight at once; an integer >= 1.
   * @throws {RangeError} when `maxInFlight` is not an integer >= 1.
   */
  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new RangeError('RequestLimiter: maxInFlight must be an integer >= 1');
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** The most requests that were ever in flight at once. */
  get maxObserved(): number {
    return this.highWater;
  }

  /**
   * Waits for a slot; resolves with the function that gives it back (call it once).
   *
   * @internal
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new AbortError(undefined, abortReasonOf(signal));
    if (this.active >= this.maxInFlight) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const at = this.queue.indexOf(grant);
          if (at >= 0) this.queue.splice(at, 1);
          reject(new AbortError(undefined, abortReasonOf(signal)));
        };
        const grant = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.queue.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active++;
    }
    this.highWater = Math.max(this.highWater, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, or frees.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }
}
