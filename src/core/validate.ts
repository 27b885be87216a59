/**
 * Validation of what users send, before anything goes on the wire: the codec, then the rules that
 * depend on the API version (derived from the XML table, so they cannot drift from what is sent).
 */
import { ValidationError, type ValidationIssue } from './errors';
import { isLeft, toIssues } from '../models/codec';
import type * as t from 'io-ts';
import { GENDERS_V3_ONLY, type ApiVersion } from '../models/enums';
import { PatientInviteCodec, STATE_RULE, type PatientInvite } from '../models/patient';
import { PATIENT, type SchemaNode } from '../xml/schema';

/** Model paths the XML table does not carry in `version` (for example `demographics.genderIdentity` in v1). */
function unsupportedPaths(version: ApiVersion): string[][] {
  const out: string[][] = [];
  const walk = (nodes: readonly SchemaNode[], prefix: string[]): void => {
    for (const n of nodes) {
      if (n.key === null || n.only === 'response' || ('context' in n && n.context)) continue;
      const key = [...prefix, ...n.key];
      if (n.versions && !n.versions.includes(version)) out.push(key);
      else if (n.kind === 'block' && !n.repeat) walk(n.children, key);
    }
  };
  walk(PATIENT, []);
  return out;
}

const UNSUPPORTED: Record<ApiVersion, string[][]> = {
  v1: unsupportedPaths('v1'),
  v2: unsupportedPaths('v2'),
  v3: unsupportedPaths('v3'),
};

function valueAt(obj: unknown, key: readonly string[]): unknown {
  let v = obj;
  for (const k of key)
    v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

/**
 * One invite checked for `version`: the invite as it will be sent (a US state's full name as its
 * code, empty address parts left out) and the issues found, paths prefixed with `prefix`.
 */
export function checkInvite(
  value: unknown,
  version: ApiVersion,
  prefix: string,
): { invite?: PatientInvite; issues: ValidationIssue[] } {
  const result = PatientInviteCodec.decode(value);
  if (isLeft(result)) return { issues: toIssues(result.left, prefix) };
  const invite = result.right;
  const issues: ValidationIssue[] = [];
  if (
    version !== 'v3' &&
    (GENDERS_V3_ONLY as readonly string[]).includes(invite.demographics.gender)
  ) {
    issues.push({ path: `${prefix}.demographics.gender`, rule: `oneOf(Gender ${version})` });
  }
  for (const key of UNSUPPORTED[version]) {
    if (valueAt(invite, key) !== undefined) {
      issues.push({ path: `${prefix}.${key.join('.')}`, rule: `unsupportedIn(${version})` });
    }
  }
  return issues.length > 0 ? { issues } : { invite, issues };
}

/** The issues of one invite for `version`, paths prefixed with `prefix`. */
export const inviteIssues = (value: unknown, version: ApiVersion, prefix: string) =>
  checkInvite(value, version, prefix).issues;

const STATE_HINT =
  'A State is the two-letter code (NC, CA): Medfusion keeps only the first two characters of a ' +
  "longer value; a US state's full name is turned into its code for you";

/**
 * Checks every invite and throws one {@link ValidationError} listing all issues
 * (`invites[3].demographics.name.middleName`), or returns the invites as they will be sent.
 */
export function validateInvites(invites: unknown, version: ApiVersion): PatientInvite[] {
  if (!Array.isArray(invites))
    throw new ValidationError('invites', [{ path: 'invites', rule: 'array' }]);
  if (invites.length === 0)
    throw new ValidationError('invites', [{ path: 'invites', rule: 'nonEmpty' }]);
  const issues: ValidationIssue[] = [];
  const valid: PatientInvite[] = [];
  const seen = new Set<string>();
  invites.forEach((value: unknown, i) => {
    const checked = checkInvite(value, version, `invites[${i}]`);
    issues.push(...checked.issues);
    if (checked.invite) valid.push(checked.invite);
    const id = (value as { practicePatientId?: unknown } | null)?.practicePatientId;
    if (typeof id === 'string') {
      if (seen.has(id)) issues.push({ path: `invites[${i}].practicePatientId`, rule: 'unique' });
      seen.add(id);
    }
  });
  if (issues.length > 0) {
    const hint = issues.some((i) => i.rule === STATE_RULE) ? STATE_HINT : undefined;
    throw new ValidationError('invites', issues, hint);
  }
  return valid;
}

/** Decodes `value` with `codec` or throws a {@link ValidationError} naming `subject`. */
export function decodeOrThrow<A, O>(
  codec: t.Type<A, O>,
  value: unknown,
  subject: string,
  prefix = '',
): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new ValidationError(subject, toIssues(result.left, prefix));
  return result.right;
}
