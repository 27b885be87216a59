/**
 * The domain models, as io-ts codecs: the single source of truth for every shape. Each model is
 * declared once by {@link defineModels} and instantiated twice:
 *
 * - `input`: what users send. Strict: no empty strings, lengths, e-mail and SSN shapes, calendar
 *   dates, closed enumerations, unknown keys rejected.
 * - `output`: what the server sends back. Same shape, tolerant leaves: an enumeration value outside
 *   the known list is kept (and flagged by the XML decoder), because dropping a registered patient
 *   over an odd enum is worse than the odd enum.
 *
 * The types users see are the named interfaces of `types.ts`, with a line of documentation per
 * field. Each exported codec is typed against its interface (`t.Type<Name>`), which only compiles
 * when the codec's own type is the interface, and `test/types.test.ts` proves both directions equal.
 */
import * as t from 'io-ts';
import type {
  Address,
  Billing,
  Demographics,
  EmergencyContact,
  Employment,
  Guarantor,
  Insurance,
  Name,
  PartialName,
  Patient,
  PatientDemographics,
  PatientInvite,
  Provider,
} from './types';
import { usStateCode } from './us-states';
import {
  amount,
  blankable,
  calendarDate,
  dateOfBirth,
  email,
  oneOf,
  ssn,
  struct,
  text,
  type EnumOf,
  type Mode,
} from './codec';
import {
  COMMUNICATIONS,
  ETHNICITIES,
  GENDER_IDENTITIES,
  GENDERS,
  LANGUAGES,
  MARITAL_STATUSES,
  PATIENT_STATUSES,
  PORTAL_STATUSES,
  RACES,
  SEXUAL_ORIENTATIONS,
} from './enums';

/**
 * A state of an address: the two-letter code. Medfusion keeps only the first two characters of a
 * longer one (wire spec section 10), so a US state's full name is sent as its code and anything else
 * longer is refused, with the hint `validateInvites` adds.
 */
const stateCode = new t.Type<string, string, unknown>(
  'state',
  (u): u is string => typeof u === 'string' && u.trim().length <= 2,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'string');
    if (u.trim().length <= 2) return text(2).validate(u, c);
    const code = usStateCode(u);
    return code !== undefined ? t.success(code) : t.failure(u, c, STATE_RULE);
  },
  t.identity,
);

/** The rule a state longer than its code breaks. */
export const STATE_RULE = 'state(two-letter code)';

function leaves<M extends Mode>(mode: M) {
  const strict = mode === 'input';
  const anyText = text();
  return {
    text: (max?: number): t.Type<string> => (strict ? text(max) : anyText),
    /** An address part: empty means absent (accepted by the server, never sent). */
    addressText: (max?: number): t.Type<string> => (strict ? blankable(text(max)) : anyText),
    state: strict ? blankable(stateCode) : anyText,
    email: strict ? email : anyText,
    ssn: strict ? ssn : anyText,
    date: calendarDate,
    dateOfBirth: strict ? dateOfBirth : calendarDate,
    amount: strict ? amount : (t.number as t.Type<number>),
    oneOf: <V extends string>(name: string, values: readonly V[]) =>
      (strict ? oneOf(name, values) : anyText) as t.Type<EnumOf<V, M>>,
  };
}

