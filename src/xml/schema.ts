/**
 * The mapping between the XML documents and the models, as data. One table per document, in
 * element order (wire spec sections 5-7). The encoder, the decoder and the sandbox all walk these
 * tables; nothing else knows an element name.
 */
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
  type ApiVersion,
} from '../models/enums';

/**
 * How a leaf's text is read and written. `text` is a plain string: the server always sends it,
 * empty when unknown. The others are "typed": omitted when unknown.
 * - `date`: a calendar date, `YYYY-MM-DD` in the model, `YYYY-MM-DDT00:00:00` on the wire.
 * - `dateTime`: a `Date`; written in UTC without a zone, as the server does; read as UTC when the
 *   text has no zone.
 * - `decimal`, `int`: numbers. `enum`: one of `values` (unknown values kept, flagged). `code`: any
 *   string, typed on the wire.
 */
export type LeafKind = 'text' | 'date' | 'dateTime' | 'decimal' | 'int' | 'enum' | 'code';

interface NodeBase {
  /** Element (or attribute) local name. */
  tag: string;
  /** Other names a server has used for the same element (`dataJobId`). */
  aliases?: readonly string[];
  /** The API versions that have this element; all when absent. */
  versions?: readonly ApiVersion[];
  /** The element appears only in requests or only in responses; both when absent. */
  only?: 'request' | 'response';
}

export interface LeafNode extends NodeBase {
  kind: LeafKind;
  /** Path of the field in the model; `null` for an element the models do not carry. */
  key: readonly string[] | null;
  /** Read from / written to the encoding context instead of the model (practice ids). */
  context?: true;
  values?: readonly string[];
  /** Repeated element whose model field is an array of values. */
  repeat?: true;
  /**
   * The real service accepts this element empty (address parts, seen in the vendor's own POST);
   * elsewhere the sandbox rejects an empty element as the service does for `Name` parts.
   */
  emptyAllowed?: true;
}

export interface BlockNode extends NodeBase {
  kind: 'block';
  /** Path of the sub-object in the model; `[]` when the block's children belong to the parent. */
  key: readonly string[];
  children: readonly SchemaNode[];
  attributes?: readonly LeafNode[];
  /** Repeated element whose model field is an array of objects. */
  repeat?: true;
  /** In a response, written only when it has a value (typed blocks, newer additions). */
  sparse?: true;
}

export type SchemaNode = LeafNode | BlockNode;

const k = (key: string): readonly string[] => (key === '' ? [] : key.split('.'));
const leaf =
  (kind: LeafKind) =>
  (tag: string, key: string | null, extra: Partial<LeafNode> = {}): LeafNode => ({
    tag,
    kind,
    key: key === null ? null : k(key),
    ...extra,
  });
const text = leaf('text');
const date = leaf('date');
const dateTime = leaf('dateTime');
const decimal = leaf('decimal');
const int = leaf('int');
const code = leaf('code');
const enumOf = (
  tag: string,
  key: string,
  values: readonly string[],
  extra: Partial<LeafNode> = {},
) => leaf('enum')(tag, key, { values, ...extra });
const block = (
  tag: string,
  key: string,
  children: readonly SchemaNode[],
  extra: Partial<BlockNode> = {},
): BlockNode => ({ tag, kind: 'block', key: k(key), children, ...extra });

const V1V2: readonly ApiVersion[] = ['v1', 'v2'];
const V2V3: readonly ApiVersion[] = ['v2', 'v3'];
const V3: readonly ApiVersion[] = ['v3'];

const NAME = [
  text('Prefix', 'prefix'),
  text('FirstName', 'firstName'),
  text('MiddleName', 'middleName'),
  text('LastName', 'lastName'),
  text('Suffix', 'suffix'),
];

const ADDRESS = [
  text('Line1', 'line1', { emptyAllowed: true }),
  text('Line2', 'line2', { emptyAllowed: true }),
  text('City', 'city', { emptyAllowed: true }),
  text('State', 'state', { emptyAllowed: true }),
  text('Country', 'country', { emptyAllowed: true }),
  text('ZipCode', 'zipCode', { emptyAllowed: true }),
];

const CODED = (values: readonly string[]) => [
  enumOf('Value', 'value', values),
  text('Comment', 'comment'),
];

