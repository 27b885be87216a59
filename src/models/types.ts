/**
 * The domain models as named interfaces: what editors show on hover, what compiler errors name, what
 * the API reference lists with a line per field. The io-ts codecs in `patient.ts` are typed against
 * these interfaces and a type-level test proves both directions equal (`test/types.test.ts`), so the
 * two cannot drift.
 *
 * Input shapes (what you send: `PatientInvite`, `Demographics`) have closed enumerations and the
 * fields an invitation needs; output shapes (what Medfusion returns: `Patient`,
 * `PatientDemographics`) keep values outside the known lists (`string & {}`) and make optional what
 * the server may leave out.
 */
import type {
  Ethnicity,
  Gender,
  GenderIdentityValue,
  MaritalStatus,
  PatientStatusValue,
  PortalStatus,
  PreferredCommunication,
  PreferredLanguage,
  Race,
  SexualOrientationValue,
} from './enums';
import type { HasLastResponse } from './response-info';

/** A value from a known list, or (in what Medfusion returns) any other value it sent, kept as sent. */
export type OpenEnum<V extends string> = V | (string & {});

/** A person's name (`<Name>`). Every part is text without a length limit; empty strings are refused. */
export interface Name {
  /** Title before the name (`<Prefix>`), such as `Dr`. */
  prefix?: string;
  /** Given name (`<FirstName>`). Required. Example: `Ada`. */
  firstName: string;
  /** Middle name or initial (`<MiddleName>`). Omit it rather than send an empty string. */
  middleName?: string;
  /** Family name (`<LastName>`). Required. Example: `Lovelace`. */
  lastName: string;
  /** Suffix after the name (`<Suffix>`), such as `Jr` or `III`. */
  suffix?: string;
}

/** A name whose parts are all optional (`<Name>` of a guarantor, subscriber, provider or contact). */
export interface PartialName {
  /** Title before the name (`<Prefix>`). */
  prefix?: string;
  /** Given name (`<FirstName>`). */
  firstName?: string;
  /** Middle name or initial (`<MiddleName>`). */
  middleName?: string;
  /** Family name (`<LastName>`). */
  lastName?: string;
  /** Suffix after the name (`<Suffix>`). */
  suffix?: string;
}

/** A postal address (`<HomeAddress>`, `<WorkAddress>`, `<Address>`, `<ClaimsAddress>`). */
export interface Address {
  /** Street line (`<Line1>`), at most 100 characters. An empty part is absent (never sent). */
  line1?: string;
  /** Second line (`<Line2>`), at most 100 characters. */
  line2?: string;
  /** City (`<City>`), at most 100 characters. */
  city?: string;
  /**
   * State (`<State>`): the two-letter code, such as `NC`. Medfusion keeps only the first two
   * characters of a longer value, so a US state's full name (`North Carolina`) is sent as its code
   * and any other longer value is refused.
   */
  state?: string;
  /** Country (`<Country>`), such as `USA` or `United States`: no length limit is known. */
  country?: string;
  /** ZIP or postal code (`<ZipCode>`), at most 15 characters. Example: `27513-1234`. */
  zipCode?: string;
}

/** A coded answer with a free comment (`<GenderIdentity>`, `<SexualOrientation>`; v2 and v3). */
export interface CodedValue<V extends string> {
  /** The code (`<Value>`), from the list of its field. */
  value: V;
  /** Free text (`<Comment>`), when the code is "other". */
  comment?: string;
}