/** Declares every model over a leaf vocabulary; see the module comment. */
function defineModels<M extends Mode>(mode: M) {
  const L = leaves(mode);

  const Name = struct(
    'Name',
    { firstName: L.text(), lastName: L.text() },
    { prefix: L.text(), middleName: L.text(), suffix: L.text() },
  );
  /** Optional names (guarantor, subscriber, provider) may carry any subset of the parts. */
  const PartialName = struct(
    'Name',
    {},
    {
      prefix: L.text(),
      firstName: L.text(),
      middleName: L.text(),
      lastName: L.text(),
      suffix: L.text(),
    },
  );

  // Lengths: the common model's base types (assumed, spec section 6), except Country: longer ones
  // were accepted in every request seen (section 10).
  const Address = struct(
    'Address',
    {},
    {
      line1: L.addressText(100),
      line2: L.addressText(100),
      city: L.addressText(100),
      state: L.state,
      country: L.addressText(),
      zipCode: L.addressText(15),
    },
  );

  const CodedValue = <V extends string>(name: string, values: readonly V[]) =>
    struct(name, { value: L.oneOf(name, values) }, { comment: L.text() });

  const demographics = {
    required: { name: Name, dateOfBirth: L.dateOfBirth, gender: L.oneOf('Gender', GENDERS) },
    optional: {
      race: L.oneOf('Race', RACES),
      ethnicity: L.oneOf('Ethnicity', ETHNICITIES),
      genderIdentity: CodedValue('GenderIdentity', GENDER_IDENTITIES),
      sexualOrientation: CodedValue('SexualOrientation', SEXUAL_ORIENTATIONS),
      preferredLanguage: L.oneOf('PreferredLanguage', LANGUAGES),
      preferredCommunication: L.oneOf('PreferredCommunication', COMMUNICATIONS),
      ssn: L.ssn,
      homeAddress: Address,
      workAddress: Address,
      homePhone: L.text(),
      mobilePhone: L.text(),
      workPhone: L.text(),
      maritalStatus: L.oneOf('MaritalStatus', MARITAL_STATUSES),
    },
    email: L.email,
  };

  // Only the patient's own address receives the invitation; the server does not check these two
  // (placeholder words were accepted, spec section 10).
  const EmergencyContact = struct(
    'EmergencyContact',
    {},
    { name: PartialName, address: Address, phone: L.text(), email: L.text() },
  );

  const Employment = struct(
    'Employment',
    {},
    { name: L.text(), address: Address, phone: L.text() },
  );

  const Guarantor = struct(
    'Guarantor',
    {},
    {
      externalId: L.text(),
      name: PartialName,
      dateOfBirth: L.dateOfBirth,
      ssn: L.ssn,
      address: Address,
      phone: L.text(),
      email: L.text(),
      relationToPatient: L.text(),
    },
  );

  const Billing = struct('Billing', {}, { accountNumber: L.text(), guarantor: Guarantor });

  const Insurance = struct(
    'Insurance',
    {},
    {
      companyName: L.text(),
      planName: L.text(),
      groupNumber: L.text(),
      policyNumber: L.text(),
      effectiveDate: L.date,
      expirationDate: L.date,
      copay: L.amount,
      claimsAddress: Address,
      claimsPhone: L.text(),
      memberId: L.text(),
      payerId: L.text(),
      subscriberId: L.text(),
      subscriberName: PartialName,
      subscriberDateOfBirth: L.dateOfBirth,
      subscriberSsn: L.ssn,
      relationToSubscriber: L.text(),
    },
  );

  const Provider = struct(
    'Provider',
    { id: L.text() },
    { name: PartialName, role: L.text(), activationDate: L.date, expirationDate: L.date },
  );

  const Insurances = struct(
    'Insurances',
    {},
    { primary: Insurance, secondary: Insurance, tertiary: Insurance },
  );

  const inviteProps = {
    required: { practicePatientId: L.text() },
    optional: {
      accountNumber: L.text(),
      medfusionPatientId: L.text(),
      intuitPatientId: L.text(),
      emergencyContact: EmergencyContact,
      employment: Employment,
      billing: Billing,
      insurance: Insurances,
      providers: t.array(Provider),
    },
  };

  const InsuranceImage = struct(
    'InsuranceImage',
    {},
    { frontImageLink: L.text(), backImageLink: L.text() },
  );

  const PatientStatus = struct(
    'PatientStatus',
    { status: L.oneOf('PatientStatus', PATIENT_STATUSES) },
    { description: L.text(), portalStatus: L.oneOf('PortalStatus', PORTAL_STATUSES) },
  );

  const patientExtras = {
    preferredLocation: struct(
      'PreferredLocation',
      {},
      { id: L.text(), externalId: L.text(), name: L.text() },
    ),
    insuranceImages: struct(
      'InsuranceImages',
      {},
      { primary: InsuranceImage, secondary: InsuranceImage, tertiary: InsuranceImage },
    ),
    /** Paths of values the server sent outside the known enumerations (kept as sent). */
    unrecognizedValues: t.array(t.string),
  };

  return {
    Name,
    PartialName,
    Address,
    EmergencyContact,
    Employment,
    Guarantor,
    Billing,
    Insurance,
    Insurances,
    Provider,
    PatientStatus,
    demographics,
    inviteProps,
    patientExtras,
  };
}

