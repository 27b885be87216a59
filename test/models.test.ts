import {
  AddressCodec,
  MedfusionClient,
  PatientInviteCodec,
  ValidationError,
  type PatientInvite,
} from 'medfusion-patient-sdk';
import { isLeft, isRight } from 'fp-ts/lib/Either';
import { validateInvites } from '../src/core/validate';
import { toIssues } from '../src/models/codec';
import { fullInvite, minimalInvite } from './helpers/fixtures';

const issuesOf = (value: unknown) => {
  const r = PatientInviteCodec.decode(value);
  return isLeft(r) ? toIssues(r.left) : [];
};
const withDemo = (changes: Record<string, unknown>) => {
  const invite = minimalInvite();
  return { ...invite, demographics: { ...invite.demographics, ...changes } };
};

describe('PatientInvite codec', () => {
  it('accepts the minimal and the full invite', () => {
    expect(isRight(PatientInviteCodec.decode(minimalInvite()))).toBe(true);
    expect(isRight(PatientInviteCodec.decode(fullInvite()))).toBe(true);
  });

  it.each([
    ['practicePatientId', { ...minimalInvite(), practicePatientId: undefined }],
    ['demographics.name.firstName', withDemo({ name: { lastName: 'L' } })],
    ['demographics.name.lastName', withDemo({ name: { firstName: 'F' } })],
    ['demographics.dateOfBirth', withDemo({ dateOfBirth: undefined })],
    ['demographics.gender', withDemo({ gender: undefined })],
    ['demographics.email', withDemo({ email: undefined })],
  ])('requires %s', (path, value) => {
    expect(issuesOf(value)).toContainEqual({ path, rule: 'required' });
  });

  it('rejects empty strings, even optional ones', () => {
    const value = withDemo({
      name: { firstName: 'F', lastName: 'L', middleName: '' },
      homePhone: '   ',
    });
    expect(issuesOf(value)).toEqual(
      expect.arrayContaining([
        { path: 'demographics.name.middleName', rule: 'nonEmpty' },
        { path: 'demographics.homePhone', rule: 'nonEmpty' },
      ]),
    );
  });

  it.each([
    ['not-an-email', 'email'],
    ['a@b', 'email'],
    ['a b@example.com', 'email'],
  ])('rejects e-mail %s', (email, rule) => {
    expect(issuesOf(withDemo({ email }))).toEqual([{ path: 'demographics.email', rule }]);
  });

  it.each(['1985-02-30', '1985-13-01', '85-01-01', '1985-01-01T00:00:00', '2023-02-29'])(
    'rejects date of birth %s',
    (dateOfBirth) => {
      expect(issuesOf(withDemo({ dateOfBirth }))).toEqual([
        { path: 'demographics.dateOfBirth', rule: 'date(YYYY-MM-DD)' },
      ]);
    },
  );

  it('accepts 29 February of a leap year and rejects a birth in the future', () => {
    expect(issuesOf(withDemo({ dateOfBirth: '2024-02-29' }))).toEqual([]);
    const nextYear = new Date().getUTCFullYear() + 1;
    expect(issuesOf(withDemo({ dateOfBirth: `${nextYear}-06-01` }))).toEqual([
      { path: 'demographics.dateOfBirth', rule: 'notInFuture' },
    ]);
  });

  it.each(['12345678', '1234567890', '123-45-6789', 'abcdefghi'])('rejects SSN %s', (ssn) => {
    expect(issuesOf(withDemo({ ssn }))).toEqual([
      { path: 'demographics.ssn', rule: 'ssn(9 digits)' },
    ]);
  });

  it('enforces the address limits the evidence supports (spec sections 6 and 10)', () => {
    const r = AddressCodec.decode({
      line1: 'x'.repeat(101),
      city: 'y'.repeat(100),
      state: 'NCA',
      country: 'United States of America', // longer countries were accepted (section 10)
      zipCode: '1'.repeat(16),
    });
    expect(isLeft(r) && toIssues(r.left)).toEqual([
      { path: 'line1', rule: 'maxLength(100)' },
      { path: 'state', rule: 'state(two-letter code)' },
      { path: 'zipCode', rule: 'maxLength(15)' },
    ]);
  });

  it("maps a US state's full name to its code; an empty address part is absent, never sent", () => {
    const r = AddressCodec.decode({
      line1: '1 Main St',
      city: '',
      state: '  north   Carolina ',
      country: 'USA',
      zipCode: ' ',
    });
    expect(isRight(r) && r.right).toEqual({
      line1: '1 Main St',
      city: undefined,
      state: 'NC',
      country: 'USA',
      zipCode: undefined,
    });
    const [sent] = validateInvites(
      [
        {
          ...minimalInvite('P-1'),
          demographics: {
            ...minimalInvite('P-1').demographics,
            homeAddress: { state: 'Puerto Rico', city: '' },
          },
        },
      ],
      'v2',
    );
    expect(sent?.demographics.homeAddress).toEqual({ state: 'PR', city: undefined });
  });

  it('a State the server would truncate is refused, with what to do', () => {
    const invite = {
      ...minimalInvite('P-1'),
      demographics: { ...minimalInvite('P-1').demographics, workAddress: { state: 'Ontario' } },
    };
    expect(() => validateInvites([invite], 'v2')).toThrow(
      /invites\[0\]\.demographics\.workAddress\.state \(state\(two-letter code\)\)\. A State is the two-letter code \(NC, CA\): Medfusion keeps only the first two characters/,
    );
  });

  it("does not check an emergency contact's or a guarantor's e-mail: the server accepts placeholder words", () => {
    const invite = {
      ...minimalInvite('P-1'),
      emergencyContact: { email: 'EmailAddress' },
      billing: { guarantor: { email: 'none' } },
    };
    expect(validateInvites([invite], 'v2')).toHaveLength(1);
    expect(
      issuesOf({ ...invite, demographics: { ...invite.demographics, email: 'none' } }),
    ).toEqual([{ path: 'demographics.email', rule: 'email' }]);
  });

  it('rejects values outside an enumeration and unknown fields', () => {
    expect(issuesOf(withDemo({ maritalStatus: 'COMPLICATED', middlename: 'x' }))).toEqual(
      expect.arrayContaining([
        { path: 'demographics.maritalStatus', rule: 'oneOf(MaritalStatus)' },
        { path: 'demographics.middlename', rule: 'unknownField' },
      ]),
    );
  });

  it('rejects characters XML cannot carry', () => {
    expect(issuesOf(withDemo({ homePhone: 'a\u0001b' }))).toEqual([
      { path: 'demographics.homePhone', rule: 'xmlCharacters' },
    ]);
  });

  it('rejects a copay with more than two decimals or below zero', () => {
    const bad = (copay: number) =>
      issuesOf({ ...minimalInvite(), insurance: { primary: { copay } } });
    expect(bad(0.125)).toEqual([
      { path: 'insurance.primary.copay', rule: 'amount(0..1e9, 2 decimals)' },
    ]);
    expect(bad(-1)).toHaveLength(1);
    expect(bad(0.29)).toEqual([]);
  });
});

