// Jest global teardown: stops the server `postgres.global.cjs` started, and removes its data.
const { rmSync } = require('node:fs');

module.exports = async function teardown() {
  const started = globalThis.__medfusionPostgres;
  if (!started) return;
  await started.pg.stop();
  rmSync(started.dir, { recursive: true, force: true });
};