const input = defineModels('input');
const output = defineModels('output');

// What differs between what you send and what Medfusion returns: an invitation needs the e-mail
// address (the portal sends the invitation there); a returned patient may have none.
const DemographicsInput = struct(
  'Demographics',
  { ...input.demographics.required, email: input.demographics.email },
  input.demographics.optional,
);
const DemographicsOutput = struct('Demographics', output.demographics.required, {
  ...output.demographics.optional,
  email: output.demographics.email,
});
const PatientInviteInput = struct(
  'PatientInvite',
  { ...input.inviteProps.required, demographics: DemographicsInput },
  input.inviteProps.optional,
);
const PatientOutput = struct(
  'Patient',
  {
    ...output.inviteProps.required,
    demographics: DemographicsOutput,
    status: output.PatientStatus,
  },
  { ...output.inviteProps.optional, ...output.patientExtras },
);

/** The codecs as io-ts built them, for the type-level test that they equal the interfaces. */
export const rawCodecs = {
  Name: input.Name,
  PartialName: input.PartialName,
  Address: input.Address,
  Demographics: DemographicsInput,
  PatientDemographics: DemographicsOutput,
  EmergencyContact: input.EmergencyContact,
  Employment: input.Employment,
  Guarantor: input.Guarantor,
  Billing: input.Billing,
  Insurance: input.Insurance,
  Provider: input.Provider,
  PatientInvite: PatientInviteInput,
  Patient: PatientOutput,
};

/** Validates a {@link Name}: `firstName` and `lastName` required, no empty strings. */
export const NameCodec: t.Type<Name, unknown, unknown> = input.Name;
/** Validates a {@link PartialName}: every part optional. */
export const PartialNameCodec: t.Type<PartialName, unknown, unknown> = input.PartialName;
/**
 * Validates an {@link Address}: State the two-letter code (a US state's full name becomes its code),
 * ZipCode at most 15 characters, lines and city 100; an empty part is absent.
 */
export const AddressCodec: t.Type<Address, unknown, unknown> = input.Address;
/** Validates the {@link Demographics} of an invitation: e-mail required, closed enumerations. */
export const DemographicsCodec: t.Type<Demographics, unknown, unknown> = DemographicsInput;
/** Validates the {@link PatientDemographics} Medfusion returns: open enumerations, e-mail optional. */
export const PatientDemographicsCodec: t.Type<PatientDemographics, unknown, unknown> =
  DemographicsOutput;
/** Validates an {@link EmergencyContact}. */
export const EmergencyContactCodec: t.Type<EmergencyContact, unknown, unknown> =
  input.EmergencyContact;
/** Validates an {@link Employment}. */
export const EmploymentCodec: t.Type<Employment, unknown, unknown> = input.Employment;
/** Validates a {@link Guarantor}. */
export const GuarantorCodec: t.Type<Guarantor, unknown, unknown> = input.Guarantor;
/** Validates a {@link Billing}. */
export const BillingCodec: t.Type<Billing, unknown, unknown> = input.Billing;
/** Validates an {@link Insurance}: dates `YYYY-MM-DD`, `copay` a non-negative number. */
export const InsuranceCodec: t.Type<Insurance, unknown, unknown> = input.Insurance;
/** Validates a {@link Provider}. */
export const ProviderCodec: t.Type<Provider, unknown, unknown> = input.Provider;
/** Validates a {@link PatientInvite}: what `invitePatient` sends. */
export const PatientInviteCodec: t.Type<PatientInvite, unknown, unknown> = PatientInviteInput;
/** Validates a {@link Patient}: what the GET patient feed returns (open enumerations). */
export const PatientCodec: t.Type<Patient, unknown, unknown> = PatientOutput;

export type {
  Address,
  Billing,
  CodedValue,
  Demographics,
  EmergencyContact,
  Employment,
  Guarantor,
  Insurance,
  InsuranceImage,
  InsuranceImages,
  Insurances,
  Name,
  OpenEnum,
  PartialName,
  Patient,
  PatientDemographics,
  PatientInvite,
  PatientStatus,
  PreferredLocation,
  Provider,
} from './types';
