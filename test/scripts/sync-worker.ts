// A sync process for the crash test: killed with SIGKILL at random moments and restarted.
// argv: <baseUrl> <practiceId> <credentials JSON> <checkpoint file> <processed log>
// Each processed page is appended to the log (and fsync'd) inside onPage, before the cursor is saved.
import { appendFileSync, closeSync, fsyncSync, openSync } from 'node:fs';
import { FileCheckpointStore } from '../../src/index';
import { workerClient } from './worker';

const { client, rest } = workerClient();
const [checkpointPath, logPath] = rest as [string, string];

void client.patients
  .sync({
    checkpoint: new FileCheckpointStore(checkpointPath),
    max: 25,
    onPage: async (page) => {
      await new Promise((r) => setTimeout(r, 5)); // some work per page, so kills land mid-page too
      appendFileSync(
        logPath,
        `${JSON.stringify({ cursor: page.cursor, ids: page.patients.map((p) => p.practicePatientId) })}\n`,
      );
      const fd = openSync(logPath, 'r+');
      fsyncSync(fd);
      closeSync(fd);
    },
  })
  .then((r) => process.stdout.write(JSON.stringify(r)));
