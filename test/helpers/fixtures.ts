import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PatientInvite } from 'medfusion-patient-sdk';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
export const fixtureNames = (): string[] => readdirSync(FIXTURES).filter((f) => f.endsWith('.xml'));

/** A complete invite: every block filled. Values are canaries a PHI audit can search for. */
export function fullInvite(overrides: Partial<PatientInvite> = {}): PatientInvite {
  return {
    practicePatientId: 'PPID-CANARY-7731',
    accountNumber: 'ACCT-CANARY-5521',
    demographics: {
      name: {
        prefix: 'Dr',
        firstName: 'Zebulon',
        middleName: 'Quixote',
        lastName: "O'Canary-Smith",
        suffix: 'III',
      },
      dateOfBirth: '1961-02-28',
      gender: 'MALE',
      race: 'Asian',
      ethnicity: 'Not Hispanic or Latino',
      preferredLanguage: 'Japanese',
      preferredCommunication: 'Secure Email',
      ssn: '987654329',
      email: 'zebulon.canary@example.test',
      homeAddress: {
        line1: '42 Canary Wharf & Co',
        line2: 'Apt <7>',
        city: 'Cary',
        state: 'NC',
        country: 'USA',
        zipCode: '27513-1234',
      },
      workAddress: { line1: '1 Work Way', city: 'Durham', state: 'NC', zipCode: '27701' },
      homePhone: '9195550111',
      mobilePhone: '9195550122',
      workPhone: '9195550133',
      maritalStatus: 'WIDOWED',
    },
    emergencyContact: {
      name: { firstName: 'Elsie', lastName: 'Canary' },
      address: { line1: '9 Elm', city: 'Apex', state: 'NC', zipCode: '27502' },
      phone: '9195550144',
      email: 'elsie@example.test',
    },
    employment: {
      name: 'Canary Mining Co',
      address: { city: 'Raleigh', state: 'NC' },
      phone: '9195550155',
    },
    billing: {
      accountNumber: 'BILL-CANARY-3',
      guarantor: {
        externalId: 'G-1',
        name: { firstName: 'Gus', lastName: 'Canary' },
        dateOfBirth: '1940-01-01',
        ssn: '123456780',
        address: { line1: '3 Oak', city: 'Cary', state: 'NC', zipCode: '27513' },
        phone: '9195550166',
        email: 'gus@example.test',
        relationToPatient: 'SELF',
      },
    },
    insurance: {
      primary: {
        companyName: 'Aviva',
        planName: 'Gold',
        groupNumber: 'G-23123',
        policyNumber: 'POL-1',
        effectiveDate: '2024-01-01',
        expirationDate: '2026-12-31',
        copay: 20.5,
        claimsAddress: { line1: 'PO Box 1', city: 'Hartford', state: 'CT', zipCode: '06101' },
        claimsPhone: '8005550100',
        memberId: 'M-1',
        payerId: 'P-1',
        subscriberId: 'S-1',
        subscriberName: { firstName: 'Zebulon', lastName: "O'Canary-Smith" },
        subscriberDateOfBirth: '1961-02-28',
        subscriberSsn: '987654329',
        relationToSubscriber: 'SELF',
      },
      secondary: { companyName: 'Second Co', copay: 0 },
    },
    providers: [
      {
        id: 'PRV-1',
        name: { firstName: 'Gregory', lastName: 'House' },
        role: 'PCP',
        activationDate: '2020-01-01',
      },
      { id: 'PRV-2' },
    ],
    ...overrides,
  };
}

/** The smallest valid invite. */
export function minimalInvite(id = 'P-1'): PatientInvite {
  return {
    practicePatientId: id,
    demographics: {
      name: { firstName: 'Ada', lastName: 'Lovelace' },
      dateOfBirth: '1985-12-10',
      gender: 'FEMALE',
      email: `${id.toLowerCase()}@example.test`,
    },
  };
}
