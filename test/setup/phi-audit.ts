/**
 * PHI and secrets audit over the whole test run: every SDK error constructed in any test (through
 * the `errorObserver` hook) and every line the test loggers capture is checked for the canaries
 * planted in the test data and credentials. A leak fails the test file.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';

const CANARIES = [/CANARY/, /Zebulon/, /Quixote/, /987654329/, /9195550111/, /zebulon\.canary/i];
const texts: string[] = [];
let errors = 0;
let lines = 0;

(globalThis as Record<symbol, unknown>)[Symbol.for('medfusion-patient-sdk.errorObserver')] = (
  e: Error,
) => {
  errors++;
  texts.push([e.message, String(e), JSON.stringify(e), inspect(e, { depth: 8 })].join('\n'));
};
(globalThis as Record<string, unknown>).__medfusionAuditLine = (line: string) => {
  lines++;
  texts.push(line);
};

afterAll(() => {
  const leaks = texts.filter((t) => CANARIES.some((c) => c.test(t)));
  const file = expect.getState().testPath ?? 'unknown';
  mkdirSync(join(__dirname, '..', '..', '.tmp'), { recursive: true });
  appendFileSync(
    join(__dirname, '..', '..', '.tmp', 'phi-audit.jsonl'),
    `${JSON.stringify({ file: file.split('/').slice(-2).join('/'), errors, lines, leaks: leaks.length })}\n`,
  );
  texts.length = 0;
  if (leaks.length > 0)
    throw new Error(
      `PHI audit: ${leaks.length} error(s) or log line(s) carry a canary, first:\n${leaks[0]?.slice(0, 500)}`,
    );
});
