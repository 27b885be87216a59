/** OAuth (wire spec section 2): the application lookup and the password grant. */
import { randomUUID } from 'node:crypto';
import { json, type EmulatorRequest, type EmulatorResponse } from '../responses';
import type { SandboxState } from '../state';

export function oauth(
  state: SandboxState,
  req: EmulatorRequest,
  parts: string[],
): EmulatorResponse {
  const c = state.credentials;
  if (req.method === 'GET' && parts[2] === 'oauthapplication') {
    if (parts[3] !== c.appToken) return json(404, { error: 'not_found' });
    return json(200, {
      applicationName: 'Medfusion Sandbox',
      grantTypes: ['password'],
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      oauthVersion: 'O_AUTH_2_0',
    });
  }
  if (req.method !== 'POST' || parts[2] !== 'token') return json(404, { error: 'not_found' });
  if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
    return json(415, { error: 'unsupported_media_type' });
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const pair = `${c.clientId}:${c.clientSecret}`;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  if (basic !== pair && decoded !== pair) return json(401, { error: 'invalid_client' });
  const form = new URLSearchParams(req.body);
  if (
    form.get('grant_type') !== 'password' ||
    form.get('username') !== c.username ||
    form.get('password') !== c.password
  ) {
    return json(400, { error: 'invalid_grant' });
  }
  const token = randomUUID();
  state.tokens.set(token, Date.now() + state.options.tokenTtlSeconds * 1000);
  state.stats.tokensIssued++;
  return json(200, {
    tokenType: 'BEARER',
    expiresIn: state.options.tokenTtlSeconds,
    refreshToken: null,
    accessToken: token,
    accessTokenSecret: null,
  });
}

/** Whether an `Authorization` header carries a live token. */
export function authorized(state: SandboxState, header: string | undefined): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  const expires = token ? state.tokens.get(token) : undefined;
  return expires !== undefined && expires > Date.now();
}
