/**
 * The io-ts building blocks every model is made of, and the one function that turns io-ts
 * failures into {@link ValidationIssue}s (path and rule, never the value).
 */
import * as t from 'io-ts';
import type { Either, Left } from 'fp-ts/lib/Either';

/** One problem found by a codec: where (`invites[3].demographics.name.middleName`) and which rule. */
export interface ValidationIssue {
  /** Where: `invites[3].demographics.name.middleName`, or an XML path for response problems. */
  path: string;
  /** Which rule failed: `required`, `nonEmpty`, `email`, `maxLength(2)`, `oneOf(Gender)`, … */
  rule: string;
}

/**
 * `fp-ts`'s `isLeft`, written here so that the published ESM build never imports an `fp-ts` deep
 * path (fp-ts has no `exports` map, and Node's ESM resolver needs file extensions there).
 */
export const isLeft = <E, A>(e: Either<E, A>): e is Left<E> => e._tag === 'Left';

/** Whether a codec family is for what users send (strict) or what servers send (tolerant). */
export type Mode = 'input' | 'output';

/** On output an enumeration keeps any value the server sends; its known values still autocomplete. */
export type EnumOf<V extends string, M extends Mode> = M extends 'input' ? V : V | (string & {});

/** A `string` codec that applies `check`, whose failure names `rule`. */
export function refinedString(rule: string, check: (s: string) => boolean): t.Type<string> {
  return new t.Type<string, string, unknown>(
    rule,
    (u): u is string => typeof u === 'string' && check(u),
    (u, c) =>
      typeof u !== 'string'
        ? t.failure(u, c, 'string')
        : check(u)
          ? t.success(u)
          : t.failure(u, c, rule),
    t.identity,
  );
}

// XML 1.0 forbids these (and lone surrogates); a value holding one can never be sent.
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Non-empty text, at most `max` characters, only characters XML can carry. */
export function text(max?: number): t.Type<string> {
  return new t.Type<string, string, unknown>(
    'text',
    (u): u is string => typeof u === 'string',
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, 'string');
      if (u.trim() === '') return t.failure(u, c, 'nonEmpty');
      if (max !== undefined && u.length > max) return t.failure(u, c, `maxLength(${max})`);
      if (XML_FORBIDDEN.test(u)) return t.failure(u, c, 'xmlCharacters');
      return t.success(u);
    },
    t.identity,
  );
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar date written `YYYY-MM-DD` (no time, no zone). */
export function isCalendarDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = new Date(Date.UTC(y, mo - 1, d));
  return utc.getUTCFullYear() === y && utc.getUTCMonth() === mo - 1 && utc.getUTCDate() === d;
}

/** A calendar date `YYYY-MM-DD`. */
export const calendarDate = refinedString('date(YYYY-MM-DD)', isCalendarDate);

/**
 * A date of birth: a calendar date not after today. "Today" is taken in the zone furthest ahead
 * (UTC+14) so that a baby born today anywhere on Earth is accepted, whatever the machine's zone.
 */
export const dateOfBirth = new t.Type<string, string, unknown>(
  'dateOfBirth',
  (u): u is string => typeof u === 'string' && isCalendarDate(u),
  (u, c) => {
    if (typeof u !== 'string' || !isCalendarDate(u)) return t.failure(u, c, 'date(YYYY-MM-DD)');
    const latest = new Date(Date.now() + 14 * 3600_000).toISOString().slice(0, 10);
    return u <= latest ? t.success(u) : t.failure(u, c, 'notInFuture');
  },
  t.identity,
);

/**
 * An optional text whose empty form means "no value": `''` (or blanks) decodes as absent and is never
 * sent, as Medfusion treats an empty element (wire spec section 10: `<City/>` accepted). Anything
 * else must pass `inner`.
 */
export function blankable(inner: t.Type<string>): t.Type<string> {
  return new t.Type<string, string, unknown>(
    inner.name,
    inner.is,
    (u, c) =>
      typeof u === 'string' && u.trim() === ''
        ? (t.success(undefined) as unknown as t.Validation<string>)
        : inner.validate(u, c),
    t.identity,
  );
}

/** A simple, permissive e-mail shape: one `@`, a dot in the domain, no spaces. */
export const email = refinedString('email', (s) => /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(s));

/** A US social security number: exactly nine digits. */
export const ssn = refinedString('ssn(9 digits)', (s) => /^\d{9}$/.test(s));

const isAmount = (u: unknown): u is number =>
  typeof u === 'number' && Number.isFinite(u) && u >= 0 && u < 1e9 && Number(u.toFixed(2)) === u;

/** A money amount such as a copay: 0 to 999,999,999.99, at most two decimals (sent as `0.20`). */
export const amount = new t.Type<number, number, unknown>(
  'amount',
  isAmount,
  (u, c) => (isAmount(u) ? t.success(u) : t.failure(u, c, 'amount(0..1e9, 2 decimals)')),
  t.identity,
);

