/** Every captured real response, read through the public client (msw serves the bytes). */
import { http, HttpResponse } from 'msw';
import { PatientCodec } from 'medfusion-patient-sdk';
import { isRight } from 'fp-ts/lib/Either';
import { BASE, PRACTICE, testClient, useMsw } from './helpers/msw';
import { fixture, fixtureNames } from './helpers/fixtures';
import { decodePatientBatch } from '../src/xml/documents';

const server = useMsw();
const serve = (name: string, version = 'v1') =>
  server.use(
    http.get(
      `${BASE}/${version}/practice/${PRACTICE}/patient`,
      () =>
        new HttpResponse(fixture(name), {
          status: 200,
          headers: { 'content-type': 'application/xml', 'last-timestamp': '1600364930000,0' },
        }),
    ),
  );

describe('captured GET patient responses', () => {
  it('covers every captured file', () => {
    expect(fixtureNames().sort()).toEqual([
      'get-patient-v1-2016.xml',
      'get-patient-v1-2020.xml',
      'get-patient-v2-2021.xml',
      'post-patient-batch-v1.xml',
      'processing-status-2020.xml',
    ]);
  });

  it('v1 2020: two registered patients with the exact values they hold', async () => {
    serve('get-patient-v1-2020.xml');
    const page = await testClient({ apiVersion: 'v1' }).patients.getUpdatedPatients();
    expect(page.batchId).toBe('a7dce3f9-e41f-4cf9-8f06-d22a59c06c89');
    expect(page.cursor).toBe('1600364930000,0');
    expect(page.hasMore).toBe(false);
    expect(page.patients).toHaveLength(2);
    const [first, second] = page.patients;
    expect(first).toEqual({
      practicePatientId: 'Name1600364919435',
      intuitPatientId: '74bdb54c-b88a-4d02-8c26-9d951327e678',
      medfusionPatientId: '368397',
      status: { status: 'REGISTERED' },
      demographics: {
        name: {
          firstName: 'Name1600364919435',
          middleName: 'MiddleName',
          lastName: 'TestPatient1600364919435',
        },
        dateOfBirth: '1987-11-01',
        race: 'American Indian or Alaska Native',
        ethnicity: 'Hispanic or Latino',
        gender: 'MALE',
        preferredLanguage: 'Arabic',
        preferredCommunication: 'US Mail',
        ssn: '123456789',
        email: 'Name1600364919435@mailinator.com',
        homeAddress: { line1: 'Line1', line2: 'Line2', city: 'City', zipCode: '27560' },
        homePhone: '1234567890',
        maritalStatus: 'SINGLE',
      },
      preferredLocation: { id: '17922', externalId: '179222016', name: 'Automation-Location-24' },
      emergencyContact: {
        name: { firstName: 'FirstName', lastName: 'LastName' },
        address: {
          line1: 'Line1',
          line2: 'Line2',
          city: 'City',
          state: 'NC',
          country: 'US',
          zipCode: '27560',
        },
        phone: '321511126',
      },
      insurance: {
        primary: {
          companyName: 'Aviva',
          planName: 'Plan123',
          groupNumber: '23123',
          policyNumber: 'PolicyNumber',
          effectiveDate: '2001-12-31',
          expirationDate: '2001-12-31',
          copay: 0.2,
          claimsAddress: {
            line1: 'addLine1',
            line2: 'addLine2',
            city: 'City1',
            state: 'NC',
            country: 'US',
            zipCode: '27560',
          },
          claimsPhone: 'ClaimPhone',
          memberId: '368397',
          subscriberName: { firstName: 'FirstName', lastName: 'LastName' },
          subscriberDateOfBirth: '2001-12-31',
          subscriberSsn: '123456789',
          relationToSubscriber: 'SELF',
        },
      },
    });
    expect(second).toMatchObject({
      demographics: {
        dateOfBirth: '1987-11-01',
        race: 'Asian',
        ethnicity: 'Not Hispanic or Latino',
        preferredLanguage: 'Chinese',
        preferredCommunication: 'Secure Email',
        email: 'Name1600364924438@mailinator.com',
        homeAddress: { state: 'NC' },
      },
    });
    // Whole empty blocks (WorkAddress, Employment, Billing, Secondary/Tertiary insurance) are absent.
    for (const p of page.patients) {
      expect(p.demographics.workAddress).toBeUndefined();
      expect(p.employment).toBeUndefined();
      expect(p.billing).toBeUndefined();
      expect(p.insurance?.secondary).toBeUndefined();
      expect(p.providers).toBeUndefined();
      expect(isRight(PatientCodec.decode(p))).toBe(true);
    }
  });

  it('v1 2016: an older server without PreferredLocation nor Guarantor ExternalId', async () => {
    serve('get-patient-v1-2016.xml');
    const page = await testClient({ apiVersion: 'v1' }).patients.getUpdatedPatients();
    expect(page.patients).toHaveLength(1);
    const [p] = page.patients;
    expect(p?.preferredLocation).toBeUndefined();
    expect(p).toMatchObject({
      practicePatientId: 'Patient1473687873409',
      medfusionPatientId: '169568',
      demographics: {
        name: {
          firstName: 'Name1473687873409',
          middleName: 'middle',
          lastName: 'TestPatient11473687873409',
        },
        dateOfBirth: '1985-06-10',
        gender: 'MALE',
        homeAddress: { state: 'NC', zipCode: '55555' },
      },
      insurance: { primary: { planName: 'plan123', copay: 0.2, claimsPhone: 'ClaimsPhone' } },
    });
    expect(p?.demographics.race).toBeUndefined();
  });

  it('v2 2021: PortalStatus, GenderIdentity, SexualOrientation, a v1 namespace declared too', async () => {
    serve('get-patient-v2-2021.xml', 'v2');
    const page = await testClient().patients.getUpdatedPatients();
    expect(page.batchId).toBe('146e109e-de44-4b04-9dea-d0fec9463ace');
    expect(page.patients[0]).toEqual({
      practicePatientId: 'mfTesting',
      intuitPatientId: '79fb2b2b-65be-4ef6-933c-b2160d46d6eb',
      medfusionPatientId: '632137',
      status: { status: 'REGISTERED', portalStatus: 'ACTIVE' },
      demographics: {
        name: { firstName: 'mfTesting', lastName: 'TestPatient01' },
        dateOfBirth: '1987-01-01',
        race: 'Unreported or refused to report',
        ethnicity: 'Unreported',
        gender: 'UNKNOWN',
        genderIdentity: { value: 'MALE_TO_FEMALE_TRANSGENDER_FEMALE_TRANS_WOMAN' },
        sexualOrientation: { value: 'STRAIGHT_OR_HETEROSEXUAL' },
        preferredLanguage: 'Other',
        email: 'mfTesting@yopmail.com',
        homeAddress: { line1: 'abc', line2: 'xyz', city: 'cary', state: 'NC', zipCode: '27560' },
        mobilePhone: '1234567890',
      },
      preferredLocation: { id: '28632', externalId: '286322020', name: 'Automation-Location-50' },
    });
  });

  it('keeps a patient whose enumeration value is unknown, and says where', async () => {
    const body = fixture('get-patient-v2-2021.xml')
      .replace('<Gender>UNKNOWN</Gender>', '<Gender>NONBINARY</Gender>')
      .replace('<Race>Unreported or refused to report</Race>', '<Race>Martian</Race>');
    server.use(
      http.get(`${BASE}/v2/practice/${PRACTICE}/patient`, () =>
        HttpResponse.text(body, { headers: { 'content-type': 'application/xml' } }),
      ),
    );
    const page = await testClient().patients.getUpdatedPatients();
    expect(page.patients[0]?.demographics.gender).toBe('NONBINARY');
    expect(page.patients[0]?.unrecognizedValues).toEqual([
      'demographics.race',
      'demographics.gender',
    ]);
  });
});

