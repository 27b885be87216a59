/**
 * msw request handlers backed by the sandbox's emulator, for your own unit tests: no server, no
 * port, the same wire behaviour as `startSandbox`.
 *
 * @example
 * import { setupServer } from 'msw/node';
 * import { createEmulator, medfusionHandlers } from 'medfusion-patient-sdk/testing';
 *
 * const emulator = createEmulator();
 * const server = setupServer(...medfusionHandlers({ emulator }));
 * beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
 * afterAll(() => server.close());
 * const client = new MedfusionClient({ baseUrl: emulator.baseUrl, practiceId: emulator.practiceId, credentials: emulator.credentials });
 */
import { delay, http, HttpResponse, type HttpHandler } from 'msw';
import { Emulator, type EmulatorOptions } from '../sandbox/emulator';

export { Emulator, type EmulatorOptions } from '../sandbox/emulator';
export type { FaultOptions } from '../sandbox/faults';

/** The base URL the handlers answer on unless told otherwise. */
export const DEFAULT_TEST_BASE_URL = 'https://medfusion.test';

/** An emulator whose `baseUrl` is the handlers' default. */
export function createEmulator(options: EmulatorOptions & { baseUrl?: string } = {}): Emulator {
  const emulator = new Emulator(options);
  emulator.baseUrl = options.baseUrl ?? DEFAULT_TEST_BASE_URL;
  return emulator;
}

/** msw handlers answering every Medfusion Patient API call under `emulator.baseUrl`. */
export function medfusionHandlers(options: { emulator?: Emulator } = {}): HttpHandler[] {
  const emulator = options.emulator ?? createEmulator();
  return [
    http.all(`${emulator.baseUrl}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, key) => {
        headers[key] = value;
      });
      const answer = emulator.handle({
        method: request.method,
        url: url.pathname + url.search,
        headers,
        body: request.method === 'GET' ? '' : await request.text(),
      });
      if (answer.latencyMs) await delay(answer.latencyMs);
      if (answer.reset) return HttpResponse.error();
      return new HttpResponse(answer.status === 204 ? null : answer.body, {
        status: answer.status,
        headers: answer.headers,
      });
    }),
  ];
}
