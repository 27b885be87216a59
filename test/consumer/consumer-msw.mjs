// The ./testing handlers with whichever msw is installed (2 or 3): invite, process, register, read
// the feed, all answered in-process by the emulator.
import { setupServer } from 'msw/node';
import { MedfusionClient } from 'medfusion-patient-sdk';
import { createEmulator, medfusionHandlers } from 'medfusion-patient-sdk/testing';
import msw from 'msw/package.json' with { type: 'json' };

const emulator = createEmulator();
const server = setupServer(...medfusionHandlers({ emulator }));
server.listen({ onUnhandledRequest: 'error' });
try {
  const client = new MedfusionClient({
    baseUrl: emulator.baseUrl,
    practiceId: emulator.practiceId,
    credentials: emulator.credentials,
  });
  const job = await client.patients.invitePatient({
    practicePatientId: 'T-1',
    demographics: {
      name: { firstName: 'Ada', lastName: 'Lovelace' },
      dateOfBirth: '1985-12-10',
      gender: 'FEMALE',
      email: 'ada@example.test',
    },
  });
  const status = await client.batches.waitForCompletion(job, { minDelayMs: 5 });
  emulator.registerPatient('T-1');
  const page = await client.patients.getUpdatedPatients();
  if (status.state !== 'COMPLETED' || page.patients[0]?.practicePatientId !== 'T-1')
    throw new Error(`msw ${msw.version} consumer: unexpected answers`);
  if (!page.lastResponse?.requestId) throw new Error('msw consumer: no request id');
  console.log(`msw ${msw.version} consumer ok on node ${process.versions.node}`);
} finally {
  server.close();
}
