import type { ResolvedOptions } from '../internal/options';
import type { Transport } from '../internal/transport';
import type { ApiVersion } from '../models/enums';
import { path } from '../internal/path';

/** What every resource reaches through: the resolved options and the one transport. */
export interface ClientCore {
  readonly options: ResolvedOptions;
  /** @internal */
  readonly transport: Transport;
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
}