/** One of `values`, strictly (input). */
export function oneOf<V extends string>(name: string, values: readonly V[]): t.Type<V> {
  const set = new Set<string>(values);
  return new t.Type<V, V, unknown>(
    name,
    (u): u is V => typeof u === 'string' && set.has(u),
    (u, c) =>
      typeof u === 'string' && set.has(u) ? t.success(u as V) : t.failure(u, c, `oneOf(${name})`),
    t.identity,
  );
}

/**
 * An object codec with required and optional properties that also rejects unknown keys, so a
 * misspelt field (`middlename`) is an error rather than silently not sent.
 */
export function struct<R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<
  t.TypeOfProps<R> & t.TypeOfPartialProps<O>,
  t.OutputOfProps<R> & t.OutputOfPartialProps<O>
> {
  // `is` and `encode` come from io-ts's own combinators; `validate` is one pass over the keys
  // (io-ts's intersection validates twice and merges), since it runs for every block of every page.
  const inner = t.intersection([t.type(required), t.partial(optional)]);
  const fields = [
    ...Object.entries(required).map(([key, type]) => ({ key, type, required: true })),
    ...Object.entries(optional).map(([key, type]) => ({ key, type, required: false })),
  ];
  const known = new Set(fields.map((f) => f.key));
  const codec = new t.Type(
    name,
    inner.is,
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'object');
      const record = u as Record<string, unknown>;
      let errors: t.ValidationError[] | undefined;
      let out = record;
      for (const { key, type, required: needed } of fields) {
        const value = record[key];
        if (value === undefined && !needed) continue;
        const result = type.validate(value, [...c, { key, type, actual: value }]);
        if (isLeft(result)) (errors ??= []).push(...result.left);
        else if (result.right !== value) {
          if (out === record) out = { ...record };
          out[key] = result.right;
        }
      }
      for (const key in record) {
        if (known.has(key) || record[key] === undefined) continue;
        (errors ??= []).push({
          value: undefined,
          context: [...c, { key, type: t.unknown, actual: undefined }],
          message: 'unknownField',
        });
      }
      return errors ? t.failures(errors) : t.success(out as t.TypeOf<typeof inner>);
    },
    inner.encode,
  );
  WRAPPERS.add(codec);
  return codec;
}

/** Codecs made by {@link struct} and {@link withChecks}: the intersection indexes below them are not part of a path. */
const WRAPPERS = new WeakSet<t.Decoder<unknown, unknown>>();

/** Adds a whole-object check to a codec; `check` returns the issues it found, relative paths. */
export function withChecks<A, O>(
  codec: t.Type<A, O>,
  check: (a: A) => { key: string[]; rule: string }[],
): t.Type<A, O> {
  const checked = new t.Type<A, O, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const result = codec.validate(u, c);
      if (isLeft(result)) return result;
      const found = check(result.right);
      if (found.length === 0) return result;
      return t.failures(
        found.map((f) => ({
          value: undefined,
          context: [...c, ...f.key.map((key) => ({ key, type: t.unknown, actual: undefined }))],
          message: f.rule,
        })),
      );
    },
    codec.encode,
  );
  WRAPPERS.add(checked);
  return checked;
}

/** Turns io-ts errors into issues: `demographics.name.middleName` / `nonEmpty`. */
export function toIssues(errors: t.Errors, prefix = ''): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    let path = prefix;
    const ctx = error.context;
    for (let i = 1; i < ctx.length; i++) {
      const parent = ctx[i - 1]?.type;
      const entry = ctx[i];
      if (
        !entry ||
        parent instanceof t.IntersectionType ||
        (parent && WRAPPERS.has(parent) && isMember(entry.type))
      )
        continue;
      path += parent instanceof t.ArrayType ? `[${entry.key}]` : path ? `.${entry.key}` : entry.key;
    }
    const rule =
      error.value === undefined &&
      (error.message === undefined ||
        TYPE_RULES.has(error.message) ||
        error.message.startsWith('oneOf('))
        ? 'required'
        : (error.message ?? ruleOf(ctx));
    const id = `${path}\u0000${rule}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push({ path, rule });
    }
  }
  return issues;
}

// A type failure on a missing value is reported as the clearer `required`.
const TYPE_RULES = new Set(['string', 'object', 'amount(0..1e9, 2 decimals)', 'date(YYYY-MM-DD)']);

const isMember = (type: t.Decoder<unknown, unknown>): boolean =>
  type instanceof t.InterfaceType ||
  type instanceof t.PartialType ||
  type instanceof t.IntersectionType;

function ruleOf(ctx: t.Context): string {
  const type = ctx[ctx.length - 1]?.type;
  if (type instanceof t.ArrayType) return 'array';
  if (type instanceof t.InterfaceType || type instanceof t.PartialType) return 'object';
  return type?.name ?? 'invalid';
}
