/**
 * A date of birth is a calendar date: it must not move with the process time zone. Each zone runs
 * in its own child process because Node reads `TZ` at start-up.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ZONES = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Sao_Paulo', 'UTC'];
const script = join(__dirname, 'helpers', 'dob-roundtrip.ts');
const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

describe('dates of birth across time zones', () => {
  it.each(ZONES)('TZ=%s: encode → decode keeps every date of birth', (zone) => {
    const out = execFileSync(tsx, [script], {
      env: { ...process.env, TZ: zone },
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as {
      zoneOffsetMinutes: number;
      results: { dob: string; wire: string; back: string }[];
    };
    for (const r of result.results) {
      expect(r.wire).toBe(`${r.dob}T00:00:00`);
      expect(r.back).toBe(r.dob);
    }
    if (zone === 'Pacific/Kiritimati') expect(result.zoneOffsetMinutes).toBe(-840);
    if (zone === 'Pacific/Pago_Pago') expect(result.zoneOffsetMinutes).toBe(660);
  });
});