const INSURANCE = [
  text('CompanyName', 'companyName'),
  text('PlanName', 'planName'),
  text('GroupNumber', 'groupNumber'),
  text('PolicyNumber', 'policyNumber'),
  date('EffectiveDate', 'effectiveDate'),
  date('ExpirationDate', 'expirationDate'),
  decimal('Copay', 'copay'),
  block('ClaimsAddress', 'claimsAddress', ADDRESS),
  text('ClaimsPhone', 'claimsPhone'),
  text('MemberId', 'memberId'),
  text('PayerId', 'payerId'),
  text('SubscriberId', 'subscriberId'),
  block('SubscriberName', 'subscriberName', NAME),
  date('SubscriberDateOfBirth', 'subscriberDateOfBirth'),
  text('SubscriberSocialSecurityNumber', 'subscriberSsn'),
  code('PatientRelationToSubscriber', 'relationToSubscriber'),
];

const IMAGE = [text('FrontImageLink', 'frontImageLink'), text('BackImageLink', 'backImageLink')];

/** One `Patient` element of a `PatientBatch` (sections 6 and 7), relative to a `PatientInvite`/`Patient`. */
export const PATIENT: readonly SchemaNode[] = [
  block('PatientIdentifier', '', [
    text('PracticePatientId', 'practicePatientId'),
    text('PatientAccountNumber', 'accountNumber', { versions: V1V2 }),
    text('IntuitPatientId', 'intuitPatientId', { versions: V1V2 }),
    text('MedfusionPatientId', 'medfusionPatientId', { versions: V1V2 }),
  ]),
  block('PracticeIdentifier', '', [
    text('PracticeId', 'practiceExternalId', { context: true, only: 'request' }),
    text('IntuitPracticeId', 'practiceId', { context: true, versions: V1V2 }),
    text('IntegrationPracticeId', 'practiceId', { context: true, versions: V3 }),
  ]),
  dateTime('LastUpdateDate', null, { only: 'request' }),
  text('ResourceRequestId', null, { versions: V1V2 }),
  block(
    'PatientStatus',
    'status',
    [
      enumOf('Status', 'status', PATIENT_STATUSES),
      text('Description', 'description'),
      enumOf('PortalStatus', 'portalStatus', PORTAL_STATUSES, { versions: V2V3 }),
    ],
    { only: 'response' },
  ),
  block('Name', 'demographics.name', NAME),
  date('DateOfBirth', 'demographics.dateOfBirth'),
  enumOf('Race', 'demographics.race', RACES),
  enumOf('Ethnicity', 'demographics.ethnicity', ETHNICITIES),
  enumOf('Gender', 'demographics.gender', GENDERS),
  block('GenderIdentity', 'demographics.genderIdentity', CODED(GENDER_IDENTITIES), {
    versions: V2V3,
    sparse: true,
  }),
  block('SexualOrientation', 'demographics.sexualOrientation', CODED(SEXUAL_ORIENTATIONS), {
    versions: V2V3,
    sparse: true,
  }),
  enumOf('PreferredLanguage', 'demographics.preferredLanguage', LANGUAGES),
  enumOf('PreferredCommunication', 'demographics.preferredCommunication', COMMUNICATIONS),
  block(
    'PreferredLocation',
    'preferredLocation',
    [text('Id', 'id'), text('ExternalId', 'externalId'), text('Name', 'name')],
    { only: 'response', sparse: true },
  ),
  text('SocialSecurityNumber', 'demographics.ssn'),
  text('EmailAddress', 'demographics.email'),
  block('HomeAddress', 'demographics.homeAddress', ADDRESS),
  block('WorkAddress', 'demographics.workAddress', ADDRESS),
  text('HomePhone', 'demographics.homePhone'),
  text('MobilePhone', 'demographics.mobilePhone'),
  text('WorkPhone', 'demographics.workPhone'),
  enumOf('MaritalStatus', 'demographics.maritalStatus', MARITAL_STATUSES),
  block('EmergencyContact', 'emergencyContact', [
    block('Name', 'name', NAME),
    block('Address', 'address', ADDRESS),
    text('Phone', 'phone'),
    text('EmailAddress', 'email'),
  ]),
  block('Employment', 'employment', [
    text('Name', 'name'),
    block('Address', 'address', ADDRESS),
    text('Phone', 'phone'),
  ]),
  block('Billing', 'billing', [
    text('AccountNumber', 'accountNumber'),
    block('Guarantor', 'guarantor', [
      text('ExternalId', 'externalId'),
      block('Name', 'name', NAME),
      date('DateOfBirth', 'dateOfBirth'),
      text('SocialSecurityNumber', 'ssn'),
      block('Address', 'address', ADDRESS),
      text('Phone', 'phone'),
      text('Email', 'email'),
      code('PatientRelationToGuarantor', 'relationToPatient'),
    ]),
  ]),
  block(
    'InsuranceImages',
    'insuranceImages',
    [
      block('PrimaryInsurance', 'primary', IMAGE, { sparse: true }),
      block('SecondaryInsurance', 'secondary', IMAGE, { sparse: true }),
      block('TertiaryInsurance', 'tertiary', IMAGE, { sparse: true }),
    ],
    { only: 'response', versions: V2V3 },
  ),
  block('PrimaryInsurance', 'insurance.primary', INSURANCE),
  block('SecondaryInsurance', 'insurance.secondary', INSURANCE),
  block('TertiaryInsurance', 'insurance.tertiary', INSURANCE),
  block('ProviderAssociation', '', [
    block(
      'Provider',
      'providers',
      [
        block('Name', 'name', NAME),
        code('Role', 'role'),
        text('Id', 'id'),
        date('ActivationDate', 'activationDate'),
        date('ExpirationDate', 'expirationDate'),
      ],
      { repeat: true },
    ),
  ]),
];

