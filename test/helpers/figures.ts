import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(__dirname, '..', '..', '.tmp', 'reliability-figures.json');

/** Keeps the figures of a reliability run (kills, faults, inputs) for docs/reliability.md. */
export function recordFigures(name: string, figures: Record<string, number>): void {
  mkdirSync(join(FILE, '..'), { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  all[name] = { ...figures, at: new Date().toISOString() };
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
  process.stdout.write(`reliability ${name}: ${JSON.stringify(figures)}\n`);
}