describe('captured processing status', () => {
  it('decodes into a finished BatchStatus', async () => {
    server.use(
      http.get(
        `${BASE}/v1/practice/${PRACTICE}/processingStatus/30c507ac-1149-47a7-8672-9b39d8be481c`,
        () =>
          HttpResponse.text(fixture('processing-status-2020.xml'), {
            headers: { 'content-type': 'application/xml' },
          }),
      ),
    );
    const status = await testClient().batches.getStatus('30c507ac-1149-47a7-8672-9b39d8be481c');
    expect(status).toEqual({
      dataJobId: '30c507ac-1149-47a7-8672-9b39d8be481c',
      done: true,
      state: 'COMPLETED',
      messages: [
        {
          messageId: '4a9fb43a-da53-499e-baa7-be7cbff5a8a7',
          state: 'COMPLETED',
          statusDate: new Date('2020-09-17T10:27:05Z'),
        },
        {
          messageId: 'd5ac4b56-ec17-4203-869b-ba76c481af79',
          practiceResourceId: '99920871-1921-2221-1997-160033839317',
          state: 'COMPLETED',
          statusDate: new Date('2020-09-17T10:27:05Z'),
        },
      ],
    });
  });
});

describe('captured vendor POST', () => {
  it('decodes strictly, with the values and element rules of the real service', () => {
    const decoded = decodePatientBatch(fixture('post-patient-batch-v1.xml'), {
      strict: true,
      direction: 'request',
      expectedVersion: 'v1',
    });
    expect(decoded.issues).toEqual([]);
    expect(decoded.header).toMatchObject({
      batchId: 'BatchId',
      batchSize: 1,
      sender: { arguments: [{ key: 'Key', value: 'Value' }] },
    });
    expect(decoded.practice).toEqual({
      practiceExternalId: 'PracticeId',
      practiceId: 'fbca8599-277f-41bf-9e63-633d334ec650',
    });
    expect(decoded.patients[0]).toMatchObject({
      practicePatientId: 'ihgqa.demo.patient',
      accountNumber: 'PatientAccountNumber',
      intuitPatientId: '20941',
      demographics: {
        name: {
          prefix: 'Prefix',
          firstName: 'Maros',
          middleName: 'middle',
          lastName: 'Franicky',
          suffix: 'Suffix',
        },
        dateOfBirth: '1987-01-11',
        preferredLanguage: 'English',
      },
      employment: {
        name: 'Name',
        address: { line1: 'addline1', line2: 'line2', zipCode: '27560' },
        phone: 'Phone',
      },
      billing: { guarantor: { dateOfBirth: '2001-12-31', relationToPatient: 'SELF' } },
      insurance: {
        primary: { copay: 0.2 },
        secondary: { copay: 0.3, claimsAddress: { state: 'MA' } },
        tertiary: { copay: 0.5, subscriberName: { firstName: 'Tim3' } },
      },
    });
  });
});
