/** Benchmark data: patients with every block filled, as the heaviest real pages are. */
import type { Patient, PatientInvite } from '../src/index';
import { sampleInvite } from '../src/sandbox/seed';

/** An invite with every optional block present (v2 fields included). */
export function fullInvite(i: number): PatientInvite {
  const base = sampleInvite(i, 42);
  const name = {
    prefix: 'Ms',
    firstName: base.demographics.name.firstName,
    middleName: 'Q',
    lastName: base.demographics.name.lastName,
    suffix: 'Jr',
  };
  const address = {
    line1: `${i} Main St & Co`,
    line2: 'Suite <4>',
    city: 'Cary',
    state: 'NC',
    country: 'USA',
    zipCode: '27513',
  };
  const insurance = {
    companyName: 'Aviva',
    planName: 'Gold PPO',
    groupNumber: 'G-1',
    policyNumber: `POL-${i}`,
    effectiveDate: '2024-01-01',
    expirationDate: '2026-12-31',
    copay: 20.5,
    claimsAddress: address,
    claimsPhone: '8005550100',
    memberId: `M-${i}`,
    payerId: 'P-1',
    subscriberId: `S-${i}`,
    subscriberName: name,
    subscriberDateOfBirth: '1970-01-01',
    subscriberSsn: '123456789',
    relationToSubscriber: 'SELF',
  };
  return {
    practicePatientId: `BENCH-${i}`,
    accountNumber: `ACC-${i}`,
    demographics: {
      name,
      dateOfBirth: base.demographics.dateOfBirth,
      gender: base.demographics.gender,
      race: 'Asian',
      ethnicity: 'Not Hispanic or Latino',
      genderIdentity: { value: 'OTH', comment: 'self-described' },
      sexualOrientation: { value: 'ASKU' },
      preferredLanguage: 'English',
      preferredCommunication: 'Secure Email',
      ssn: '987654321',
      email: `bench.${i}@example.test`,
      homeAddress: address,
      workAddress: address,
      homePhone: '9195550100',
      mobilePhone: '9195550101',
      workPhone: '9195550102',
      maritalStatus: 'MARRIED',
    },
    emergencyContact: { name, address, phone: '9195550103', email: `ec.${i}@example.test` },
    employment: { name: 'Acme & Sons', address, phone: '9195550104' },
    billing: {
      accountNumber: `B-${i}`,
      guarantor: {
        externalId: `G-${i}`,
        name,
        dateOfBirth: '1960-05-05',
        ssn: '123456780',
        address,
        phone: '9195550105',
        email: `g.${i}@example.test`,
        relationToPatient: 'SELF',
      },
    },
    insurance: { primary: insurance, secondary: insurance, tertiary: insurance },
    providers: [
      {
        id: 'PRV-1',
        name,
        role: 'PCP',
        activationDate: '2020-01-01',
        expirationDate: '2030-01-01',
      },
      { id: 'PRV-2', name, role: 'Specialist' },
    ],
  };
}

/** The same patient as the portal returns it. */
export function fullPatient(i: number): Patient {
  return {
    ...fullInvite(i),
    medfusionPatientId: String(100000 + i),
    intuitPatientId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    status: {
      status: 'REGISTERED',
      description: 'Registered on the portal',
      portalStatus: 'ACTIVE',
    },
    preferredLocation: { id: '17922', externalId: '179222016', name: 'Main Clinic' },
    insuranceImages: {
      primary: {
        frontImageLink: `https://img.example.test/${i}/front`,
        backImageLink: `https://img.example.test/${i}/back`,
      },
    },
  };
}
