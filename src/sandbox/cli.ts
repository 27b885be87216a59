#!/usr/bin/env node
/**
 * `medfusion-sandbox`: runs the emulator from a shell and prints what a client needs.
 *
 *   medfusion-sandbox --port 4010 --seed-patients 500 --processing-delay 2000 --rate-429 0.1
 */
import { parseArgs } from 'node:util';
import { startSandbox } from './server';

const HELP = `Usage: medfusion-sandbox [options]

  --port <n>               port on 127.0.0.1 (default: a free one)
  --processing-delay <ms>  delay before a batch is processed (default 0)
  --seed-patients <n>      registered patients to put in each practice's feed (default 0)
  --practices <n>          practices served at once, one set of credentials (default 1)
  --logins <n>             practice users among them: practice i uses login i % n (default 1)
  --token-ttl <s>          lifetime of tokens in seconds (default 1799)
  --rate-429 <0..1>        share of requests answered 429
  --rate-503 <0..1>        share of requests answered 503
  --reset-rate <0..1>      share of connections reset
  --latency <ms>           added latency per request
  --json                   print the connection details as JSON
  -h, --help               this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'processing-delay': { type: 'string' },
      'seed-patients': { type: 'string' },
      practices: { type: 'string' },
      logins: { type: 'string' },
      'token-ttl': { type: 'string' },
      'rate-429': { type: 'string' },
      'rate-503': { type: 'string' },
      'reset-rate': { type: 'string' },
      latency: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`--${name} must be a number >= 0`);
    return n;
  };
  /** Counts, ports and milliseconds are whole numbers: `3.5` patients is a mistake, not 4. */
  const int = (name: string, v: string | undefined): number | undefined => {
    const n = num(name, v);
    if (n !== undefined && !Number.isInteger(n))
      throw new Error(`--${name} must be an integer >= 0`);
    return n;
  };
  const sb = await startSandbox({
    port: int('port', values.port) ?? 0,
    processingDelayMs: int('processing-delay', values['processing-delay']) ?? 0,
    tokenTtlSeconds: int('token-ttl', values['token-ttl']) ?? 1799,
    practices: Math.max(1, int('practices', values.practices) ?? 1),
    logins: Math.max(1, int('logins', values.logins) ?? 1),
    faults: {
      rate429: num('rate-429', values['rate-429']),
      rate503: num('rate-503', values['rate-503']),
      resetRate: num('reset-rate', values['reset-rate']),
      latencyMs: int('latency', values.latency),
    },
  });
  const perPractice = int('seed-patients', values['seed-patients']) ?? 0;
  const seeded = sb.practiceIds.reduce(
    (n, id) => n + sb.practice(id).seedRegisteredPatients(perPractice).length,
    0,
  );
  const details = {
    url: sb.url,
    practiceId: sb.practiceId,
    practiceIds: sb.practiceIds,
    credentials: sb.credentials,
    // Practice i accepts tokens of logins[i % logins.length] only.
    logins: sb.logins,
    seededPatients: seeded,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(details)}\n`);
  else {
    console.log(`Medfusion sandbox listening on ${sb.url}`);
    console.log(`  practiceId:   ${sb.practiceId}`);
    if (sb.practiceIds.length > 1)
      console.log(`  practices:    ${sb.practiceIds.length} (--json lists them)`);
    console.log(`  clientId:     ${sb.credentials.clientId}`);
    console.log(`  clientSecret: ${sb.credentials.clientSecret}`);
    console.log(`  username:     ${sb.credentials.username}`);
    console.log(`  password:     ${sb.credentials.password}`);
    console.log(`  appToken:     ${sb.credentials.appToken}`);
    if (sb.logins.length > 1)
      console.log(
        `  logins:       ${sb.logins.length}, practice i uses login i % ${sb.logins.length} (--json lists them)`,
      );
    console.log(`  seeded registered patients: ${seeded}`);
    console.log('These are throw-away sandbox credentials. Ctrl-C to stop.');
  }
  const stop = (): void => void sb.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`medfusion-sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
