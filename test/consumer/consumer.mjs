import { MedfusionClient, ValidationError } from 'medfusion-patient-sdk';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';
import { medfusionHandlers } from 'medfusion-patient-sdk/testing';
import { PostgresCheckpointStore, LeaseLostError } from 'medfusion-patient-sdk/postgres';
import { MedfusionError, TokenCache } from 'medfusion-patient-sdk';
import { FleetWorker, FleetJobError } from 'medfusion-patient-sdk/fleet';
import pkg from 'medfusion-patient-sdk/package.json' with { type: 'json' };

const sb = await startSandbox();
const client = new MedfusionClient({
  baseUrl: sb.url,
  practiceId: sb.practiceId,
  credentials: sb.credentials,
});
await client.patients.invitePatient({
  practicePatientId: 'M-1',
  demographics: {
    name: { firstName: 'Ada', lastName: 'Lovelace' },
    dateOfBirth: '1985-12-10',
    gender: 'FEMALE',
    email: 'ada@example.test',
  },
});
sb.registerPatient('M-1');
const page = await client.patients.getUpdatedPatients();
await sb.close();
if (page.patients[0]?.practicePatientId !== 'M-1')
  throw new Error('ESM consumer: patient not synced');
if (!(new ValidationError('x', []) instanceof Error) || medfusionHandlers().length === 0)
  throw new Error('ESM consumer: exports');
// The PostgreSQL entry loads without `pg` installed (an optional peer), and its errors are the SDK's.
if (
  typeof PostgresCheckpointStore !== 'function' ||
  !(new LeaseLostError('k', '1', 'commit') instanceof MedfusionError)
)
  throw new Error('ESM consumer: postgres entry');
// The fleet entry loads without pg-boss or pg (optional peers).
if (
  typeof FleetWorker !== 'function' ||
  !(new FleetJobError('invite', 'p', new Error('x')) instanceof MedfusionError)
)
  throw new Error('ESM consumer: fleet entry');
// A token cache made by one copy of the package is taken by a client of the other (CJS) copy.
const { MedfusionClient: CjsClient } = (await import('node:module')).createRequire(import.meta.url)(
  'medfusion-patient-sdk',
);
new CjsClient({
  baseUrl: 'http://127.0.0.1:1',
  practiceId: 'p',
  credentials: { accessToken: 't' },
  tokenCache: new TokenCache(),
});
console.log(`ESM consumer ok (${pkg.name}@${pkg.version})`);
