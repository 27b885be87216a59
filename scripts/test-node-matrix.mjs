#!/usr/bin/env node
// The unit tests on every Node version users run (22, 24, 26; npm test runs them on this node).
// The long crash and memory-growth runs (SIGKILL loops, a 100k-patient sandbox) run once, on this
// node, in `npm test`, and so do the fleet's (its pg-boss workers run on Node 22 whatever node runs
// Jest); everything else runs on every version.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { nodeBinaries } from './node-binaries.mjs';

const root = resolve(import.meta.dirname, '..');
const HEAVY = ['crash', 'sandbox-memory', 'fleet', 'fleet-integrity', 'fleet-operations'];
for (const { version, bin } of nodeBinaries().slice(1)) {
  console.log(`\n$ node ${version}: unit tests`);
  execFileSync(
    bin,
    [
      'node_modules/jest/bin/jest.js',
      // Two at a time: most of a test's time is spent waiting on servers and child processes.
      '--maxWorkers=2',
      '--testPathIgnorePatterns',
      ...HEAVY.map((h) => `${h}\\.test\\.ts$`),
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
console.log('node matrix: unit tests passed on every version');
