// Seeds pg-boss (Node 22+) for the dashboard test: the fleet's queues, a schedule per practice, and
// one dead letter per practice of `deadLetters`, each failed with a FleetJobError's output as a
// worker leaves it. Argv: database URL, pg-boss schema, JSON { practices, deadLetters }.
import { PgBoss } from 'pg-boss';
import { FleetJobError } from '../../src/fleet/index';
import { APIError } from '../../src/index';

async function main(): Promise<void> {
  const [url, schema, json] = process.argv.slice(2) as [string, string, string];
  const { practices, deadLetters } = JSON.parse(json) as {
    practices: string[];
    deadLetters: string[];
  };
  const boss = new PgBoss({ connectionString: url, schema, supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('medfusion.dead-letter');
  await boss.createQueue('medfusion.sync', {
    policy: 'singleton',
    retryLimit: 0,
    deadLetter: 'medfusion.dead-letter',
  });
  for (const practiceId of practices)
    await boss.schedule('medfusion.sync', '0 * * * *', { practiceId }, { key: practiceId });
  for (const practiceId of deadLetters) {
    await boss.send('medfusion.sync', { practiceId }, { singletonKey: practiceId });
    const [job] = await boss.fetch('medfusion.sync');
    const failure = new FleetJobError(
      'sync',
      practiceId,
      APIError.generate({
        status: 404,
        headers: {},
        method: 'GET',
        path: '/v2/practice/x/patient',
      }),
    );
    if (job) await boss.fail('medfusion.sync', job.id, failure.toJSON());
  }
  await boss.stop({ graceful: false, close: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`boss seed failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
