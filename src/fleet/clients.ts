/**
 * One client per practice, built from the user's callback on first use and kept. All of a worker's
 * clients share one token cache (one token and one token request per credential set) and one cap on
 * requests in flight.
 */
import { MedfusionClient } from '../client';
import { ConfigurationError } from '../core/errors';
import { TokenCache } from '../internal/auth';
import { RequestLimiter } from '../internal/limiter';
import type { ClientOptions } from '../internal/options';

/** Builds a practice's client options: per-practice or shared credentials, host, API version… */
export type ClientOptionsFor = (practiceId: string) => ClientOptions | Promise<ClientOptions>;

export class FleetClients {
  readonly tokenCache = new TokenCache();
  readonly limiter: RequestLimiter;
  private readonly clients = new Map<string, Promise<MedfusionClient>>();

  constructor(
    private readonly optionsFor: ClientOptionsFor,
    maxRequestsInFlight: number,
    /** The longest `Retry-After` waited out in place; a longer one ends the run (rescheduled). */
    private readonly maxRetryAfterMs: number,
  ) {
    this.limiter = new RequestLimiter(maxRequestsInFlight);
  }

  /** The practice's client. @throws {ConfigurationError} the callback's options are wrong. */
  get(practiceId: string): Promise<MedfusionClient> {
    let client = this.clients.get(practiceId);
    if (!client) {
      client = this.build(practiceId);
      this.clients.set(practiceId, client);
      client.catch(() => this.clients.delete(practiceId));
    }
    return client;
  }

  /** Forgets a practice's client: the next run asks the callback again (rotated credentials). */
  forget(practiceId: string): void {
    this.clients.delete(practiceId);
  }

  private async build(practiceId: string): Promise<MedfusionClient> {
    const given = await this.optionsFor(practiceId);
    if (given.practiceId !== undefined && given.practiceId !== practiceId) {
      throw new ConfigurationError('practiceId', "must be the job's practice (or left out)");
    }
    return new MedfusionClient({
      ...given,
      practiceId,
      tokenCache: this.tokenCache,
      requestLimiter: this.limiter,
      retryBackoff: { ...given.retryBackoff, maxRetryAfterMs: this.maxRetryAfterMs },
    });
  }
}
