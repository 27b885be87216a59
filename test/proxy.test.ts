/**
 * The proxy taken from the environment is the one `proxy-from-env` (what axios itself uses) picks:
 * the same variable, the same `NO_PROXY` matching, ports included. Every combination of a grid of
 * targets and environments is asked of both.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getProxyForUrl } = require('proxy-from-env') as { getProxyForUrl(url: string): string };
import { resolveProxy } from '../src/internal/proxy';

const VARIABLES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'no_proxy',
  'NO_PROXY',
];
const saved = Object.fromEntries(VARIABLES.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of VARIABLES) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

const TARGETS = [
  'https://integration.medfusion.net',
  'https://integration.demo.medfusion.net',
  'https://gateway.example.com:8443',
  'https://gateway.example.com:9443',
  'http://plain.example.com',
  'https://[2001:db8::1]:8443',
];
const PROXIES: Record<string, string>[] = [
  {},
  { HTTPS_PROXY: 'http://upper.proxy:3128' },
  { https_proxy: 'http://lower.proxy:3128', HTTPS_PROXY: 'http://upper.proxy:3128' },
  { HTTP_PROXY: 'http://plain.proxy:8080' },
  { ALL_PROXY: 'http://all.proxy:1080' },
  { https_proxy: 'corp.proxy:3128' }, // no scheme
];
const NO_PROXY = [
  undefined,
  '*',
  '.medfusion.net',
  'medfusion.net',
  '*.medfusion.net',
  'integration.medfusion.net',
  'integration.medfusion.net:443',
  'integration.medfusion.net:8443',
  'gateway.example.com:8443',
  'example.com, .example.com',
  '[2001:db8::1]:8443',
  ' , localhost, 10.0.0.1',
];

/** What axios's library would pick, as `scheme://host:port` (credentials and paths aside), or `none`. */
function theirs(target: string): string {
  const proxy = getProxyForUrl(target);
  if (!proxy) return 'none';
  const u = new URL(proxy);
  return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
}

function ours(target: string): string {
  const { axios } = resolveProxy('environment', target, false);
  return axios ? `${axios.protocol}://${axios.host}:${axios.port}` : 'none';
}

describe('proxy from the environment', () => {
  const cases = PROXIES.flatMap((proxies) =>
    NO_PROXY.flatMap((noProxy) => TARGETS.map((target) => ({ proxies, noProxy, target }))),
  );

  it(`agrees with proxy-from-env on all ${cases.length} combinations`, () => {
    const disagreements: string[] = [];
    for (const { proxies, noProxy, target } of cases) {
      for (const k of VARIABLES) delete process.env[k];
      Object.assign(process.env, proxies);
      if (noProxy !== undefined) process.env.NO_PROXY = noProxy;
      const [a, b] = [ours(target), theirs(target)];
      if (a !== b)
        disagreements.push(
          `${target} ${JSON.stringify(proxies)} NO_PROXY=${noProxy}: ${a} vs ${b}`,
        );
    }
    expect(disagreements).toEqual([]);
  });

  it('honours the port of a NO_PROXY entry: host:8443 exempts that port only', () => {
    for (const k of VARIABLES) delete process.env[k];
    process.env.HTTPS_PROXY = 'http://corp.proxy:3128';
    process.env.NO_PROXY = 'gateway.example.com:8443';
    expect(ours('https://gateway.example.com:8443')).toBe('none');
    expect(ours('https://gateway.example.com:9443')).toBe('http://corp.proxy:3128');
    expect(resolveProxy('environment', 'https://gateway.example.com:9443', false).shown).toEqual({
      url: 'http://corp.proxy:3128',
      source: 'HTTPS_PROXY',
    });
  });
});
