import { AbortError, abortReasonOf } from '../core/errors';

/**
 * Waits `ms`, or rejects with {@link AbortError} as soon as `signal` fires. The timer and the
 * listener are always removed (openai-node #2580: an abort must not wait out a backoff).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, abortReasonOf(signal)));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError(undefined, abortReasonOf(signal)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
