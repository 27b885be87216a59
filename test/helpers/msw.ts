import { setupServer } from 'msw/node';
import { MedfusionClient, type ClientOptions, type Logger } from 'medfusion-patient-sdk';

export const BASE = 'https://integration.demo.medfusion.net';
export const PRACTICE = '6400c743-1111-2222-3333-444455556666';
export const CREDENTIALS = {
  clientId: 'cid-CANARY',
  clientSecret: 'csecret-CANARY',
  username: 'user-CANARY',
  password: 'pw-CANARY',
};

/** One msw server for a test file; unhandled requests fail the test. */
export function useMsw() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** Every line the SDK logged, as text, for assertions and PHI audits. */
export function captureLogger(): Logger & {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[];
  text(): string;
} {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const sink = (globalThis as { __medfusionAuditLine?: (line: string) => void })
    .__medfusionAuditLine;
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
    sink?.(JSON.stringify({ level, message, fields })); // the whole-run PHI audit (test/setup/phi-audit.ts)
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
  };
}

/** A client on the demo host with fast retries (delays still exponential, in ms). */
export function testClient(options: Partial<ClientOptions> = {}): MedfusionClient {
  return new MedfusionClient({
    practiceId: PRACTICE,
    environment: 'demo',
    credentials: { accessToken: 'token-CANARY' },
    retryBackoff: { initialDelayMs: 5, maxDelayMs: 40 },
    logger: captureLogger(), // every test client's lines go through the PHI audit
    logLevel: 'debug',
    ...options,
  });
}
