// Run by timezone.test.ts in a child process with a given TZ; prints JSON.
import { decodePatientBatch, encodePatientBatch } from '../../src/xml/documents';
import { validateInvites } from '../../src/core/validate';

const DOBS = ['1970-01-01', '2000-02-29', '1999-12-31', '2024-03-10', '1985-06-30', '1900-01-01'];
const invites = validateInvites(
  DOBS.map((dob, i) => ({
    practicePatientId: `P${i}`,
    demographics: {
      name: { firstName: 'A', lastName: 'B' },
      dateOfBirth: dob,
      gender: 'FEMALE',
      email: `p${i}@example.test`,
    },
  })),
  'v2',
);
const body = encodePatientBatch('v2', { batchId: 'B' }, invites, { practiceId: 'X' });
const decoded = decodePatientBatch(body, { strict: true, direction: 'request' });
const results = DOBS.map((dob, i) => ({
  dob,
  wire: /<DateOfBirth>([^<]*)<\/DateOfBirth>/g.exec(body.split('<Patient>')[i + 1] ?? '')?.[1],
  back: (decoded.patients[i] as { demographics: { dateOfBirth: string } }).demographics.dateOfBirth,
}));
process.stdout.write(
  JSON.stringify({
    zoneOffsetMinutes: new Date('2024-06-01T00:00:00Z').getTimezoneOffset(),
    results,
  }),
);
