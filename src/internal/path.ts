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
