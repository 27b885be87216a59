import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either';
import { PatientInviteCodec, type PatientInvite } from 'medfusion-patient-sdk';
import { enums } from 'medfusion-patient-sdk';
import {
  decodeCancelInvitation,
  decodePatientBatch,
  decodeProcessingResponse,
  decodeProcessingStatus,
  encodeCancelInvitation,
  encodePatientBatch,
  encodeProcessingResponse,
} from '../src/xml/documents';
import { parseXml, XmlSyntaxError } from '../src/xml/parse';
import { fixture, fullInvite, minimalInvite } from './helpers/fixtures';
import { childOrder, emptyElements } from './helpers/xml';

const PRACTICE = { practiceId: 'fbca8599-277f-41bf-9e63-633d334ec650' };
const HEADER = {
  batchId: 'B-1',
  sender: {
    vendorName: 'Acme EHR',
    deviceName: 'sync',
    deviceVersion: '1.0',
    deviceLocalTime: '2026-01-01T10:00:00',
    deviceUTCTime: '2026-01-01T15:00:00',
  },
};

const roundTrip = (version: 'v1' | 'v2' | 'v3', invites: PatientInvite[]) => {
  const body = encodePatientBatch(version, version === 'v3' ? {} : HEADER, invites, PRACTICE);
  return {
    body,
    decoded: decodePatientBatch(body, {
      strict: true,
      direction: 'request',
      expectedVersion: version,
    }),
  };
};

const v3Invite = (): PatientInvite => {
  const { accountNumber: _a, ...rest } = fullInvite();
  return {
    ...rest,
    demographics: {
      ...rest.demographics,
      gender: 'UNDIFFERENTIATED',
      genderIdentity: { value: 'OTH', comment: 'self-described' },
    },
  };
};

describe('PatientBatch encoding', () => {
  it.each([
    ['v1', 'http://schema.intuit.com/health/patient/v1'],
    ['v2', 'http://schema.intuit.com/health/patient/v2'],
    ['v3', 'http://schema.medfusion.com/health/patient/v3'],
  ] as const)('%s: prefixed root in its namespace, unqualified children', (version, ns) => {
    const { body } = roundTrip(version, [minimalInvite()]);
    expect(
      body.startsWith(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns2:PatientBatch xmlns:ns2="' +
          ns +
          '">',
      ),
    ).toBe(true);
    const doc = parseXml(body);
    expect(doc.namespace).toBe(ns);
    expect(doc.qualifiedChildren).toBe(false);
  });

  it('writes the header: BatchId, BatchSize equal to the patients, Sender attributes', () => {
    const { body } = roundTrip('v1', [minimalInvite('A'), minimalInvite('B'), minimalInvite('C')]);
    expect(body).toContain(
      '<BatchId>B-1</BatchId><BatchSize>3</BatchSize><Sender deviceName="sync" deviceVersion="1.0" deviceLocalTime="2026-01-01T10:00:00" deviceUTCTime="2026-01-01T15:00:00" vendorName="Acme EHR"/>',
    );
    expect(body.match(/<Patient>/g)).toHaveLength(3);
  });

  it('v3 has no BatchId, no Sender and only PracticePatientId in PatientIdentifier', () => {
    const { body } = roundTrip('v3', [v3Invite()]);
    expect(body).toContain(
      '<ns2:PatientBatch xmlns:ns2="http://schema.medfusion.com/health/patient/v3"><BatchSize>1</BatchSize><Patient><PatientIdentifier><PracticePatientId>PPID-CANARY-7731</PracticePatientId></PatientIdentifier><PracticeIdentifier><IntegrationPracticeId>',
    );
    expect(body).not.toContain('BatchId');
    expect(body).not.toContain('Sender');
  });

  it('never writes an empty element', () => {
    for (const version of ['v1', 'v2'] as const) {
      expect(
        emptyElements(roundTrip(version, [minimalInvite(), fullInvite()]).body).filter(
          (n) => n !== 'Sender',
        ),
      ).toEqual([]);
    }
  });

  it('escapes markup in values', () => {
    const { body, decoded } = roundTrip('v2', [fullInvite()]);
    expect(body).toContain('<Line1>42 Canary Wharf &amp; Co</Line1><Line2>Apt &lt;7&gt;</Line2>');
    expect(decoded.patients[0]).toMatchObject({
      demographics: { homeAddress: { line1: '42 Canary Wharf & Co', line2: 'Apt <7>' } },
    });
  });

  it('writes dates as midnight with no zone and copays with two decimals', () => {
    const { body } = roundTrip('v2', [fullInvite()]);
    expect(body).toContain('<DateOfBirth>1961-02-28T00:00:00</DateOfBirth>');
    expect(body).toContain('<Copay>20.50</Copay>');
    expect(body).toContain('<Copay>0.00</Copay>');
  });

  it('follows the element order of the captured vendor POST', () => {
    const ours = childOrder(roundTrip('v1', [fullInvite()]).body);
    const theirs = childOrder(fixture('post-patient-batch-v1.xml'));
    let compared = 0;
    for (const [parent, names] of theirs) {
      const mine = ours.get(parent);
      if (!mine) continue;
      const common = names.filter((n) => mine.includes(n));
      expect({ parent, order: mine.filter((n) => common.includes(n)) }).toEqual({
        parent,
        order: common,
      });
      compared += common.length;
    }
    expect(compared).toBeGreaterThan(90);
  });

  it.each(['v1', 'v2', 'v3'] as const)(
    '%s: encode then decode gives the invites back',
    (version) => {
      const invites =
        version === 'v3'
          ? [v3Invite(), minimalInvite('X')]
          : version === 'v2'
            ? [
                fullInvite({
                  demographics: {
                    ...fullInvite().demographics,
                    genderIdentity: { value: 'ASKU' },
                    sexualOrientation: { value: 'BISEXUAL', comment: 'c' },
                  },
                }),
                minimalInvite('X'),
              ]
            : [fullInvite(), minimalInvite('X')];
      const { decoded } = roundTrip(version, invites);
      expect(decoded.issues).toEqual([]);
      expect(decoded.version).toBe(version);
      expect(decoded.practice.practiceId).toBe(PRACTICE.practiceId);
      expect(decoded.patients).toEqual(invites);
    },
  );
});

