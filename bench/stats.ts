/** Small helpers for timing: medians over interleaved rounds, so both sides see the same machine state. */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Runs `a` and `b` alternately `rounds` times (each `inner` calls), returning per-call medians in ms. */
export async function compare(
  rounds: number,
  inner: number,
  a: () => unknown,
  b: () => unknown,
): Promise<{ a: number; b: number; ratio: number }> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < 3; i++) {
    await a();
    await b();
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let r = 0; r < rounds; r++) {
    for (const [fn, out] of (r % 2
      ? [
          [b, tb],
          [a, ta],
        ]
      : [
          [a, ta],
          [b, tb],
        ]) as [() => unknown, number[]][]) {
      gc?.(); // each side starts from a clean heap and pays for its own garbage
      const start = performance.now();
      for (let i = 0; i < inner; i++) await fn();
      out.push((performance.now() - start) / inner);
    }
  }
  const ma = median(ta);
  const mb = median(tb);
  return { a: ma, b: mb, ratio: ma / mb };
}
