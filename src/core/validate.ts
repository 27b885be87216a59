/**
 * Validation of what users send, before anything goes on the wire: the codec, then the rules that
 * depend on the API version (derived from the XML table, so they cannot drift from what is sent).
 */
import { ValidationError, type ValidationIssue } from './errors';
import { isLeft, toIssues } from '../models/codec';
import { GENDERS_V3_ONLY, type ApiVersion } from '../models/enums';
import { PatientInviteCodec, type PatientInvite } from '../models/patient';
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

/** The issues of one invite for `version`, paths prefixed with `prefix`. */
export function inviteIssues(
  value: unknown,
  version: ApiVersion,
  prefix: string,
): ValidationIssue[] {
  const result = PatientInviteCodec.decode(value);
  if (isLeft(result)) return toIssues(result.left, prefix);
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
  return issues;
}

/**
 * Checks every invite and throws one {@link ValidationError} listing all issues
 * (`invites[3].demographics.name.middleName`), or returns the invites typed.
 */
export function validateInvites(invites: unknown, version: ApiVersion): PatientInvite[] {
  if (!Array.isArray(invites))
    throw new ValidationError('invites', [{ path: 'invites', rule: 'array' }]);
  if (invites.length === 0)
    throw new ValidationError('invites', [{ path: 'invites', rule: 'nonEmpty' }]);
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  invites.forEach((invite: unknown, i) => {
    issues.push(...inviteIssues(invite, version, `invites[${i}]`));
    const id = (invite as { practicePatientId?: unknown } | null)?.practicePatientId;
    if (typeof id === 'string') {
      if (seen.has(id)) issues.push({ path: `invites[${i}].practicePatientId`, rule: 'unique' });
      seen.add(id);
    }
  });
  if (issues.length > 0) throw new ValidationError('invites', issues);
  return invites as PatientInvite[];
}
