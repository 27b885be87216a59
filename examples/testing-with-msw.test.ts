/**
 * Your own unit test, with Medfusion emulated by msw handlers: no network, no port, no credentials.
 *
 *   npx jest examples/testing-with-msw.test.ts
 */
import { setupServer } from 'msw/node';
import { MedfusionClient, MemoryCheckpointStore, type Patient } from 'medfusion-patient-sdk';
import { createEmulator, medfusionHandlers } from 'medfusion-patient-sdk/testing';

// The code under test: your integration's sync job.
async function syncPractice(
  client: MedfusionClient,
  checkpoint: MemoryCheckpointStore,
  db: Map<string, Patient>,
) {
  return client.patients.sync({
    checkpoint,
    onPage: async (page) => {
      for (const p of page.patients) db.set(p.practicePatientId, p);
    },
  });
}

const emulator = createEmulator();
const server = setupServer(...medfusionHandlers({ emulator }));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const client = new MedfusionClient({
  baseUrl: emulator.baseUrl,
  practiceId: emulator.practiceId,
  credentials: emulator.credentials,
});

test('syncs registered patients and resumes from the checkpoint', async () => {
  emulator.seedRegisteredPatients(150);
  const db = new Map<string, Patient>();
  const checkpoint = new MemoryCheckpointStore();

  expect(await syncPractice(client, checkpoint, db)).toMatchObject({ pages: 2, patients: 150 });
  expect(db.size).toBe(150);

  const [first] = db.keys();
  emulator.updatePatient(first as string, { demographics: { mobilePhone: '9195550000' } });
  expect(await syncPractice(client, checkpoint, db)).toMatchObject({ patients: 1 });
  expect(db.get(first as string)?.demographics.mobilePhone).toBe('9195550000');
});

test('an invited patient appears once they register', async () => {
  const job = await client.patients.invitePatient({
    practicePatientId: 'MRN-42',
    demographics: {
      name: { firstName: 'Alan', lastName: 'Turing' },
      dateOfBirth: '1912-06-23',
      gender: 'MALE',
      email: 'alan@example.test',
    },
  });
  expect((await client.batches.getStatus(job)).state).toBe('COMPLETED');
  emulator.registerPatient('MRN-42');
  const ids: string[] = [];
  for await (const patient of client.patients.getUpdatedPatients())
    ids.push(patient.practicePatientId);
  expect(ids[ids.length - 1]).toBe('MRN-42'); // the newest change comes last
});
