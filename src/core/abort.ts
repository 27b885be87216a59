/**
 * Waiting on code we do not control (your callbacks, a store) without being held by it: an abort
 * settles the wait at once, whatever the promise does later.
 */
import { AbortError, MedfusionError, abortReasonOf } from './errors';

/**
 * Settles with `promise`, or rejects as soon as `signal` fires: with the signal's reason when it is
 * an SDK error (a lost lease, a callback deadline), else with an {@link AbortError}. `promise` keeps
 * running; its late outcome is observed and dropped.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** What an aborted `signal` stands for: its reason when that is an SDK error, else an {@link AbortError}. */
export function abortError(signal: AbortSignal): MedfusionError {
  const reason: unknown = signal.reason;
  return reason instanceof MedfusionError
    ? reason
    : new AbortError(undefined, abortReasonOf(signal));
}

/** A signal that fires with the first of `signals` that fires (those given). */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}