const DEVICE_ATTRIBUTES = [
  text('deviceName', 'deviceName'),
  text('deviceVersion', 'deviceVersion'),
  text('deviceLocalTime', 'deviceLocalTime'),
  text('deviceUTCTime', 'deviceUTCTime'),
  text('vendorName', 'vendorName'),
];

const device = (tag: string, key: string) =>
  block(
    tag,
    key,
    [
      block(
        'DeviceArguments',
        '',
        [
          block('KeyValuePair', 'arguments', [text('Key', 'key'), text('Value', 'value')], {
            repeat: true,
          }),
        ],
        { sparse: true },
      ),
    ],
    { attributes: DEVICE_ATTRIBUTES, versions: V1V2, sparse: true },
  );

/** The `PatientBatch` root's children before the patients; `Patient` is handled per item. */
export const PATIENT_BATCH: readonly SchemaNode[] = [
  text('BatchId', 'batchId', { versions: V1V2 }),
  int('BatchSize', 'batchSize'),
  device('Sender', 'sender'),
  device('Partner', 'partner'),
  device('Destination', 'destination'),
  block('Patient', 'patients', PATIENT, { repeat: true }),
];

/** The body of a POST's answer (section 3). */
export const PROCESSING_RESPONSE: readonly SchemaNode[] = [
  text('DataJobId', 'dataJobId', { aliases: ['dataJobId'] }),
  text('MessageId', 'messageId', { aliases: ['messageId'] }),
  text('ProcessingStatus', 'processingStatus', { aliases: ['processingStatus'] }),
  text('ResponseMessage', 'responseMessage', { aliases: ['responseMessage'] }),
];

const MESSAGE_ERROR = [
  code('Code', 'code', { aliases: ['ErrorCode'] }),
  text('Description', 'description'),
  code('Severity', 'severity'),
];

/** The processingStatus document (section 5). */
export const PROCESSING_STATUS: readonly SchemaNode[] = [
  text('DataJobId', 'dataJobId', { aliases: ['dataJobId'] }),
  block(
    'Message',
    'messages',
    [
      text('MessageId', 'messageId'),
      text('PracticeResourceId', 'practiceResourceId'),
      block('Status', '', [
        code('State', 'state'),
        dateTime('StatusDate', 'statusDate'),
        block('Error', 'error', MESSAGE_ERROR),
      ]),
      block('Error', 'error', MESSAGE_ERROR),
    ],
    { repeat: true },
  ),
];

/** The v3 cancel-invitation body (section 9). */
export const CANCEL_INVITATION: readonly SchemaNode[] = [
  text('PracticePatientId', 'practicePatientIds', { repeat: true }),
];

/** Root element names and namespaces of each document. */
export const NAMESPACES = {
  patient: {
    v1: 'http://schema.intuit.com/health/patient/v1',
    v2: 'http://schema.intuit.com/health/patient/v2',
    v3: 'http://schema.medfusion.com/health/patient/v3',
  },
  health: 'http://schema.intuit.com/health/v1',
} as const;