/** Who the patient is, as you send it in a {@link PatientInvite}. */
export interface Demographics {
  /** The patient's name (`<Name>`): first and last name are required. */
  name: Name;
  /**
   * Date of birth (`<DateOfBirth>`): a calendar date `YYYY-MM-DD`, never a `Date`, so it cannot
   * shift by a day with a time zone; not in the future. Sent as `YYYY-MM-DDT00:00:00`. Example: `1985-12-10`.
   */
  dateOfBirth: string;
  /** Administrative sex (`<Gender>`): `MALE`, `FEMALE`; v3 also `UNKNOWN`, `UNDIFFERENTIATED`. */
  gender: Gender;
  /** Race (`<Race>`), from the list in `enums.RACES`. */
  race?: Race;
  /** Ethnicity (`<Ethnicity>`), from `enums.ETHNICITIES`. */
  ethnicity?: Ethnicity;
  /** Gender identity (`<GenderIdentity>`, v2 and v3 only). */
  genderIdentity?: CodedValue<GenderIdentityValue>;
  /** Sexual orientation (`<SexualOrientation>`, v2 and v3 only). */
  sexualOrientation?: CodedValue<SexualOrientationValue>;
  /** Preferred language (`<PreferredLanguage>`), from `enums.LANGUAGES`. Example: `English`. */
  preferredLanguage?: PreferredLanguage;
  /** How the patient prefers to be contacted (`<PreferredCommunication>`). */
  preferredCommunication?: PreferredCommunication;
  /** Social security number (`<SocialSecurityNumber>`): 9 digits, no dashes. PHI: never logged. */
  ssn?: string;
  /**
   * E-mail address (`<EmailAddress>`). Required in an invitation: the portal sends the invitation
   * there. Example: `ada@example.com`.
   */
  email: string;
  /** Home address (`<HomeAddress>`). */
  homeAddress?: Address;
  /** Work address (`<WorkAddress>`). */
  workAddress?: Address;
  /** Home phone (`<HomePhone>`), as text. Example: `9195550111`. */
  homePhone?: string;
  /** Mobile phone (`<MobilePhone>`), as text. */
  mobilePhone?: string;
  /** Work phone (`<WorkPhone>`), as text. */
  workPhone?: string;
  /** Marital status (`<MaritalStatus>`): `SINGLE`, `MARRIED`, `DIVORCED`, `SEPARATED`, `WIDOWED`, `PARTNER`. */
  maritalStatus?: MaritalStatus;
}

/**
 * Who the patient is, as Medfusion returns it in a {@link Patient}: the portal's current values.
 * Enumerations are open (a value outside the known list is kept and listed in
 * `Patient.unrecognizedValues`) and the e-mail address may be absent.
 */
export interface PatientDemographics {
  /** The patient's name (`<Name>`). */
  name: Name;
  /** Date of birth (`<DateOfBirth>`), `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** Administrative sex (`<Gender>`). */
  gender: OpenEnum<Gender>;
  /** Race (`<Race>`). */
  race?: OpenEnum<Race>;
  /** Ethnicity (`<Ethnicity>`). */
  ethnicity?: OpenEnum<Ethnicity>;
  /** Gender identity (`<GenderIdentity>`, v2 and v3). */
  genderIdentity?: CodedValue<OpenEnum<GenderIdentityValue>>;
  /** Sexual orientation (`<SexualOrientation>`, v2 and v3). */
  sexualOrientation?: CodedValue<OpenEnum<SexualOrientationValue>>;
  /** Preferred language (`<PreferredLanguage>`). */
  preferredLanguage?: OpenEnum<PreferredLanguage>;
  /** Preferred communication (`<PreferredCommunication>`). */
  preferredCommunication?: OpenEnum<PreferredCommunication>;
  /** Social security number (`<SocialSecurityNumber>`), as sent. PHI. */
  ssn?: string;
  /** E-mail address (`<EmailAddress>`), when the portal has one. */
  email?: string;
  /** Home address (`<HomeAddress>`). */
  homeAddress?: Address;
  /** Work address (`<WorkAddress>`). */
  workAddress?: Address;
  /** Home phone (`<HomePhone>`). */
  homePhone?: string;
  /** Mobile phone (`<MobilePhone>`). */
  mobilePhone?: string;
  /** Work phone (`<WorkPhone>`). */
  workPhone?: string;
  /** Marital status (`<MaritalStatus>`). */
  maritalStatus?: OpenEnum<MaritalStatus>;
}

