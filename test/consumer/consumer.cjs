const { MedfusionClient, MedfusionError } = require('medfusion-patient-sdk');
const { startSandbox } = require('medfusion-patient-sdk/sandbox');
const { LeaseLostError } = require('medfusion-patient-sdk/postgres');
const { FleetJobError, FleetWorker } = require('medfusion-patient-sdk/fleet');

(async () => {
  const sb = await startSandbox();
  const client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
  let caught;
  try {
    await client.patients.invitePatient({ practicePatientId: 'X', demographics: {} });
  } catch (error) {
    caught = error;
  }
  await sb.close();
  // The ESM copy's errors are recognised by the CJS copy's classes, and vice versa.
  const esm = await import('medfusion-patient-sdk');
  if (!(caught instanceof MedfusionError) || !(caught instanceof esm.ValidationError))
    throw new Error('CJS consumer: error classes');
  // The postgres entry is its own CJS bundle, without `pg`: its errors still count as the SDK's.
  const lost = new LeaseLostError('k', '1', 'commit');
  if (!(lost instanceof MedfusionError) || !(lost instanceof esm.LeaseLostError))
    throw new Error('CJS consumer: postgres entry errors');
  // The fleet entry loads without pg-boss or pg; its job errors are the SDK's, PHI-free.
  const failed = new FleetJobError('sync', 'p-1', new TypeError('patient 123-45-6789'));
  if (
    typeof FleetWorker !== 'function' ||
    !(failed instanceof esm.MedfusionError) ||
    JSON.stringify(failed).includes('6789')
  )
    throw new Error('CJS consumer: fleet entry');
  console.log('CJS consumer ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
