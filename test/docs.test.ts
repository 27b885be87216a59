/**
 * Every TypeScript snippet in the README and the guides compiles against the package's public
 * types, so that what users copy works.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..');
const docs = [
  'README.md',
  'examples/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function snippets(): { name: string; code: string }[] {
  return docs.flatMap((file) =>
    [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({
      name: join(root, '.tmp', 'snippets', `${file.replace(/[/.]/g, '_')}_${i}.ts`),
      // Each snippet is a module of its own (top-level await, no clashes between snippets).
      code: `${m[1] ?? ''}\nexport {};\n`,
    })),
  );
}

it('README and docs snippets type-check', () => {
  const files = snippets();
  expect(files.length).toBeGreaterThan(20);
  const config = ts.parseJsonConfigFileContent(
    JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')),
    ts.sys,
    root,
  );
  const sources = new Map(files.map((f) => [f.name, f.code]));
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => sources.get(name) ?? read(name);
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => sources.has(name) || exists(name);
  const program = ts.createProgram(
    [...sources.keys()],
    {
      ...config.options,
      noEmit: true,
      // A snippet may declare what it shows and not use it.
      noUnusedLocals: false,
      noUnusedParameters: false,
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
    },
    host,
  );
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && sources.has(d.file.fileName))
    .map(
      (d) =>
        `${d.file?.fileName.split('snippets/')[1]}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  expect(problems).toEqual([]);
}, 60_000);