/** Someone to call in an emergency (`<EmergencyContact>`). */
export interface EmergencyContact {
  /** Their name (`<Name>`), any parts. */
  name?: PartialName;
  /** Their address (`<Address>`). */
  address?: Address;
  /** Their phone (`<Phone>`). */
  phone?: string;
  /** Their e-mail address (`<EmailAddress>`), as text: Medfusion does not check it, nor does the SDK. */
  email?: string;
}

/** The patient's employer (`<Employment>`). */
export interface Employment {
  /** Employer name (`<Name>`, text). */
  name?: string;
  /** Employer address (`<Address>`). */
  address?: Address;
  /** Employer phone (`<Phone>`). */
  phone?: string;
}

/** The person responsible for the bill (`<Guarantor>`). */
export interface Guarantor {
  /** Your id for the guarantor (`<ExternalId>`). */
  externalId?: string;
  /** Their name (`<Name>`), any parts. */
  name?: PartialName;
  /** Their date of birth (`<DateOfBirth>`), `YYYY-MM-DD`. */
  dateOfBirth?: string;
  /** Their social security number (`<SocialSecurityNumber>`), 9 digits. PHI. */
  ssn?: string;
  /** Their address (`<Address>`). */
  address?: Address;
  /** Their phone (`<Phone>`). */
  phone?: string;
  /** Their e-mail address (`<Email>`), as text: Medfusion does not check it, nor does the SDK. */
  email?: string;
  /** Relation to the patient (`<PatientRelationToGuarantor>`), a code such as `SELF` or `PARENT`. */
  relationToPatient?: string;
}

/** Billing account and guarantor (`<Billing>`). */
export interface Billing {
  /** Billing account number (`<AccountNumber>`). */
  accountNumber?: string;
  /** Who pays (`<Guarantor>`). */
  guarantor?: Guarantor;
}

/** One insurance plan (`<PrimaryInsurance>`, `<SecondaryInsurance>`, `<TertiaryInsurance>`). */
export interface Insurance {
  /** Insurer (`<CompanyName>`). */
  companyName?: string;
  /** Plan (`<PlanName>`). */
  planName?: string;
  /** Group number (`<GroupNumber>`). */
  groupNumber?: string;
  /** Policy number (`<PolicyNumber>`). */
  policyNumber?: string;
  /** First day of cover (`<EffectiveDate>`), `YYYY-MM-DD`. */
  effectiveDate?: string;
  /** Last day of cover (`<ExpirationDate>`), `YYYY-MM-DD`. */
  expirationDate?: string;
  /** Copay (`<Copay>`), a non-negative amount, two decimals on the wire. Example: `25`. */
  copay?: number;
  /** Where claims go (`<ClaimsAddress>`). */
  claimsAddress?: Address;
  /** Claims phone (`<ClaimsPhone>`). */
  claimsPhone?: string;
  /** Member id (`<MemberId>`). */
  memberId?: string;
  /** Payer id (`<PayerId>`). */
  payerId?: string;
  /** Subscriber id (`<SubscriberId>`). */
  subscriberId?: string;
  /** Subscriber's name (`<SubscriberName>`), any parts. */
  subscriberName?: PartialName;
  /** Subscriber's date of birth (`<SubscriberDateOfBirth>`), `YYYY-MM-DD`. */
  subscriberDateOfBirth?: string;
  /** Subscriber's social security number (`<SubscriberSocialSecurityNumber>`), 9 digits. PHI. */
  subscriberSsn?: string;
  /** Patient's relation to the subscriber (`<PatientRelationToSubscriber>`), a code such as `SELF`. */
  relationToSubscriber?: string;
}

