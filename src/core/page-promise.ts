/**
 * An awaitable, iterable page request (Stainless `PagePromise`):
 *
 * ```ts
 * const page = await client.patients.getUpdatedPatients();          // one GET
 * for await (const p of client.patients.getUpdatedPatients()) {}    // every item, page after page
 * for await (const page of client.patients.getUpdatedPatients().pages()) {}
 * ```
 *
 * Nothing is sent until it is awaited or iterated.
 */
import { AbortError, PaginationLoopError, abortReasonOf } from './errors';

/** What a pageable endpoint provides. */
export interface PageSource<P, I> {
  /** Fetches the page after `cursor` (the first page when `undefined`). */
  fetch(cursor: string | undefined, signal: AbortSignal | undefined): Promise<P>;
  /** The items of a page. */
  items(page: P): readonly I[];
  /** The cursor to send for the next page, or `undefined` when this page was the last. */
  next(page: P): string | undefined;
  /** Whether the page was full (used by the loop guard). */
  full(page: P): boolean;
  /**
   * Checks a page's cursor against the cursor sent for it, before the page is delivered or its
   * cursor sent on; throws to stop paging there (a cursor that moves backwards, say).
   */
  check?(page: P, sent: string | undefined): void;
  /** The error to stop with when the server answers with a cursor this run already sent. */
  loopError?(): Error;
}

/**
 * What `getUpdatedPatients` returns: a promise of the first page that is also an async iterable of
 * every item, page after page (see the module comment).
 */
export class PagePromise<P, I> implements Promise<P>, AsyncIterable<I> {
  /** Makes it a `Promise` for `instanceof`-free checks and `Promise.all`. */
  readonly [Symbol.toStringTag] = 'Promise';
  private first: Promise<P> | undefined;

  constructor(
    private readonly source: PageSource<P, I>,
    private readonly start: string | undefined,
    private readonly opts: { signal?: AbortSignal; prefetch?: boolean } = {},
  ) {}

  private firstPage(): Promise<P> {
    this.first ??= this.source.fetch(this.start, this.opts.signal);
    return this.first;
  }

  then<R1 = P, R2 = never>(
    onfulfilled?: ((value: P) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.firstPage().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<P | R> {
    return this.firstPage().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<P> {
    return this.firstPage().finally(onfinally);
  }

  /**
   * Every page until the feed is drained. With `prefetch` (the default) the next page is requested
   * while the current one is being processed; leaving the loop early cancels that request. No
   * `since` is ever sent twice: a page whose cursor was already sent (the same one again, or a cycle
   * A, B, A) is the last one, and paging ends with a `PaginationLoopError` after it.
   *
   * @throws {PaginationLoopError} the server answered a full page with a cursor already sent (after delivering that page).
   * @throws {CursorError} the source refused a page's cursor (before delivering that page).
   * @throws {AbortError} the caller's signal fired between pages.
   * @throws {MedfusionError} whatever fetching a page throws (see `getUpdatedPatients`).
   * @example
   * for await (const page of client.patients.getUpdatedPatients({ since }).pages()) save(page.cursor);
   */
  async *pages(): AsyncGenerator<P, void, undefined> {
    const prefetch = this.opts.prefetch ?? true;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    let cursor = this.start;
    const sent = new Set<string | undefined>([cursor]);
    let pending: Promise<P> | undefined = this.firstPage();
    try {
      while (pending) {
        const page = await pending;
        pending = undefined;
        this.source.check?.(page, cursor);
        const next = this.source.next(page);
        // A cursor already sent on a full page: deliver the page, then stop instead of looping.
        const looping = next !== undefined && sent.has(next) && this.source.full(page);
        if (next !== undefined && !sent.has(next)) {
          cursor = next;
          sent.add(next);
          const fetchNext = () => this.source.fetch(next, stop.signal);
          if (prefetch) {
            pending = fetchNext();
            pending.catch(() => undefined); // observed when awaited; silenced if the loop stops first
          } else {
            pending = lazy(fetchNext);
          }
        }
        yield page;
        if (looping) throw this.source.loopError?.() ?? new PaginationLoopError();
        if (this.opts.signal?.aborted)
          throw new AbortError(undefined, abortReasonOf(this.opts.signal));
      }
    } finally {
      stop.abort();
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Every item of every page, in order.
   *
   * @throws {MedfusionError} as {@link PagePromise.pages}.
   * @example
   * for await (const patient of client.patients.getUpdatedPatients()) upsert(patient);
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<I, void, undefined> {
    for await (const page of this.pages()) yield* this.source.items(page);
  }
}

/** A promise-like that starts its work only when first awaited. */
function lazy<T>(start: () => Promise<T>): Promise<T> {
  let started: Promise<T> | undefined;
  const run = () => (started ??= start());
  return {
    then: (a, b) => run().then(a, b),
    catch: (b) => run().catch(b),
    finally: (f) => run().finally(f),
    [Symbol.toStringTag]: 'Promise',
  } as Promise<T>;
}
