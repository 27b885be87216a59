import type { CursorFormat } from './cursor';
import type { Instrumentation } from './instrumentation';
import type { Logger } from './logger';
import type { Requester } from './request';
import type { ApiVersion } from '../models/enums';
import { path } from './path';

/** The options the resources read (the client's resolved options hold them and more). */
export interface ResourceOptions {
  /** The integration practice UUID. */
  readonly practiceId: string;
  /** The host, without a trailing slash. */
  readonly baseUrl: string;
  /** Version of the patient resource. */
  readonly apiVersion: ApiVersion;
  /** The logger, level filter applied. */
  readonly logger: Logger;
  /** The `Sender` device names. */
  readonly sender: { vendorName: string; deviceName: string; deviceVersion: string };
  /** How a `Date` becomes a cursor. */
  readonly sinceDateFormat: 'seconds' | 'milliseconds';
  /** How feed cursors are checked before they are sent back or saved. */
  readonly cursorFormat: CursorFormat;
}

/** What every resource reaches through: the resolved options and the one transport. */
export interface ClientCore {
  readonly options: ResourceOptions;
  /** @internal */
  readonly transport: Requester;
  /** @internal Spans and metrics (a no-op without OpenTelemetry). */
  readonly instrumentation: Instrumentation;
}

/** Base of the resource classes: they stay thin and hand requests to the transport. */
export abstract class APIResource {
  /** @internal */
  protected readonly core: ClientCore;

  /** @internal Resources are created by `MedfusionClient`. */
  constructor(core: ClientCore) {
    this.core = core;
  }

  /** @internal `/{version}/practice/{practiceId}` with the practice id encoded as one segment. */
  protected practicePath(version: ApiVersion = this.core.options.apiVersion): string {
    return `/${version}${path`/practice/${this.core.options.practiceId}`}`;
  }

  /** @internal The same as a route template, for telemetry: `/{version}/practice/{practiceId}`. */
  protected practiceRoute(version: ApiVersion = this.core.options.apiVersion): string {
    return `/${version}/practice/{practiceId}`;
  }
}
