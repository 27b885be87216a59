/**
 * `npm run demo`: the SDK end to end against the embedded sandbox, no credentials needed.
 * Invite patients, follow processing, let some register and edit their data on the portal, then
 * sync the feed with a checkpoint, twice, to show that the second run picks up only what changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileCheckpointStore,
  MedfusionClient,
  PartialSubmissionError,
  type BatchStatus,
} from 'medfusion-patient-sdk';
import { sampleInvite, startSandbox } from 'medfusion-patient-sdk/sandbox';

const PATIENTS = 40;
const tty = process.stdout.isTTY === true;

function progress(label: string, done: number, total: number): void {
  const width = 24;
  const filled = Math.round((done / total) * width);
  const line = `  ${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  if (tty) process.stdout.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || done % Math.ceil(total / 4) === 0) console.log(line);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('Medfusion Patient SDK demo: starting the sandbox on 127.0.0.1 ...');
  const sandbox = await startSandbox({ processingDelayMs: 800 });
  const client = new MedfusionClient({
    baseUrl: sandbox.url,
    practiceId: sandbox.practiceId,
    credentials: sandbox.credentials,
    sender: { vendorName: 'Demo EHR', deviceName: 'demo', deviceVersion: '1.0' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'medfusion-demo-'));
  try {
    console.log(`  sandbox ${sandbox.url}, practice ${sandbox.practiceId}\n`);

    console.log(`1. Inviting ${PATIENTS} patients in batches of 10`);
    const invites = Array.from({ length: PATIENTS }, (_, i) => sampleInvite(i, 2026));
    // One patient claims a portal account that does not exist: processing reports it as an ERROR.
    invites[PATIENTS - 1] = {
      ...(invites[PATIENTS - 1] as (typeof invites)[number]),
      medfusionPatientId: '999999999',
    };
    const jobs = await client.patients.invitePatients(invites, {
      batchSize: 10,
      onProgress: (p) => progress('batches accepted', p.chunksDone, p.chunksTotal),
    });

    console.log('\n2. Waiting for Medfusion to process the batches');
    let finished = 0;
    const statuses: BatchStatus[] = await Promise.all(
      jobs.map(async (job) => {
        const status = await client.batches.waitForCompletion(job, {
          minDelayMs: 200,
          maxDelayMs: 1000,
        });
        progress('batches processed', ++finished, jobs.length);
        return status;
      }),
    );
    const messages = statuses.flatMap((s) =>
      s.messages.filter((m) => m.practiceResourceId !== undefined),
    );
    const failed = messages.filter((m) => m.state === 'ERROR');
    console.log(`  ${messages.length - failed.length} invitations sent, ${failed.length} failed:`);
    for (const m of failed)
      console.log(
        `    ${m.practiceResourceId}: ${m.error?.code ?? ''} ${m.error?.description ?? ''}`,
      );

    console.log('\n3. On the portal: 25 patients register, 5 of them then edit their data');
    const registered = invites.slice(0, 25).map((i) => i.practicePatientId);
    registered.forEach((id) => sandbox.registerPatient(id));
    registered
      .slice(0, 5)
      .forEach((id) => sandbox.updatePatient(id, { demographics: { mobilePhone: '9195550199' } }));

    console.log('\n4. Syncing new and updated patients with a file checkpoint');
    const checkpoint = new FileCheckpointStore(join(dir, 'medfusion.cursor'));
    const synced = new Map<string, string>();
    const first = await client.patients.sync({
      checkpoint,
      max: 10,
      onPage: async (page) => {
        for (const p of page.patients) synced.set(p.practicePatientId, p.status.status);
      },
      onProgress: (p) =>
        console.log(
          `  page ${p.pages} done, ${p.patients} records so far, cursor ${p.cursor ?? '-'} saved`,
        ),
    });
    console.log(
      `  ${first.patients} patient records in ${first.pages} pages (${synced.size} distinct patients), cursor saved`,
    );

    sandbox.updatePatient(registered[10] as string, { demographics: { homePhone: '9195550100' } });
    const second = await client.patients.sync({ checkpoint, onPage: async () => undefined });
    console.log(
      `  second run from the checkpoint: ${second.patients} patient (the one that changed since)`,
    );

    const s = sandbox.stats;
    console.log('\nSummary');
    console.log(`  invited                 ${PATIENTS}`);
    console.log(`  processing errors       ${failed.length}`);
    console.log(`  invitation e-mails      ${s.invitationsSent} (never two for one patient)`);
    console.log(`  registered and synced   ${synced.size}`);
    console.log(`  duplicate batches       ${s.duplicateBatches}`);
    console.log(`  HTTP requests           ${s.requests}, tokens issued ${s.tokensIssued}`);
    console.log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (synced.size !== 25 || second.patients !== 1)
      throw new Error('demo: unexpected sync result');
  } catch (error) {
    if (error instanceof PartialSubmissionError)
      console.error(`Some batches failed: ${error.message}`);
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  console.error('demo failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
