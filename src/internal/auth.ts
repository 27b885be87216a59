/**
 * OAuth 2.0 password grant, Medfusion style (wire spec section 2), and the token cache.
 *
 * - Credentials: client id/secret; an app token from which the id/secret are fetched; or an
 *   access token the caller manages.
 * - Basic credentials are sent raw (`id:secret`, as Medfusion's page and test code do) or base64.
 * - The token is reused until `refreshMarginMs` before it expires, then fetched again (there is no
 *   refresh grant); concurrent callers share one token request (anthropic's TokenCache).
 */
import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import { AbortError, APIError, OAuthError, ResponseParseError } from '../core/errors';
import type { RawResponse } from '../models/response-info';
import type { TokenSource, Transport } from './transport';
import { encodePathSegment } from '../core/path';
import { isLeft } from '../models/codec';

/** Client id and secret plus the practice user's login. */
export interface PasswordCredentials {
  /** The OAuth client id Medfusion issued. */
  clientId: string;
  /** The OAuth client secret. */
  clientSecret: string;
  /** The practice user's login. */
  username: string;
  /** The practice user's password. */
  password: string;
}
/** An application token (the id and secret are fetched from `oauthapplication`) plus the login. */
export interface AppTokenCredentials {
  /** The application token; never logged. */
  appToken: string;
  /** The practice user's login. */
  username: string;
  /** The practice user's password. */
  password: string;
}
/** A bearer token the caller obtains and renews itself. */
export interface AccessTokenCredentials {
  /** Sent as `Authorization: Bearer …` as is. */
  accessToken: string;
}
/** One of the three credential forms. */
export type Credentials = PasswordCredentials | AppTokenCredentials | AccessTokenCredentials;

/** How `clientId:clientSecret` is written in the Basic header. */
export type BasicAuthEncoding = 'raw' | 'base64';

const TokenReply = t.type({ accessToken: t.string, expiresIn: t.number });
const ApplicationReply = t.type({ clientId: t.string, clientSecret: t.string });

const MAX_REFRESH_MARGIN_MS = 120_000;

/**
 * The shortest lifetime a token is used for, in ms. A server that answers `expiresIn` 0, negative
 * or a few seconds would otherwise cost a token request per call (and hammer the token endpoint);
 * a token that really expired sooner is refused with a 401, which fetches a new one and retries once.
 */
export const MIN_TOKEN_LIFETIME_MS = 60_000;

export class TokenProvider implements TokenSource {
  private current: { token: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private client: { clientId: string; clientSecret: string } | undefined;
  private warnedShortLifetime = false;

  constructor(
    private readonly transport: Transport,
    private readonly credentials: Credentials,
    private readonly basicAuth: BasicAuthEncoding,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    if ('accessToken' in this.credentials) return this.credentials.accessToken;
    if (this.current && Date.now() < this.current.refreshAt) return this.current.token;
    // One request however many callers wait; it is not tied to any one caller's signal.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return signal ? raceAbort(this.pending, signal) : this.pending;
  }

  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async fetchToken(): Promise<string> {
    const creds = this.credentials as PasswordCredentials | AppTokenCredentials;
    const client = await this.clientCredentials();
    const pair = `${client.clientId}:${client.clientSecret}`;
    const header = `Basic ${this.basicAuth === 'base64' ? Buffer.from(pair, 'utf8').toString('base64') : pair}`;
    const res = await this.oauthCall(() =>
      this.transport.request({
        method: 'POST',
        path: '/v1/oauth2/token',
        route: '/v1/oauth2/token',
        body: new URLSearchParams({
          grant_type: 'password',
          username: creds.username,
          password: creds.password,
        }).toString(),
        contentType: 'application/x-www-form-urlencoded',
        accept: 'application/json',
        auth: { kind: 'basic', header },
        idempotent: true,
      }),
    );
    const reply = parseJson(res, TokenReply);
    const given = Number.isFinite(reply.expiresIn) ? reply.expiresIn * 1000 : 0;
    if (given < MIN_TOKEN_LIFETIME_MS && !this.warnedShortLifetime) {
      this.warnedShortLifetime = true;
      this.transport.config.logger.warn(
        'medfusion token lifetime below the floor; using the floor',
        {
          expiresIn: reply.expiresIn,
          floorSeconds: MIN_TOKEN_LIFETIME_MS / 1000,
        },
      );
    }
    const lifetimeMs = Math.max(MIN_TOKEN_LIFETIME_MS, given);
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10);
    this.current = { token: reply.accessToken, refreshAt: Date.now() + lifetimeMs - margin };
    return reply.accessToken;
  }

