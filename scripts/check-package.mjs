#!/usr/bin/env node
// The package as users get it: pack it, lint the package (publint, attw), install the tarball into
// a fresh project, compile a TypeScript consumer under three module resolutions, and run it as ESM
// and as CommonJS against the sandbox the package ships.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, opts = {}) => {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  return execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
};
const work = mkdtempSync(join(tmpdir(), 'medfusion-pack-'));

try {
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  const tarball = join(work, info.filename);
  const files = info.files.map((f) => f.path).sort();
  console.log(`packed ${info.filename}: ${files.length} files, ${info.size} bytes`);
  const stray = files.filter(
    (f) => !/^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(f),
  );
  if (stray.length > 0) throw new Error(`unexpected files in the tarball: ${stray.join(', ')}`);

  run(bin('publint'), ['run', '--strict', '--pack', 'npm']);
  run(bin('attw'), [tarball, '--format', 'table-flipped']);

  const app = join(work, 'consumer');
  cpSync(join(root, 'test', 'consumer'), app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '0.0.0', type: 'module' }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--no-package-lock',
      tarball,
      'msw@' + JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.msw,
    ],
    { cwd: app },
  );

  // `pg` is an optional peer: the consumer runs without it, so no entry may load it on its own.
  if (existsSync(join(app, 'node_modules', 'pg')))
    throw new Error('pg was installed with the package: it must stay an optional peer');

  const typeRoots = join(root, 'node_modules', '@types');
  for (const [module, resolution, files] of [
    ['node16', 'node16', ['consumer.ts', 'consumer-cjs.cts']],
    ['esnext', 'bundler', ['consumer.ts']],
    ['commonjs', 'node10', ['consumer.ts']],
  ]) {
    const flags = [
      '--noEmit',
      '--strict',
      '--module',
      module,
      '--moduleResolution',
      resolution,
      '--target',
      'es2022',
    ];
    run(bin('tsc'), [...flags, '--typeRoots', typeRoots, '--types', 'node', ...files], {
      cwd: app,
    });
  }
  rmSync(join(app, 'consumer.ts'));
  rmSync(join(app, 'consumer-cjs.cts'));
  run(process.execPath, ['consumer.mjs'], { cwd: app });
  run(process.execPath, ['consumer.cjs'], { cwd: app });
  console.log('package check passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
