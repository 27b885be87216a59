import { ConfigurationError, MedfusionClient, type ClientOptions } from 'medfusion-patient-sdk';

const base: ClientOptions = {
  practiceId: 'p-1',
  environment: 'demo',
  credentials: { accessToken: 't' },
};
const optionOf = (o: unknown): string | undefined => {
  try {
    new MedfusionClient(o as ClientOptions);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return (e as ConfigurationError).option;
  }
};

describe('client options', () => {
  it('fills documented defaults', () => {
    const { options } = new MedfusionClient(base);
    expect(options).toMatchObject({
      baseUrl: 'https://integration.demo.medfusion.net',
      apiVersion: 'v2',
      basicAuth: 'raw',
      timeoutMs: 30_000,
      maxRetries: 2,
      sinceDateFormat: 'seconds',
      sender: { vendorName: 'medfusion-patient-sdk', deviceName: 'medfusion-patient-sdk' },
    });
    expect(new MedfusionClient({ ...base, environment: 'production' }).options.baseUrl).toBe(
      'https://integration.medfusion.net',
    );
  });

  it.each([
    ['practiceId', { ...base, practiceId: '' }],
    ['practiceId', { ...base, practiceId: 'a/b' }],
    ['environment', { ...base, environment: 'staging' }],
    ['environment', { practiceId: 'p', credentials: { accessToken: 't' } }],
    ['baseUrl', { ...base, baseUrl: 'https://x.test' }],
    ['apiVersion', { ...base, apiVersion: 'v4' }],
    ['credentials', { ...base, credentials: undefined }],
    [
      'credentials.clientSecret',
      { ...base, credentials: { clientId: 'a', username: 'u', password: 'p' } },
    ],
    ['credentials.password', { ...base, credentials: { appToken: 'a', username: 'u' } }],
    ['credentials.accessToken', { ...base, credentials: { accessToken: '' } }],
    ['basicAuth', { ...base, basicAuth: 'hex' }],
    ['timeoutMs', { ...base, timeoutMs: 0 }],
    ['maxRetries', { ...base, maxRetries: 1.5 }],
    ['maxRetries', { ...base, maxRetries: -1 }],
    ['logger', { ...base, logger: { info: () => undefined } }],
    ['logLevel', { ...base, logLevel: 'verbose' }],
    ['sender.vendorName', { ...base, sender: { vendorName: '' } }],
    ['sinceDateFormat', { ...base, sinceDateFormat: 'iso' }],
    ['cursorFormat', { ...base, cursorFormat: 'any' }],
    // Past 2^31 - 1 ms a Node timer fires at once: a timeout of every request, a busy retry loop.
    ['timeoutMs', { ...base, timeoutMs: 2 ** 31 }],
    ['retryBackoff.maxDelayMs', { ...base, retryBackoff: { maxDelayMs: 2 ** 31 } }],
    ['retryBackoff.initialDelayMs', { ...base, retryBackoff: { initialDelayMs: 1e12 } }],
    ['retryBackoff.maxRetryAfterMs', { ...base, retryBackoff: { maxRetryAfterMs: Infinity } }],
  ])('refuses a bad %s', (option, o) => {
    expect(optionOf(o)).toBe(option);
  });

  it.each(['http://example.com', 'http://10.0.0.1:8080', 'ftp://127.0.0.1'])(
    'refuses the non-https, non-loopback base URL %s',
    (url) => {
      const { environment: _e, ...rest } = base;
      expect(optionOf({ ...rest, baseUrl: url })).toBe('baseUrl');
    },
  );

  it.each([
    'http://127.0.0.1:4010',
    'http://127.8.9.10',
    'http://localhost:3000/',
    'http://[::1]:4010',
    'https://medfusion.example.com',
  ])('accepts %s', (url) => {
    const { environment: _e, ...rest } = base;
    expect(new MedfusionClient({ ...rest, baseUrl: url }).options.baseUrl).toBe(
      url.replace(/\/$/, ''),
    );
  });

  it('refuses credentials in the base URL and never echoes them', () => {
    const { environment: _e, ...rest } = base;
    try {
      new MedfusionClient({ ...rest, baseUrl: 'https://user:s3cret-CANARY@x.test' });
      throw new Error('expected ConfigurationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      expect(JSON.stringify(e) + String(e)).not.toContain('s3cret-CANARY');
    }
  });

  it('accepts the longest timer, 2^31 - 1 ms', () => {
    expect(new MedfusionClient({ ...base, timeoutMs: 2 ** 31 - 1 }).options.timeoutMs).toBe(
      2 ** 31 - 1,
    );
  });

  it("refuses a call's own timeoutMs or a wait's delays out of range, before any request", async () => {
    const client = new MedfusionClient({ ...base, maxRetries: 0 });
    await expect(
      client.patients.getUpdatedPatients({}, { timeoutMs: 2 ** 31 }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'options.timeoutMs', rule: expect.stringMatching(/^ms\(1\.\./) }],
    });
    await expect(
      client.batches.waitForCompletion('job-1', { maxDelayMs: 2 ** 31 }),
    ).rejects.toMatchObject({ name: 'ValidationError', issues: [{ path: 'options.maxDelayMs' }] });
  });

  it('withOptions clones with changes', () => {
    const client = new MedfusionClient(base);
    const v3 = client.withOptions({ apiVersion: 'v3' });
    expect(v3.options.apiVersion).toBe('v3');
    expect(client.options.apiVersion).toBe('v2');
  });
});