/** The patient's insurance plans, by rank. */
export interface Insurances {
  /** `<PrimaryInsurance>`. */
  primary?: Insurance;
  /** `<SecondaryInsurance>`. */
  secondary?: Insurance;
  /** `<TertiaryInsurance>`. */
  tertiary?: Insurance;
}

/** A provider associated with the patient (`<ProviderAssociation>/<Provider>`). */
export interface Provider {
  /** The provider's id in your system (`<Id>`). Required. */
  id: string;
  /** Their name (`<Name>`), any parts. */
  name?: PartialName;
  /** Their role (`<Role>`), a code such as `PCP`. */
  role?: string;
  /** Start of the association (`<ActivationDate>`), `YYYY-MM-DD`. */
  activationDate?: string;
  /** End of the association (`<ExpirationDate>`), `YYYY-MM-DD`. */
  expirationDate?: string;
}

/**
 * What `invitePatient` sends: one `<Patient>` of a `PatientBatch`. Needs `practicePatientId`, first
 * and last name, date of birth, gender and e-mail.
 */
export interface PatientInvite {
  /** Your id for the patient, the MRN (`<PracticePatientId>`). Required; the key of every later call. */
  practicePatientId: string;
  /** Your account number (`<PatientAccountNumber>`, v1 and v2). */
  accountNumber?: string;
  /** A self-registered portal account to link (`<MedfusionPatientId>`, v1 and v2). */
  medfusionPatientId?: string;
  /** Intuit's id of the patient (`<IntuitPatientId>`, v1 and v2); normally only returned. */
  intuitPatientId?: string;
  /** Who the patient is. */
  demographics: Demographics;
  /** Emergency contact (`<EmergencyContact>`). */
  emergencyContact?: EmergencyContact;
  /** Employer (`<Employment>`). */
  employment?: Employment;
  /** Billing account and guarantor (`<Billing>`). */
  billing?: Billing;
  /** Insurance plans by rank. */
  insurance?: Insurances;
  /** Associated providers (`<ProviderAssociation>`). */
  providers?: Provider[];
}

/** Where the patient stands on the portal (`<PatientStatus>`). */
export interface PatientStatus {
  /** `PROVISIONED` (invited, not registered) or `REGISTERED` (`<Status>`). */
  status: OpenEnum<PatientStatusValue>;
  /** The server's description (`<Description>`). */
  description?: string;
  /** The portal account's state (`<PortalStatus>`, v2 and v3): `ACTIVE`, `DEACTIVATED`, `DELETED`. */
  portalStatus?: OpenEnum<PortalStatus>;
}

/** The practice location the patient prefers (`<PreferredLocation>`, 2020+ servers). */
export interface PreferredLocation {
  /** Medfusion's location id (`<Id>`). */
  id?: string;
  /** Your location id (`<ExternalId>`). */
  externalId?: string;
  /** Location name (`<Name>`). */
  name?: string;
}

/** Links to the photos of an insurance card (v2 and v3). */
export interface InsuranceImage {
  /** Front of the card (`<FrontImageLink>`). */
  frontImageLink?: string;
  /** Back of the card (`<BackImageLink>`). */
  backImageLink?: string;
}

/** Insurance card photos by rank (`<InsuranceImages>`, v2 and v3). */
export interface InsuranceImages {
  /** `<PrimaryInsurance>`. */
  primary?: InsuranceImage;
  /** `<SecondaryInsurance>`. */
  secondary?: InsuranceImage;
  /** `<TertiaryInsurance>`. */
  tertiary?: InsuranceImage;
}

/**
 * A patient as the GET patient feed returns it: the portal's current values (the portal is the
 * system of record once the patient registered), ids, status, preferred location, card photos.
 */
