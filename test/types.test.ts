/**
 * One source of truth: every exported model interface equals, in both directions, the type of the
 * codec that validates it. `npm run typecheck` compiles these assertions; a field added, removed or
 * made optional on one side only does not compile (the `email` mismatch of 0.1 cannot come back).
 */
import type * as t from 'io-ts';
import type {
  Address,
  BatchMessage,
  BatchStatus,
  Billing,
  Demographics,
  EmergencyContact,
  Employment,
  Guarantor,
  Insurance,
  MessageError,
  Name,
  PartialName,
  Patient,
  PatientDemographics,
  PatientInvite,
  ProcessingResponse,
  Provider,
} from 'medfusion-patient-sdk';
import type { rawCodecs } from '../src/models/patient';
import type { rawBatchCodecs } from '../src/models/batch';
import { PatientInviteCodec } from 'medfusion-patient-sdk';

/**
 * Equal both ways: each assignable to the other, field by field, nested models included. It tells a
 * required field from an optional one and a closed enumeration from an open one.
 */
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const equal = <A, B>(proof: Equals<A, B>): Equals<A, B> => proof;
type Of<K extends keyof typeof rawCodecs> = t.TypeOf<(typeof rawCodecs)[K]>;
type OfBatch<K extends keyof typeof rawBatchCodecs> = t.TypeOf<(typeof rawBatchCodecs)[K]>;

it('each model interface equals its codec type, both ways', () => {
  const proofs = [
    equal<Of<'Name'>, Name>(true),
    equal<Of<'PartialName'>, PartialName>(true),
    equal<Of<'Address'>, Address>(true),
    equal<Of<'Demographics'>, Demographics>(true),
    equal<Of<'PatientDemographics'>, PatientDemographics>(true),
    equal<Of<'EmergencyContact'>, EmergencyContact>(true),
    equal<Of<'Employment'>, Employment>(true),
    equal<Of<'Guarantor'>, Guarantor>(true),
    equal<Of<'Billing'>, Billing>(true),
    equal<Of<'Insurance'>, Insurance>(true),
    equal<Of<'Provider'>, Provider>(true),
    equal<Of<'PatientInvite'>, PatientInvite>(true),
    equal<Of<'Patient'>, Patient>(true),
    equal<OfBatch<'ProcessingResponse'>, ProcessingResponse>(true),
    equal<OfBatch<'MessageError'>, MessageError>(true),
    equal<OfBatch<'BatchMessage'>, BatchMessage>(true),
    equal<OfBatch<'BatchStatus'>, Omit<BatchStatus, 'lastResponse'>>(true),
  ];
  expect(proofs.every(Boolean)).toBe(true);
});

it('the equality check can fail: an optional field is not a required one', () => {
  // Demographics requires email (an invitation needs it); the returned shape does not.
  const differs: Equals<Demographics, PatientDemographics> = false;
  const optionalEmail: Equals<Demographics['email'], string> = true;
  expect([differs, optionalEmail]).toEqual([false, true]);
});

it('types and codec agree at run time too: an invite without e-mail is refused by both', () => {
  const withoutEmail = {
    practicePatientId: 'P-1',
    demographics: {
      name: { firstName: 'A', lastName: 'B' },
      dateOfBirth: '1990-01-01',
      gender: 'MALE',
    },
  } as const;
  // @ts-expect-error: the type requires demographics.email, as the codec does
  const invite: PatientInvite = withoutEmail;
  expect(PatientInviteCodec.is(invite)).toBe(false);
});
