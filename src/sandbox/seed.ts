/**
 * Varied, realistic patients for demos, tests and benchmarks: accents, CJK, `&`, `<`, apostrophes,
 * and empty optional blocks. Deterministic for a given seed; cheap enough for 100,000 patients.
 */
import { COMMUNICATIONS, ETHNICITIES, LANGUAGES, MARITAL_STATUSES, RACES } from '../models/enums';
import type { PatientInvite } from '../models/patient';
import { pick, seededRandom } from './random';

const FIRST = [
  'José',
  'Zoë',
  'Åsa',
  'Siobhán',
  '李',
  'Müller',
  'Anaïs',
  'Renée',
  'Ōta',
  'Chloé',
  'Liam',
  'Ada',
  'Grace',
  'Mohammed',
  'Priya',
  'Kwame',
];
const LAST = [
  "O'Brien",
  'García-López',
  'Nguyễn',
  '山田',
  'Smith & Sons',
  'Van der Berg',
  'Łukasz',
  'Dupont',
  '<Unknown>',
  'Johnson',
  'Öztürk',
  'Müller-Lüdenscheidt',
];
const CITIES = ['Cary', 'Raleigh', 'São Paulo', 'Zürich', 'Durham', "Coeur d'Alene", 'Ithaca'];
const STREETS = ['Main St', 'Elm & Oak Ave', "King's Rd", 'Rue de l’Église', '1st Ave <rear>'];
const STATES = ['NC', 'NY', 'CA', 'TX', 'WA', 'MA'];

/** Invite number `i` of the set generated from `seed`. */
export function sampleInvite(i: number, seed = 1): PatientInvite {
  const r = seededRandom(seed * 1_000_003 + i);
  const year = 1930 + Math.floor(r() * 90);
  const month = String(1 + Math.floor(r() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(r() * 28)).padStart(2, '0');
  const id = `SBX-${seed}-${i}`;
  const rich = r() < 0.5;
  const invite: PatientInvite = {
    practicePatientId: id,
    demographics: {
      name: {
        firstName: pick(r, FIRST),
        lastName: pick(r, LAST),
        ...(rich ? { middleName: 'Q.' } : {}),
      },
      dateOfBirth: `${year}-${month}-${day}`,
      gender: r() < 0.5 ? 'FEMALE' : 'MALE',
      email: `patient.${seed}.${i}@example.test`,
      homeAddress: {
        line1: `${1 + Math.floor(r() * 9000)} ${pick(r, STREETS)}`,
        city: pick(r, CITIES),
        state: pick(r, STATES),
        zipCode: String(10000 + Math.floor(r() * 89999)),
      },
      mobilePhone: `919555${String(Math.floor(r() * 10000)).padStart(4, '0')}`,
      ...(rich
        ? {
            race: pick(r, RACES),
            ethnicity: pick(r, ETHNICITIES),
            preferredLanguage: pick(r, LANGUAGES),
            preferredCommunication: pick(r, COMMUNICATIONS),
            maritalStatus: pick(r, MARITAL_STATUSES),
            ssn: String(100000000 + Math.floor(r() * 899999999)),
          }
        : {}),
    },
  };
  if (rich) {
    invite.emergencyContact = {
      name: { firstName: pick(r, FIRST), lastName: pick(r, LAST) },
      phone: '9195550100',
    };
    invite.insurance = {
      primary: {
        companyName: 'Aviva & Co',
        planName: 'Gold <PPO>',
        copay: Math.round(r() * 5000) / 100,
        effectiveDate: '2024-01-01',
        relationToSubscriber: 'SELF',
      },
    };
    invite.billing = {
      accountNumber: `ACC-${i}`,
      guarantor: {
        name: { firstName: pick(r, FIRST), lastName: pick(r, LAST) },
        relationToPatient: 'SELF',
      },
    };
    invite.providers = [
      {
        id: `PRV-${i % 17}`,
        name: { firstName: 'Gregory', lastName: "House-O'Neil" },
        role: 'PCP',
      },
    ];
  }
  return invite;
}
