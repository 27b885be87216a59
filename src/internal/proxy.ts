/**
 * Which proxy the client's requests go through, decided once at construction and shown in
 * `client.options.proxy`, so that a proxy taken from the environment is never a surprise. The
 * loopback sandbox is never proxied. axios is then given exactly this (never its own env lookup).
 */
import { ConfigurationError } from '../core/errors';

/** The `proxy` client option: `false` (none), a proxy URL, or `'environment'`. */
export type ProxyOption = false | string | 'environment';

/** The proxy in force: where requests go, and why. The URL never shows its credentials. */
export type ResolvedProxy =
  | false
  | {
      /** `http://host:port` of the proxy, credentials removed. */
      url: string;
      /** Where it came from: the `proxy` option or the environment variable that named it. */
      source: 'option' | 'HTTPS_PROXY' | 'https_proxy' | 'HTTP_PROXY' | 'http_proxy';
    };

/** What the transport hands axios (`auth` only when the proxy URL had credentials). */
export interface AxiosProxy {
  protocol: string;
  host: string;
  port: number;
  auth?: { username: string; password: string };
}

/** Decides the proxy for `baseUrl`; `loopback` is the base URL's host being loopback. */
export function resolveProxy(
  option: unknown,
  baseUrl: string,
  loopback: boolean,
  env: NodeJS.ProcessEnv = process.env,
): { shown: ResolvedProxy; axios: AxiosProxy | false } {
  if (option === undefined || option === 'environment') {
    if (loopback) return { shown: false, axios: false };
    const target = new URL(baseUrl);
    const names =
      target.protocol === 'https:'
        ? (['HTTPS_PROXY', 'https_proxy'] as const)
        : (['HTTP_PROXY', 'http_proxy'] as const);
    const source = names.find((n) => (env[n] ?? '').trim() !== '');
    if (!source || bypassed(target.hostname, env.NO_PROXY ?? env.no_proxy)) {
      return { shown: false, axios: false };
    }
    return fromUrl(env[source] as string, source, 'proxy (environment)');
  }
  if (option === false) return { shown: false, axios: false };
  if (typeof option === 'string') return fromUrl(option, 'option', 'proxy');
  throw new ConfigurationError('proxy', "must be false, a proxy URL or 'environment'");
}

function fromUrl(
  text: string,
  source: Exclude<ResolvedProxy, false>['source'],
  option: string,
): { shown: ResolvedProxy; axios: AxiosProxy } {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    throw new ConfigurationError(option, 'must be an http: or https: URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigurationError(option, 'must be an http: or https: URL');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    shown: { url: `${url.protocol}//${url.host}`, source },
    axios: {
      protocol: url.protocol.slice(0, -1),
      host,
      port,
      ...(url.username
        ? {
            auth: {
              username: decodeURIComponent(url.username),
              password: decodeURIComponent(url.password),
            },
          }
        : {}),
    },
  };
}

/** `NO_PROXY`: `*`, or a list of hosts and domain suffixes (`.example.com`, `example.com`). */
function bypassed(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase();
  return noProxy
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter(Boolean)
    .some(
      (e) => e === '*' || h === e.replace(/^\./, '') || h.endsWith(e.startsWith('.') ? e : `.${e}`),
    );
}
