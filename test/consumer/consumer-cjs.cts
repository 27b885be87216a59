// Type-checked as CommonJS under node16 (msw's own types are ESM-only, so ./testing is left to consumer.ts).
import { MedfusionClient, type PatientPage } from 'medfusion-patient-sdk';
import { startSandbox } from 'medfusion-patient-sdk/sandbox';

export async function checkCjs(): Promise<PatientPage> {
  const sb = await startSandbox();
  const client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
  const page = await client.patients.getUpdatedPatients();
  await sb.close();
  return page;
}
