import type { Sandbox } from '../../src/sandbox';

/** A bearer token from the sandbox, fetched by hand, for tests that speak raw HTTP to it. */
export async function rawToken(sb: Pick<Sandbox, 'url' | 'credentials'>): Promise<string> {
  const c = sb.credentials;
  const res = await fetch(`${sb.url}/v1/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${c.clientId}:${c.clientSecret}`,
    },
    body: new URLSearchParams({
      grant_type: 'password',
      username: c.username,
      password: c.password,
    }),
  });
  return ((await res.json()) as { accessToken: string }).accessToken;
}
