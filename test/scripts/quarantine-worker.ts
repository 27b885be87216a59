// A sync worker in quarantine mode for the poison-page crash test.
// argv: <baseUrl> <practiceId> <credentials JSON> <checkpoint file> <work dir> <run number>
// onPage appends the page's ids to <dir>/processed.log; onInvalidRecord writes <dir>/handling-<run>
// when it starts, works for 300 ms (so kills land inside it), then appends to <dir>/quarantine.log.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileCheckpointStore } from '../../src/index';
import { workerClient } from './worker';

const { client, rest } = workerClient();
const [checkpointPath, dir, run] = rest as [string, string, string];

void client.patients
  .sync({
    checkpoint: new FileCheckpointStore(checkpointPath),
    max: 25,
    invalidRecords: 'quarantine',
    onInvalidRecord: async (record) => {
      writeFileSync(join(dir, `handling-${run}`), '');
      await new Promise((r) => setTimeout(r, 300));
      appendFileSync(
        join(dir, 'quarantine.log'),
        `${JSON.stringify({ run: Number(run), id: record.practicePatientId, position: record.position, rules: record.issues.map((i) => i.rule) })}\n`,
      );
    },
    onPage: async (page) => {
      appendFileSync(
        join(dir, 'processed.log'),
        `${JSON.stringify({ ids: page.patients.map((p) => p.practicePatientId) })}\n`,
      );
    },
  })
  .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
