// Benchmark server: the sandbox with pre-rendered patients, so the client's cost dominates.
// Prints its connection details as one JSON line, then serves until killed.
import { startSandbox } from '../src/sandbox';

void (async () => {
  const sb = await startSandbox({ prerender: true, tokenTtlSeconds: 86_400 });
  sb.seedRegisteredPatients(Number(process.argv[2] ?? 50_000));
  process.stdout.write(
    `${JSON.stringify({ url: sb.url, practiceId: sb.practiceId, credentials: sb.credentials })}\n`,
  );
})();
