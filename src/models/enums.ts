/**
 * The enumerations of the Medfusion Patient API (wire spec section 8). Each list is defined once
 * and used by the input codecs, the XML mapping (to flag values a server sends outside the list)
 * and the sandbox.
 */

/** Gender accepted on input by v1 and v2. */
export const GENDERS_V1 = ['MALE', 'FEMALE'] as const;
/** Gender values only v3 accepts on input; any version may send `UNKNOWN` back. */
export const GENDERS_V3_ONLY = ['UNKNOWN', 'UNDIFFERENTIATED'] as const;
/** Every gender value any version knows. */
export const GENDERS = [...GENDERS_V1, ...GENDERS_V3_ONLY] as const;
/** One of the values above. */
export type Gender = (typeof GENDERS)[number];

/** Race values (`Declined to Answer` is accepted on input only). */
export const RACES = [
  'American Indian or Alaska Native',
  'Asian',
  'Black or African American',
  'Native Hawaiian or Other Pacific Islander',
  'White',
  'More than one race',
  'Unreported or refused to report',
  'Declined to Answer',
] as const;
/** One of the values above. */
export type Race = (typeof RACES)[number];

/** Ethnicity values. */
export const ETHNICITIES = ['Hispanic or Latino', 'Not Hispanic or Latino', 'Unreported'] as const;
/** One of the values above. */
export type Ethnicity = (typeof ETHNICITIES)[number];

/** Preferred language values. */
export const LANGUAGES = [
  'Arabic',
  'Chinese',
  'English',
  'French',
  'German',
  'Hindi',
  'Italian',
  'Japanese',
  'Korean',
  'Polish',
  'Portuguese',
  'Russian',
  'Spanish',
  'Urdu',
  'Vietnamese',
  'Other',
] as const;
/** One of the values above. */
export type PreferredLanguage = (typeof LANGUAGES)[number];

/** Preferred communication channel values. */
export const COMMUNICATIONS = [
  'US Mail',
  'Secure Email',
  'Home Phone',
  'Work Phone',
  'Mobile Phone',
] as const;
/** One of the values above. */
export type PreferredCommunication = (typeof COMMUNICATIONS)[number];

/** Marital status values. */
export const MARITAL_STATUSES = [
  'SINGLE',
  'MARRIED',
  'DIVORCED',
  'SEPARATED',
  'WIDOWED',
  'PARTNER',
] as const;
/** One of the values above. */
export type MaritalStatus = (typeof MARITAL_STATUSES)[number];

/** Gender identity values (v2 and v3). */
export const GENDER_IDENTITIES = [
  'MALE',
  'FEMALE',
  'FEMALE_TO_MALE_TRANSGENDER_MALE_TRANS_MAN',
  'MALE_TO_FEMALE_TRANSGENDER_FEMALE_TRANS_WOMAN',
  'GENDERQUEER_NEITHER_EXCLUSIVELY_MALE_NOR_FEMALE',
  'OTH',
  'ASKU',
] as const;
/** One of the values above. */
export type GenderIdentityValue = (typeof GENDER_IDENTITIES)[number];

/** Sexual orientation values (v2 and v3). */
export const SEXUAL_ORIENTATIONS = [
  'STRAIGHT_OR_HETEROSEXUAL',
  'LESBIAN_GAY_OR_HOMOSEXUAL',
  'BISEXUAL',
  'OTH',
  'UNK',
  'ASKU',
] as const;
/** One of the values above. */
export type SexualOrientationValue = (typeof SEXUAL_ORIENTATIONS)[number];

/** `PROVISIONED`: invited, not registered; `REGISTERED`: uses the portal. */
export const PATIENT_STATUSES = ['PROVISIONED', 'REGISTERED'] as const;
/** One of the values above. */
export type PatientStatusValue = (typeof PATIENT_STATUSES)[number];

/** Portal account status (v2 and v3). */
export const PORTAL_STATUSES = ['ACTIVE', 'DEACTIVATED', 'DELETED'] as const;
/** One of the values above. */
export type PortalStatus = (typeof PORTAL_STATUSES)[number];

/** Message states that end processing (wire spec section 5); anything else is in progress. */
export const TERMINAL_STATES = ['COMPLETED', 'ERROR'] as const;

/** The API versions of the patient resource. */
export const API_VERSIONS = ['v1', 'v2', 'v3'] as const;
/** One of the values above. */
export type ApiVersion = (typeof API_VERSIONS)[number];
