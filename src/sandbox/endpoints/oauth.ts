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
  // Any practice user of the sandbox, with the one client id and secret.
  const login = state.logins.find(
    (l) => l.username === form.get('username') && l.password === form.get('password'),
  );
  if (form.get('grant_type') !== 'password' || !login) {
    return json(400, { error: 'invalid_grant' });
  }
  const token = randomUUID();
  state.tokens.set(token, {
    expiresAt: Date.now() + state.options.tokenTtlSeconds * 1000,
    username: login.username,
  });
  state.stats.tokensIssued++;
  state.stats.tokensByUsername[login.username] =
    (state.stats.tokensByUsername[login.username] ?? 0) + 1;
  return json(200, {
    tokenType: 'BEARER',
    expiresIn: state.options.tokenTtlSeconds,
    refreshToken: null,
    accessToken: token,
    accessTokenSecret: null,
  });
}

/** Whether an `Authorization` header carries a live token of this practice's login. */
export function authorized(state: SandboxState, header: string | undefined): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  const issued = token ? state.tokens.get(token) : undefined;
  return (
    issued !== undefined &&
    issued.expiresAt > Date.now() &&
    issued.username === state.credentials.username
  );
}