export interface Patient {
  /** Your id for the patient, the MRN (`<PracticePatientId>`). */
  practicePatientId: string;
  /** Your account number (`<PatientAccountNumber>`). */
  accountNumber?: string;
  /** Medfusion's id of the portal account (`<MedfusionPatientId>`), numeric text. */
  medfusionPatientId?: string;
  /** Intuit's id of the patient (`<IntuitPatientId>`), a UUID. */
  intuitPatientId?: string;
  /** Who the patient is, as the portal holds it now. */
  demographics: PatientDemographics;
  /** Emergency contact (`<EmergencyContact>`). */
  emergencyContact?: EmergencyContact;
  /** Employer (`<Employment>`). */
  employment?: Employment;
  /** Billing account and guarantor (`<Billing>`). */
  billing?: Billing;
  /** Insurance plans by rank. */
  insurance?: Insurances;
  /** Associated providers. */
  providers?: Provider[];
  /** Where the patient stands on the portal. */
  status: PatientStatus;
  /** The practice location the patient prefers. */
  preferredLocation?: PreferredLocation;
  /** Insurance card photos (v2 and v3). */
  insuranceImages?: InsuranceImages;
  /** Model paths of values the server sent outside the known enumerations (kept as sent). */
  unrecognizedValues?: string[];
}

// Submissions and processing status (wire spec sections 3 and 5).

/** The body of a 202 (or 400) to a POST (`<ProcessingResponse>`): all text, all optional. */
export interface ProcessingResponse {
  /** The processing job (`<DataJobId>`, older servers `<dataJobId>`). */
  dataJobId?: string;
  /** The acceptance's message id (`<MessageId>`). */
  messageId?: string;
  /** `Successful` or `Failure` (`<ProcessingStatus>`). */
  processingStatus?: string;
  /** The server's message (`<ResponseMessage>`); it can quote submitted values: never log it. */
  responseMessage?: string;
}

/** Why a message ended in `ERROR` (`<Error>` of a processing-status message). */
export interface MessageError {
  /** The server's code, such as `PATIENT_NOT_FOUND`. */
  code?: string;
  /** Its description; it can quote submitted values. */
  description?: string;
  /** Its severity, such as `FATAL`. */
  severity?: string;
}

/** One message of a job (`<Message>`): the job itself (no `practiceResourceId`) or one patient. */
export interface BatchMessage {
  /** The message id (`<MessageId>`). */
  messageId: string;
  /** `PROCESSING`, `COMPLETED`, `ERROR`, or another state the server reports (`<Status>/<State>`). */
  state: string;
  /** The patient's practice patient id (`<PracticeResourceId>`); absent on the job's own message. */
  practiceResourceId?: string;
  /** When the state was reached (`<StatusDate>`), read as UTC when the server gives no zone. */
  statusDate?: Date;
  /** Why it failed, when it did. */
  error?: MessageError;
}

/**
 * Where a batch is. `done` once every message is `COMPLETED` or `ERROR`; `state` sums it up:
 * `PENDING` (not done), `COMPLETED` (all completed), `ERROR` (all failed), `PARTIAL` (some failed).
 */
export interface BatchStatus extends HasLastResponse {
  /** The processing job (`<DataJobId>`). */
  dataJobId: string;
  /** Every message is `COMPLETED` or `ERROR`. */
  done: boolean;
  /** The job summed up; a finished job can be `ERROR` or `PARTIAL` without anything throwing. */
  state: 'PENDING' | 'COMPLETED' | 'ERROR' | 'PARTIAL';
  /** The job's message first, then one per patient. */
  messages: BatchMessage[];
}

/** What a successful POST returns: the job to follow and what was in it. */
export interface BatchSubmission extends HasLastResponse {
  /** The processing job id (from `DataJobId`). */
  dataJobId: string;
  /** Absolute URL of the job's processing status (the `Location` header). */
  statusUrl: string;
  /** The `BatchId` the SDK sent (v1/v2); the key to recognise a resubmission. */
  batchId?: string;
  /** The `MessageId` of the acceptance, when the server gave one. */
  messageId?: string;
  /** The practice patient ids in the batch, in order. */
  practicePatientIds: string[];
}