// --- property: any valid invite survives encode → decode, for every version -------------------

const text = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((s) => s.trim() !== '');
const short = (n: number) =>
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: n }).filter((s) => s.trim() !== '');
const calendar = fc
  .date({
    min: new Date('1900-01-01T00:00:00Z'),
    max: new Date('2020-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));
const address = fc.record(
  { line1: text, city: text, state: short(2), country: short(3), zipCode: short(15) },
  { requiredKeys: [] },
);
const name = fc.record(
  { prefix: text, firstName: text, middleName: text, lastName: text, suffix: text },
  { requiredKeys: ['firstName', 'lastName'] },
);

const inviteArb = (version: 'v1' | 'v2' | 'v3') =>
  fc
    .record(
      {
        practicePatientId: text,
        accountNumber: text,
        medfusionPatientId: fc.stringMatching(/^\d{1,8}$/),
        demographics: fc.record(
          {
            name,
            dateOfBirth: calendar,
            gender: fc.constantFrom(...(version === 'v3' ? enums.GENDERS : enums.GENDERS_V1)),
            email: fc.emailAddress(),
            race: fc.constantFrom(...enums.RACES),
            ethnicity: fc.constantFrom(...enums.ETHNICITIES),
            genderIdentity: fc.record(
              { value: fc.constantFrom(...enums.GENDER_IDENTITIES), comment: text },
              { requiredKeys: ['value'] },
            ),
            preferredLanguage: fc.constantFrom(...enums.LANGUAGES),
            ssn: fc.stringMatching(/^\d{9}$/),
            homeAddress: address,
            mobilePhone: text,
            maritalStatus: fc.constantFrom(...enums.MARITAL_STATUSES),
          },
          { requiredKeys: ['name', 'dateOfBirth', 'gender', 'email'] },
        ),
        insurance: fc.record(
          {
            primary: fc.record(
              {
                companyName: text,
                copay: fc.integer({ min: 0, max: 100000 }).map((c) => c / 100),
                effectiveDate: calendar,
                subscriberName: name,
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        providers: fc.array(fc.record({ id: text, role: text, name }, { requiredKeys: ['id'] }), {
          maxLength: 3,
        }),
      },
      { requiredKeys: ['practicePatientId', 'demographics'] },
    )
    .map((invite) => {
      const out = structuredClone(invite) as PatientInvite;
      if (version === 'v1') delete out.demographics.genderIdentity;
      if (version === 'v3') {
        delete out.accountNumber;
        delete out.medfusionPatientId;
      }
      if (out.providers?.length === 0) delete out.providers;
      return pruneEmpty(out);
    })
    .filter((invite) => isRight(PatientInviteCodec.decode(invite)));

/** Empty blocks (`insurance: {}`) carry nothing and are not written; the comparison leaves them out. */
function pruneEmpty<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const pruned = Array.isArray(v) ? v.map(pruneEmpty) : pruneEmpty(v);
    if (
      typeof pruned === 'object' &&
      pruned !== null &&
      !Array.isArray(pruned) &&
      Object.keys(pruned).length === 0
    )
      continue;
    out[k] = pruned;
  }
  return out as T;
}

describe('PatientBatch round trip (property)', () => {
  it.each(['v1', 'v2', 'v3'] as const)(
    '%s: decode(encode(invites)) equals the invites',
    (version) => {
      fc.assert(
        fc.property(
          fc.uniqueArray(inviteArb(version), {
            minLength: 1,
            maxLength: 3,
            selector: (i) => i.practicePatientId,
          }),
          (invites) => {
            const { decoded } = roundTrip(version, invites);
            expect(decoded.issues).toEqual([]);
            expect(decoded.patients).toEqual(invites);
          },
        ),
        { numRuns: 150 },
      );
    },
  );
});

describe('other documents', () => {
  it('reads a ProcessingResponse with PascalCase or lowercase dataJobId, any prefix', () => {
    expect(
      decodeProcessingResponse(
        encodeProcessingResponse({
          dataJobId: 'J1',
          messageId: 'M1',
          processingStatus: 'Successful',
        }),
      ),
    ).toEqual({ dataJobId: 'J1', messageId: 'M1', processingStatus: 'Successful' });
    const lower =
      '<?xml version="1.0"?><ns9:ProcessingResponse xmlns:ns9="urn:x"><dataJobId>J2</dataJobId><ProcessingStatus>Successful</ProcessingStatus></ns9:ProcessingResponse>';
    expect(decodeProcessingResponse(lower)).toEqual({
      dataJobId: 'J2',
      processingStatus: 'Successful',
    });
  });

  it('reads Error children of a message by local name, under the message or its status', () => {
    const body = `<s:ProcessingStatus xmlns:s="http://schema.intuit.com/health/v1"><DataJobId>J</DataJobId>
      <Message><MessageId>M1</MessageId><PracticeResourceId>R1</PracticeResourceId><Status><State>ERROR</State><StatusDate>2020-09-17T10:27:05</StatusDate></Status><Error><ErrorCode>E42</ErrorCode><Description>bad</Description><Severity>FATAL</Severity></Error></Message>
      <Message><MessageId>M2</MessageId><Status><State>ERROR</State><Error><Code>E7</Code><Description>worse</Description><Severity>FATAL</Severity></Error></Status></Message></s:ProcessingStatus>`;
    const { fields, issues } = decodeProcessingStatus(body);
    expect(issues).toEqual([]);
    expect(fields.messages).toEqual([
      {
        messageId: 'M1',
        practiceResourceId: 'R1',
        state: 'ERROR',
        statusDate: new Date('2020-09-17T10:27:05Z'),
        error: { code: 'E42', description: 'bad', severity: 'FATAL' },
      },
      {
        messageId: 'M2',
        state: 'ERROR',
        error: { code: 'E7', description: 'worse', severity: 'FATAL' },
      },
    ]);
  });

  it('drops empty elements before parsing a response, with the same result', () => {
    const body = fixture('get-patient-v1-2020.xml');
    const lenient = decodePatientBatch(body, { strict: false, direction: 'response' });
    const strict = decodePatientBatch(body, { strict: true, direction: 'response' });
    expect(lenient.patients).toEqual(strict.patients.map(({ unrecognizedValues: _u, ...p }) => p));
    // Inside CDATA an "empty element" is text, so nothing is dropped there.
    const cdata = body.replace(
      '<MiddleName>MiddleName</MiddleName>',
      '<MiddleName><![CDATA[a<b></b>c]]></MiddleName>',
    );
    expect(
      decodePatientBatch(cdata, { strict: false, direction: 'response' }).patients[0],
    ).toMatchObject({ demographics: { name: { middleName: 'a<b></b>c' } } });
  });

  it('reads children by local name even when a server prefixes them', () => {
    const body = fixture('get-patient-v2-2021.xml')
      .replace(
        '<PracticePatientId>mfTesting</PracticePatientId>',
        '<ns2:PracticePatientId>mfTesting</ns2:PracticePatientId>',
      )
      .replace(/<(\/?)FirstName>/g, '<$1ns3:FirstName>');
    const decoded = decodePatientBatch(body, { strict: false, direction: 'response' });
    expect(decoded.patients[0]).toMatchObject({
      practicePatientId: 'mfTesting',
      demographics: { name: { firstName: 'mfTesting' } },
    });
    expect(() => decodePatientBatch(body, { strict: true, direction: 'response' })).not.toThrow();
    expect(decodePatientBatch(body, { strict: true, direction: 'response' }).issues).toContainEqual(
      { path: 'PatientBatch', rule: 'unqualifiedChildren' },
    );
  });

  it('writes the v3 cancel-invitation body as the wire spec shows it', () => {
    const body = encodeCancelInvitation(['A&1', 'B']);
    expect(body).toBe(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ExternalPatientIds xmlns="http://schema.medfusion.com/health/patient/v3"><PracticePatientId xmlns="">A&amp;1</PracticePatientId><PracticePatientId xmlns="">B</PracticePatientId></ExternalPatientIds>',
    );
    expect(decodeCancelInvitation(body)).toEqual({ practicePatientIds: ['A&1', 'B'], issues: [] });
  });

  it.each([
    [
      'a DOCTYPE',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><PatientBatch>&e;</PatientBatch>',
    ],
    ['HTML', '<html><body>oops</body></html'],
    ['text', 'Service Unavailable'],
    [
      'a nesting bomb',
      `<PatientBatch>${'<a>'.repeat(800_000)}${'</a>'.repeat(800_000)}</PatientBatch>`,
    ],
    ['a truncated body', fixture('get-patient-v1-2020.xml').slice(0, 2000)],
  ])('refuses %s with an XmlSyntaxError', (_what, body) => {
    expect(() => decodePatientBatch(body, { strict: false, direction: 'response' })).toThrow(
      XmlSyntaxError,
    );
  });
});
