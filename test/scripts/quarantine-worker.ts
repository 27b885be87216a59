// A sync worker in quarantine mode for the poison-page crash test.
// argv: <baseUrl> <practiceId> <credentials JSON> <checkpoint file> <work dir> <run number> <stop>
// onPage appends the page's ids to <dir>/processed.log; onInvalidRecord writes <dir>/handling-<run>
// when it starts, then appends to <dir>/quarantine.log and writes <dir>/reported-<run>. <stop> makes
// the run wait there for its kill, at a fixed point: 'before-report', 'after-report', or 'none'.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileCheckpointStore } from '../../src/index';
import { workerClient } from './worker';

const { client, rest } = workerClient();
const [checkpointPath, dir, run, stop] = rest as [string, string, string, string];
const forever = (): Promise<never> => new Promise<never>(() => undefined);

void client.patients
  .sync({
    checkpoint: new FileCheckpointStore(checkpointPath),
    max: 25,
    invalidRecords: 'quarantine',
    onInvalidRecord: async (record) => {
      writeFileSync(join(dir, `handling-${run}`), '');
      if (stop === 'before-report') await forever();
      appendFileSync(
        join(dir, 'quarantine.log'),
        `${JSON.stringify({ run: Number(run), id: record.practicePatientId, position: record.position, rules: record.issues.map((i) => i.rule) })}\n`,
      );
      writeFileSync(join(dir, `reported-${run}`), '');
      if (stop === 'after-report') await forever(); // reported, but the cursor not yet moved
    },
    onPage: async (page) => {
      appendFileSync(
        join(dir, 'processed.log'),
        `${JSON.stringify({ ids: page.patients.map((p) => p.practicePatientId) })}\n`,
      );
    },
  })
  .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