describe('validateInvites', () => {
  it('names the invite by index and the field by path', () => {
    const invites: unknown[] = [
      minimalInvite('A'),
      minimalInvite('B'),
      minimalInvite('C'),
      withDemo({ name: { firstName: 'F', lastName: 'L', middleName: '' } }),
    ];
    (invites[3] as PatientInvite).practicePatientId = 'D';
    expect(() => validateInvites(invites, 'v2')).toThrow(ValidationError);
    try {
      validateInvites(invites, 'v2');
    } catch (e) {
      expect((e as ValidationError).issues).toEqual([
        { path: 'invites[3].demographics.name.middleName', rule: 'nonEmpty' },
      ]);
    }
  });

  it('allows UNKNOWN and UNDIFFERENTIATED gender only in v3', () => {
    const invite = withDemo({ gender: 'UNDIFFERENTIATED' });
    expect(() => validateInvites([invite], 'v3')).not.toThrow();
    expect(() => validateInvites([invite], 'v2')).toThrow(
      expect.objectContaining({
        issues: [{ path: 'invites[0].demographics.gender', rule: 'oneOf(Gender v2)' }],
      }),
    );
  });

  it('refuses fields the API version cannot carry instead of dropping them', () => {
    const withIdentity = withDemo({ genderIdentity: { value: 'OTH' } });
    expect(() => validateInvites([withIdentity], 'v2')).not.toThrow();
    expect(() => validateInvites([withIdentity], 'v1')).toThrow(
      expect.objectContaining({
        issues: [{ path: 'invites[0].demographics.genderIdentity', rule: 'unsupportedIn(v1)' }],
      }),
    );
    expect(() => validateInvites([fullInvite()], 'v3')).toThrow(
      expect.objectContaining({
        issues: [{ path: 'invites[0].accountNumber', rule: 'unsupportedIn(v3)' }],
      }),
    );
  });

  it('refuses a practice patient id twice in one call', () => {
    expect(() => validateInvites([minimalInvite('A'), minimalInvite('A')], 'v2')).toThrow(
      expect.objectContaining({
        issues: [{ path: 'invites[1].practicePatientId', rule: 'unique' }],
      }),
    );
  });

  it('keeps every value out of the error message, toString and JSON', () => {
    const invite = fullInvite();
    invite.demographics.email = 'zebulon.canary-at-example';
    invite.demographics.ssn = '98765';
    try {
      validateInvites([invite], 'v2');
      throw new Error('expected a ValidationError');
    } catch (e) {
      const text = [
        String(e),
        (e as Error).message,
        JSON.stringify(e),
        (e as Error).stack ?? '',
      ].join('\n');
      for (const value of ['zebulon', '98765', 'Canary', 'PPID-CANARY'])
        expect(text.toLowerCase()).not.toContain(value.toLowerCase());
      expect(JSON.parse(JSON.stringify(e))).toMatchObject({
        name: 'ValidationError',
        issues: expect.any(Array),
      });
    }
  });

  it('runs before anything is sent (client-side)', async () => {
    const client = new MedfusionClient({
      practiceId: 'p',
      baseUrl: 'http://127.0.0.1:9',
      credentials: { accessToken: 't' },
      maxRetries: 0,
    });
    await expect(
      client.patients.invitePatient(withDemo({ email: 'nope' }) as PatientInvite),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'invites[0].demographics.email', rule: 'email' }],
    });
  });
});
