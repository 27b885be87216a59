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
 * The static types users see are derived from these codecs (`t.TypeOf`), never written twice.
 */
import * as t from 'io-ts';
import {
  amount,
  calendarDate,
  dateOfBirth,
  email,
  oneOf,
  ssn,
  struct,
  text,
  withChecks,
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

function leaves<M extends Mode>(mode: M) {
  const strict = mode === 'input';
  const anyText = text();
  return {
    text: (max?: number): t.Type<string> => (strict ? text(max) : anyText),
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

  const Address = struct(
    'Address',
    {},
    {
      line1: L.text(100),
      line2: L.text(100),
      city: L.text(100),
      state: L.text(2),
      country: L.text(3),
      zipCode: L.text(15),
    },
  );

  const CodedValue = <V extends string>(name: string, values: readonly V[]) =>
    struct(name, { value: L.oneOf(name, values) }, { comment: L.text() });

  const Demographics = struct(
    'Demographics',
    { name: Name, dateOfBirth: L.dateOfBirth, gender: L.oneOf('Gender', GENDERS) },
    {
      race: L.oneOf('Race', RACES),
      ethnicity: L.oneOf('Ethnicity', ETHNICITIES),
      genderIdentity: CodedValue('GenderIdentity', GENDER_IDENTITIES),
      sexualOrientation: CodedValue('SexualOrientation', SEXUAL_ORIENTATIONS),
      preferredLanguage: L.oneOf('PreferredLanguage', LANGUAGES),
      preferredCommunication: L.oneOf('PreferredCommunication', COMMUNICATIONS),
      ssn: L.ssn,
      email: L.email,
      homeAddress: Address,
      workAddress: Address,
      homePhone: L.text(),
      mobilePhone: L.text(),
      workPhone: L.text(),
      maritalStatus: L.oneOf('MaritalStatus', MARITAL_STATUSES),
    },
  );

  const EmergencyContact = struct(
    'EmergencyContact',
    {},
    { name: PartialName, address: Address, phone: L.text(), email: L.email },
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
      email: L.email,
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
    required: { practicePatientId: L.text(), demographics: Demographics },
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

  /** An invitation needs an e-mail address: the portal sends the invitation there. */
  const PatientInvite = withChecks(
    struct('PatientInvite', inviteProps.required, inviteProps.optional),
    (invite) =>
      invite.demographics.email === undefined
        ? [{ key: ['demographics', 'email'], rule: 'required' }]
        : [],
  );

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

  const Patient = struct(
    'Patient',
    { ...inviteProps.required, status: PatientStatus },
    {
      ...inviteProps.optional,
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
    },
  );

  return {
    Name,
    PartialName,
    Address,
    Demographics,
    EmergencyContact,
    Employment,
    Guarantor,
    Billing,
    Insurance,
    Provider,
    PatientInvite,
    Patient,
  };
}

const input = defineModels('input');
const output = defineModels('output');

/** A person's name. `firstName` and `lastName` are required; empty strings are not allowed. */
export const NameCodec = input.Name;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Name extends t.TypeOf<typeof NameCodec> {}
/** A name whose parts are all optional (guarantor, subscriber, provider, emergency contact). */
export const PartialNameCodec = input.PartialName;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface PartialName extends t.TypeOf<typeof PartialNameCodec> {}
/** A postal address. State at most 2 characters, Country 3, ZipCode 15, lines and city 100. */
export const AddressCodec = input.Address;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Address extends t.TypeOf<typeof AddressCodec> {}
/** Who the patient is. `dateOfBirth` is a calendar date `YYYY-MM-DD`, never shifted by a zone. */
export const DemographicsCodec = input.Demographics;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Demographics extends t.TypeOf<typeof DemographicsCodec> {}
/** Someone to call in an emergency. */
export const EmergencyContactCodec = input.EmergencyContact;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface EmergencyContact extends t.TypeOf<typeof EmergencyContactCodec> {}
/** The patient's employer. */
export const EmploymentCodec = input.Employment;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Employment extends t.TypeOf<typeof EmploymentCodec> {}
/** The person responsible for the bill. */
export const GuarantorCodec = input.Guarantor;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Guarantor extends t.TypeOf<typeof GuarantorCodec> {}
/** Billing account and guarantor. */
export const BillingCodec = input.Billing;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Billing extends t.TypeOf<typeof BillingCodec> {}
/** One insurance plan. Dates are `YYYY-MM-DD`; `copay` is a non-negative number. */
export const InsuranceCodec = input.Insurance;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Insurance extends t.TypeOf<typeof InsuranceCodec> {}
/** A provider associated with the patient. */
export const ProviderCodec = input.Provider;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Provider extends t.TypeOf<typeof ProviderCodec> {}
/**
 * What `invitePatient` sends. Needs `practicePatientId`, first and last name, date of birth,
 * gender and e-mail.
 */
export const PatientInviteCodec = input.PatientInvite;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface PatientInvite extends t.TypeOf<typeof PatientInviteCodec> {}
/**
 * A patient as the GET patient feed returns it: the invite's fields (portal's current values) plus
 * ids, status, preferred location and insurance images. Enumerations are open: a value outside
 * the known list is kept and its path listed in `unrecognizedValues`.
 */
export const PatientCodec = output.Patient;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface shows its name in editors
export interface Patient extends t.TypeOf<typeof PatientCodec> {}
