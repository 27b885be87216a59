/** Percent-encodes one path segment, so an id can never add a segment or a query. */
export function encodePathSegment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Tagged template for request paths: every interpolated value is one encoded segment
 * (`` path`/v1/practice/${id}/patient` ``), as anthropic's `internal/utils/path.ts`.
 */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < values.length ? encodePathSegment(values[i] as string) : ''),
    '',
  );
}

/**
 * Whether `value` can be an id in a path (a practice id, a job id): letters, digits and `-`, `_`,
 * `.`, `~` only (UUIDs and the like). Refuses separators (`/`, `\\`, `?`, `#`), encoded ones (`%2F`),
 * dot segments, whitespace and control characters, which no id of the API contains.
 */
export function isPathId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= 128 &&
    /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/.test(value) &&
    !value.includes('..')
  );
}
