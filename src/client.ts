/**
 * The client: validates options, builds the one transport, and creates the resources. Nothing
 * else lives here: retries, auth, logging and XML each have their own file.
 */
import { noInstrumentation, type Instrumentation } from './core/instrumentation';
import { TokenProvider } from './internal/auth';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './internal/options';
import { Transport } from './internal/transport';
import { Batches } from './resources/batches';
import { Patients } from './resources/patients';
import { openTelemetry } from './telemetry/open-telemetry';
import { VERSION } from './version';

/**
 * A client for one Medfusion practice.
 *
 * @example
 * const client = new MedfusionClient({
 *   practiceId: process.env.MEDFUSION_PRACTICE_ID!,
 *   environment: 'demo',
 *   credentials: { clientId, clientSecret, username, password },
 * });
 * const job = await client.patients.invitePatient(invite);
 * await client.batches.waitForCompletion(job);
 */
export class MedfusionClient {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedOptions;
  /** @internal */
  readonly transport: Transport;
  /** @internal Spans and metrics: OpenTelemetry when installed and `telemetry` is not `false`. */
  readonly instrumentation: Instrumentation;
  /** Invite patients, read the feed, sync. */
  readonly patients: Patients;
  /** Follow submitted batches. */
  readonly batches: Batches;

  /**
   * @param given The options; those not given are read from `MEDFUSION_*` environment variables.
   * @throws {ConfigurationError} when an option is missing or wrong.
   */
  constructor(private readonly given: ClientOptions = {}) {
    this.options = resolveOptions(given);
    const o = this.options;
    this.instrumentation = o.telemetry ? openTelemetry() : noInstrumentation;
    this.transport = new Transport({
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      maxResponseBytes: o.maxResponseBytes,
      backoff: o.backoff,
      logger: o.logger,
      userAgent: `medfusion-patient-sdk/${VERSION} node/${process.versions.node}`,
      proxy: o.axiosProxy,
      limiter: o.requestLimiter,
      instrumentation: this.instrumentation,
    });
    if (o.proxy) {
      o.logger.info('medfusion requests go through a proxy', {
        proxy: o.proxy.url,
        source: o.proxy.source,
      });
    }
    this.transport.tokens = o.tokenCache
      ? o.tokenCache.sourceFor(this.transport, o.credentials, o.basicAuth, o.baseUrl)
      : new TokenProvider(this.transport, o.credentials, o.basicAuth);
    this.patients = new Patients(this);
    this.batches = new Batches(this);
  }

  /**
   * A new client with some options changed (its own token cache, unless a shared `tokenCache` was given).
   *
   * @throws {ConfigurationError} when a changed option is wrong.
   * @example
   * const patient = client.withOptions({ timeoutMs: 5000, maxRetries: 0 });
   */
  withOptions(changes: Partial<ClientOptions>): MedfusionClient {
    return new MedfusionClient({ ...this.given, ...changes });
  }
}
