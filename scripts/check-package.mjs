#!/usr/bin/env node
// The package as users get it: pack it, lint the package (publint, attw), install the tarball into
// fresh projects, compile a TypeScript consumer with TypeScript 5 and 7 under each module resolution,
// and run it as ESM and as CommonJS, with msw 2 and msw 3, on Node 20, 22, 24 and 26.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkSnippets } from './check-snippets.mjs';
import { nodeBinaries } from './node-binaries.mjs';

/** What users install now: checked beside the project's own TypeScript 5.9 and msw 2. */
const TS7 = '7.0.2';
const MSW3 = '3.0.5';

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

  const nodes = nodeBinaries();
  const typeRoots = join(root, 'node_modules', '@types');
  const devVersion = (name) =>
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies[name];
  const consumer = (name, deps) => {
    const app = join(work, name);
    cpSync(join(root, 'test', 'consumer'), app, { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name, private: true, version: '0.0.0', type: 'module' }),
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
        ...deps,
      ],
      { cwd: app },
    );
    // `pg` is an optional peer: the consumer runs without it, so no entry may load it on its own.
    if (existsSync(join(app, 'node_modules', 'pg')))
      throw new Error('pg was installed with the package: it must stay an optional peer');
    return app;
  };
  const compile = (tsc, app, cases) => {
    for (const [module, resolution, files] of cases) {
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
      run(tsc, [...flags, '--typeRoots', typeRoots, '--types', 'node', ...files], { cwd: app });
    }
  };

  // 1. TypeScript 5 (the project's) and msw 2: types under every resolution TS 5 has; the package
  //    run as ESM and CJS, and the ./testing handlers with msw 2, on every Node version.
  const app2 = consumer('consumer-msw2', [`msw@${devVersion('msw')}`]);
  compile(bin('tsc'), app2, [
    ['node16', 'node16', ['consumer.ts', 'consumer-cjs.cts']],
    ['nodenext', 'nodenext', ['consumer.ts', 'consumer-cjs.cts']],
    ['esnext', 'bundler', ['consumer.ts']],
    ['commonjs', 'node10', ['consumer.ts']],
  ]);
  for (const { version, bin: node } of nodes) {
    console.log(`-- node ${version}`);
    run(node, ['consumer.mjs'], { cwd: app2 });
    run(node, ['consumer.cjs'], { cwd: app2 });
    run(node, ['consumer-msw.mjs'], { cwd: app2 });
  }

  // 2. TypeScript 7 and msw 3, what `npm i -D typescript msw` installs now. TypeScript 7 has no
  //    node10 resolution any more; msw 3 needs Node 22.12+, so it runs on the matrix versions, and
  //    so does OpenTelemetry's SDK 3 (Node 22.15+), installed here beside the optional peer.
  const otel = [
    '@opentelemetry/api',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/context-async-hooks',
  ].map((name) => `${name}@${devVersion(name)}`);
  const app3 = consumer('consumer-msw3', [`msw@${MSW3}`, `typescript@${TS7}`, ...otel]);
  compile(join(app3, 'node_modules', '.bin', 'tsc'), app3, [
    ['nodenext', 'nodenext', ['consumer.ts', 'consumer-cjs.cts']],
    ['esnext', 'bundler', ['consumer.ts']],
  ]);
  const modern = nodes.filter(({ version }) => Number(version.split('.')[0]) >= 22);
  if (modern.length === 0) console.warn('msw 3: no Node 22+ binary here, its run is skipped');
  for (const { version, bin: node } of modern) {
    console.log(`-- node ${version}, msw 3`);
    run(node, ['consumer-msw.mjs'], { cwd: app3 });
    run(node, ['consumer.cjs'], { cwd: app3 });
    // With `@opentelemetry/api` installed (an optional peer), as ESM and as CommonJS.
    run(node, ['consumer-otel.mjs'], { cwd: app3 });
    run(node, ['consumer-otel.mjs', 'cjs'], { cwd: app3 });
  }
  // 3. The docs' whole programs, as written, in a project made by `npm init -y` (CommonJS): pg-boss
  //    12 needs Node 22.12+, so they run on the first matrix version.
  if (modern.length > 0)
    await checkSnippets({
      tarball,
      node: modern[0].bin,
      tsc7: join(app3, 'node_modules', '.bin', 'tsc'),
      devVersion,
      run,
    });
  else console.warn('snippets: no Node 22+ binary here, their run is skipped');
  console.log('package check passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
