/**
 * One client per practice, built from the user's callback on first use and kept. All of a worker's
 * clients share one token cache (one token and one token request per credential set) and one cap on
 * requests in flight.
 */
import { createHash } from 'node:crypto';
import { MedfusionClient } from '../client';
import { ConfigurationError } from '../core/errors';
import { TokenCache, type Credentials } from '../internal/auth';
import { RequestLimiter } from '../internal/limiter';
import type { ClientOptions } from '../internal/options';

/** Builds a practice's client options: per-practice or shared credentials, host, API version… */
export type ClientOptionsFor = (practiceId: string) => ClientOptions | Promise<ClientOptions>;

/** A practice's client, and the digest of the login it uses. */
export interface FleetClient {
  client: MedfusionClient;
  /** Host, client and user digested (no secret in clear): a 429 pauses every practice behind it. */
  loginKey: string;
}

export class FleetClients {
  readonly tokenCache = new TokenCache();
  readonly limiter: RequestLimiter;
  private readonly clients = new Map<string, Promise<FleetClient>>();

  constructor(
    private readonly optionsFor: ClientOptionsFor,
    maxRequestsInFlight: number,
    /** The longest `Retry-After` waited out in place; a longer one ends the run (rescheduled). */
    private readonly maxRetryAfterMs: number,
  ) {
    this.limiter = new RequestLimiter(maxRequestsInFlight);
  }

  /** The practice's client. @throws {ConfigurationError} the callback's options are wrong. */
  get(practiceId: string): Promise<FleetClient> {
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

  private async build(practiceId: string): Promise<FleetClient> {
    const given = await this.optionsFor(practiceId);
    if (given.practiceId !== undefined && given.practiceId !== practiceId) {
      throw new ConfigurationError('practiceId', "must be the job's practice (or left out)");
    }
    const client = new MedfusionClient({
      ...given,
      practiceId,
      tokenCache: this.tokenCache,
      requestLimiter: this.limiter,
      retryBackoff: { ...given.retryBackoff, maxRetryAfterMs: this.maxRetryAfterMs },
    });
    return { client, loginKey: loginKey(client.options.baseUrl, client.options.credentials) };
  }
}

/**
 * A login's key: its host and who it is (client id and user, a digest of an app token or access
 * token), digested. The same on every worker; no secret is kept, nor recoverable from it.
 */
export function loginKey(baseUrl: string, c: Credentials): string {
  const digest = (s: string): string => createHash('sha256').update(s).digest('hex');
  const who =
    'accessToken' in c
      ? ['token', digest(c.accessToken)]
      : 'appToken' in c
        ? ['app', digest(c.appToken), c.username]
        : ['client', c.clientId, c.username];
  return digest(JSON.stringify([baseUrl, ...who]));
}
