/**
 * Which proxy the client's requests go through, decided once at construction and shown in
 * `client.options.proxy`, so that a proxy taken from the environment is never a surprise. The
 * loopback sandbox is never proxied. axios is then given exactly this (never its own env lookup).
 *
 * From the environment, the rules are `proxy-from-env`'s (what axios itself would do), and
 * `test/proxy.test.ts` proves the two agree: `<scheme>_proxy`, then `ALL_PROXY`, lower case before
 * upper case; `NO_PROXY` entries match a host exactly, or a domain with a leading `.` or `*.`, and
 * only on their port when they give one (`host:8443`); `*` matches everything.
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
      source:
        | 'option'
        | 'HTTPS_PROXY'
        | 'https_proxy'
        | 'HTTP_PROXY'
        | 'http_proxy'
        | 'ALL_PROXY'
        | 'all_proxy';
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
    const scheme = target.protocol.slice(0, -1) as 'http' | 'https';
    const names = (
      scheme === 'https'
        ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']
        : ['http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']
    ) as Exclude<Exclude<ResolvedProxy, false>['source'], 'option'>[];
    const source = names.find((n) => (env[n] ?? '') !== '');
    const port = Number(target.port || (scheme === 'https' ? 443 : 80));
    // The host as written, brackets of an IPv6 address kept (what NO_PROXY entries are compared with).
    const host = target.host.replace(/:\d*$/, '');
    if (!source || bypassed(host, port, env.no_proxy || env.NO_PROXY)) {
      return { shown: false, axios: false };
    }
    const value = env[source] as string;
    // A proxy given without a scheme takes the target's (as proxy-from-env does).
    return fromUrl(
      value.includes('://') ? value : `${scheme}://${value}`,
      source,
      'proxy (environment)',
    );
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

/**
 * Whether `NO_PROXY` exempts `host` on `port`: `*`; an entry with a port only on that port; a bare
 * host only itself; `.example.com` or `*.example.com` any host ending so.
 */
function bypassed(host: string, port: number, noProxy: string | undefined): boolean {
  const list = (noProxy ?? '').toLowerCase();
  if (list === '') return false;
  if (list === '*') return true;
  const h = host.toLowerCase();
  return list.split(/[,\s]/).some((entry) => {
    if (entry === '') return false;
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = m ? (m[1] as string) : entry;
    if (m && Number(m[2]) !== port) return false;
    if (!/^[.*]/.test(name)) return h === name;
    return h.endsWith(name.startsWith('*') ? name.slice(1) : name);
  });
}