  private async clientCredentials(): Promise<{ clientId: string; clientSecret: string }> {
    if ('clientId' in this.credentials) return this.credentials;
    if (this.client) return this.client;
    const appToken = (this.credentials as AppTokenCredentials).appToken;
    const res = await this.oauthCall(() =>
      this.transport.request({
        method: 'GET',
        path: `/v1/oauth2/oauthapplication/${encodePathSegment(appToken)}`,
        logPath: '/v1/oauth2/oauthapplication/{appToken}',
        route: '/v1/oauth2/oauthapplication/{appToken}',
        accept: 'application/json',
        auth: { kind: 'none' },
        idempotent: true,
      }),
    );
    this.client = parseJson(res, ApplicationReply);
    return this.client;
  }

  /** A refusal by the OAuth endpoints is an {@link OAuthError}, whatever its status. */
  private async oauthCall(call: () => Promise<RawResponse>): Promise<RawResponse> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof APIError)
        throw new OAuthError(
          error.status,
          'the OAuth endpoint refused the request',
          error.responseCode,
        );
      throw error;
    }
  }
}

/**
 * Tokens shared by every client given the same cache. Clients with the same host and credentials
 * (say, one client per practice behind one Medfusion login) use one token, and when it runs out, one
 * token request however many of them ask at once. Credentials are told apart by a SHA-256 digest kept
 * in memory only; nothing is written anywhere.
 *
 * @example
 * const tokenCache = new TokenCache();
 * const clients = practiceIds.map(
 *   (practiceId) => new MedfusionClient({ practiceId, environment: 'production', credentials, tokenCache }),
 * );
 */
export class TokenCache {
  private readonly sources = new Map<string, TokenProvider>();

  /** Credential sets it holds a token source for. */
  get size(): number {
    return this.sources.size;
  }

  /**
   * The shared source for these credentials on this host, created on first use with `transport`.
   *
   * @internal
   */
  sourceFor(
    transport: Transport,
    credentials: Credentials,
    basicAuth: BasicAuthEncoding,
    baseUrl: string,
  ): TokenSource {
    if ('accessToken' in credentials) return new TokenProvider(transport, credentials, basicAuth);
    const key = credentialKey(credentials, basicAuth, baseUrl);
    let source = this.sources.get(key);
    if (!source) {
      source = new TokenProvider(transport, credentials, basicAuth);
      this.sources.set(key, source);
    }
    return source;
  }

  /** Forgets every token (the next call of each client fetches a new one). */
  clear(): void {
    this.sources.clear();
  }
}

/** A digest naming one credential set on one host, for the cache's map only. */
function credentialKey(
  c: PasswordCredentials | AppTokenCredentials,
  basicAuth: BasicAuthEncoding,
  baseUrl: string,
): string {
  // The form TokenProvider uses: id and secret when given, else the app token.
  const parts =
    'clientId' in c
      ? ['client', c.clientId, c.clientSecret, c.username, c.password]
      : ['app', c.appToken, c.username, c.password];
  return createHash('sha256')
    .update(JSON.stringify([baseUrl, basicAuth, ...parts]))
    .digest('hex');
}

function parseJson<A>(res: RawResponse, codec: t.Decoder<unknown, A>): A {
  let value: unknown;
  try {
    value = JSON.parse(res.body);
  } catch {
    throw new ResponseParseError(res.status, res.contentType, 'OAuth reply is not JSON');
  }
  const decoded = codec.decode(value);
  if (isLeft(decoded))
    throw new ResponseParseError(res.status, res.contentType, 'OAuth reply lacks expected fields');
  return decoded.right;
}

/** Rejects as soon as `signal` fires, without cancelling the shared `promise`. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
