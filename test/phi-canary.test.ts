/**
 * PHI and secrets audit: requests carrying planted patient values and credentials go through every
 * error path; no canary may appear in a log line, an error's message, string, JSON, inspection or stack.
 */
import { inspect } from 'node:util';
import { http, HttpResponse, delay } from 'msw';
import { MedfusionError, type ClientOptions, type PatientInvite } from 'medfusion-patient-sdk';
import { BASE, PRACTICE, captureLogger, testClient, useMsw } from './helpers/msw';
import { fullInvite } from './helpers/fixtures';
import { encodePatientElement, wrapPatientBatch } from '../src/xml/documents';

const server = useMsw();
const PATIENTS = `${BASE}/v2/practice/${PRACTICE}/patient`;

const CANARIES = [
  'Zebulon',
  'Quixote',
  'Canary-Smith',
  'Canary Wharf',
  '987654329',
  'zebulon.canary@example.test',
  '9195550111',
  'PPID-CANARY-7731',
  'CLIENT-SECRET-CANARY',
  'PASSWORD-CANARY',
  'APPTOKEN-CANARY',
  'ACCESS-CANARY',
  'TOKEN-ISSUED-CANARY',
];
const CREDS = {
  clientId: 'CLIENT-ID',
  clientSecret: 'CLIENT-SECRET-CANARY',
  username: 'USER',
  password: 'PASSWORD-CANARY',
};

const echoAll = (text: string) => `<p>You sent: ${text}</p>`;
const everything = (e: unknown) =>
  [
    String(e),
    (e as Error).message,
    JSON.stringify(e),
    inspect(e, { depth: 10 }),
    (e as Error).stack ?? '',
  ].join('\n');
const audit = (label: string, text: string) => {
  for (const canary of CANARIES)
    if (text.toLowerCase().includes(canary.toLowerCase()))
      throw new Error(`${label} leaks ${canary}`);
};

type Scenario = [string, () => void, (log: ReturnType<typeof captureLogger>) => Promise<unknown>];
const invite = (): PatientInvite => fullInvite();
const okToken = () =>
  http.post(`${BASE}/v1/oauth2/token`, () =>
    HttpResponse.json({ tokenType: 'BEARER', expiresIn: 1799, accessToken: 'TOKEN-ISSUED-CANARY' }),
  );

/** A client with canary credentials whose every log line (debug included) goes to `log`. */
const audited = (log: ReturnType<typeof captureLogger>, extra: Partial<ClientOptions> = {}) =>
  testClient({ credentials: CREDS, logger: log, logLevel: 'debug', ...extra });

const scenarios: Scenario[] = [
  [
    '400 quoting the values',
    () =>
      server.use(
        okToken(),
        http.post(
          PATIENTS,
          async ({ request }) =>
            new HttpResponse(
              `<ns2:ProcessingResponse xmlns:ns2="urn:x"><ProcessingStatus>Failure</ProcessingStatus><ResponseMessage>DC_CORE_033-Error cvc-minLength-valid: Value 'Zebulon' in ${(await request.text()).slice(0, 4000).replace(/</g, '[')}</ResponseMessage></ns2:ProcessingResponse>`,
              { status: 400, headers: { 'content-type': 'application/xml' } },
            ),
        ),
      ),
    (log) => audited(log).patients.invitePatient(invite()),
  ],
  [
    '500 HTML echoing the body',
    () =>
      server.use(
        okToken(),
        http.post(
          PATIENTS,
          async ({ request }) =>
            new HttpResponse(echoAll(await request.text()), {
              status: 500,
              headers: { 'content-type': 'text/html' },
            }),
        ),
      ),
    (log) => audited(log).patients.invitePatient(invite()),
  ],
  [
    'a reset after sending',
    () =>
      server.use(
        okToken(),
        http.post(PATIENTS, () => HttpResponse.error()),
      ),
    (log) => audited(log).patients.invitePatient(invite()),
  ],
  [
    'a timeout',
    () =>
      server.use(
        okToken(),
        http.post(PATIENTS, async () => (await delay(300), HttpResponse.text('late'))),
      ),
    (log) => audited(log, { timeoutMs: 30 }).patients.invitePatient(invite()),
  ],
  [
    'a 2xx that is not XML',
    () =>
      server.use(
        okToken(),
        http.get(PATIENTS, () => HttpResponse.text(echoAll('Zebulon 987654329'), { status: 200 })),
      ),
    (log) => audited(log, {}).patients.getUpdatedPatients(),
  ],
  [
    'a response that fails its codec',
    () =>
      server.use(
        okToken(),
        http.get(PATIENTS, () =>
          HttpResponse.text(
            wrapPatientBatch('v2', 'response', {}, [
              encodePatientElement(
                { ...invite(), status: { status: 'REGISTERED' } },
                'v2',
                'response',
                { practiceId: PRACTICE },
              ).replace('<DateOfBirth>1961-02-28T00:00:00', '<DateOfBirth>Zebulon-987654329'),
            ]),
          ),
        ),
      ),
    (log) => audited(log, {}).patients.getUpdatedPatients(),
  ],
  [
    'an invalid invite',
    () => undefined,
    (log) =>
      testClient({ credentials: CREDS, logger: log }).patients.invitePatient({
        ...invite(),
        demographics: { ...invite().demographics, email: 'zebulon.canary', ssn: '987654329x' },
      }),
  ],
  [
    'a refused token request',
    () =>
      server.use(
        http.post(`${BASE}/v1/oauth2/token`, async ({ request }) =>
          HttpResponse.json(
            {
              error: 'invalid_grant',
              echo: request.headers.get('authorization'),
              body: await request.text(),
            },
            { status: 401 },
          ),
        ),
      ),
    (log) => audited(log, { maxRetries: 0 }).patients.getUpdatedPatients(),
  ],
  [
    'an unknown app token',
    () =>
      server.use(
        http.get(`${BASE}/v1/oauth2/oauthapplication/:t`, () =>
          HttpResponse.json({}, { status: 404 }),
        ),
      ),
    (log) =>
      testClient({
        credentials: { appToken: 'APPTOKEN-CANARY', username: 'u', password: 'PASSWORD-CANARY' },
        logger: log,
        logLevel: 'debug',
      }).patients.getUpdatedPatients(),
  ],
  [
    'a rejected access token',
    () =>
      server.use(
        http.get(
          PATIENTS,
          () => new HttpResponse('<html>token ACCESS-CANARY refused</html>', { status: 401 }),
        ),
      ),
    (log) =>
      testClient({
        credentials: { accessToken: 'ACCESS-CANARY' },
        logger: log,
        logLevel: 'debug',
      }).patients.getUpdatedPatients(),
  ],
  [
    'a 503 on every attempt',
    () =>
      server.use(
        okToken(),
        http.post(
          PATIENTS,
          async ({ request }) => new HttpResponse(echoAll(await request.text()), { status: 503 }),
        ),
      ),
    (log) => audited(log).patients.invitePatients([invite()]),
  ],
];

describe('no PHI or secret in logs and errors', () => {
  it.each(scenarios)('%s', async (label, arrange, act) => {
    arrange();
    const log = captureLogger();
    const error = await act(log).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MedfusionError);
    audit(`${label}: error`, everything(error));
    audit(`${label}: logs`, log.text());
    expect(log.lines.length + 1).toBeGreaterThan(0);
  });

  it('the audit itself catches a leak (it can fail)', () => {
    expect(() => audit('planted', 'an error about Zebulon')).toThrow('planted leaks Zebulon');
  });
});
