/**
 * The compiler experience: typical mistakes, compiled with the TypeScript API against the public
 * types. Each error must name the model and the field, and stay short enough to read (< 400
 * characters). The hover of `invite.demographics` must show the model's name, not io-ts internals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { recordFigures } from './helpers/figures';

const root = join(__dirname, '..');
const HEADER = `import type { PatientInvite, Demographics } from 'medfusion-patient-sdk';\n`;
const base = `practicePatientId: 'P-1'`;

const MISTAKES: { name: string; code: string; model: RegExp; field: RegExp }[] = [
  {
    name: 'wrong gender',
    code: `const a: PatientInvite = { ${base}, demographics: { name: { firstName: 'A', lastName: 'B' }, dateOfBirth: '1990-01-01', gender: 'M', email: 'a@b.c' } };`,
    model: /Gender|Demographics/,
    field: /gender|"M"/,
  },
  {
    name: 'a Date for dateOfBirth',
    code: `const d = { name: { firstName: 'A', lastName: 'B' }, dateOfBirth: new Date(), gender: 'MALE' as const, email: 'a@b.c' };\nconst a: PatientInvite = { ${base}, demographics: d };`,
    model: /Demographics/,
    field: /dateOfBirth/,
  },
  {
    name: 'misspelled field',
    code: `const a: PatientInvite = { ${base}, demographics: { name: { firstNme: 'A', lastName: 'B' }, dateOfBirth: '1990-01-01', gender: 'MALE', email: 'a@b.c' } };`,
    model: /Name/,
    field: /firstNme/,
  },
  {
    name: 'missing e-mail',
    code: `const a: PatientInvite = { ${base}, demographics: { name: { firstName: 'A', lastName: 'B' }, dateOfBirth: '1990-01-01', gender: 'MALE' } };`,
    model: /Demographics/,
    field: /email/,
  },
  {
    name: 'nested missing last name',
    code: `const d: Demographics = { name: { firstName: 'A' }, dateOfBirth: '1990-01-01', gender: 'MALE', email: 'a@b.c' };`,
    model: /Name/,
    field: /lastName/,
  },
];

function languageService(files: Map<string, string>): ts.LanguageService {
  const config = ts.parseJsonConfigFileContent(
    JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')),
    ts.sys,
    root,
  );
  const options = { ...config.options, noEmit: true, noUnusedLocals: false };
  return ts.createLanguageService({
    getScriptFileNames: () => [...files.keys()],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => {
      const text = files.get(f) ?? ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => root,
    getCompilationSettings: () => options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: (f) => files.has(f) || ts.sys.fileExists(f),
    readFile: (f) => files.get(f) ?? ts.sys.readFile(f),
  });
}

it('typical mistakes give short errors that name the model and the field; hovers show names', () => {
  const files = new Map(
    MISTAKES.map((m, i) => [
      join(root, '.tmp', 'compiler', `mistake-${i}.ts`),
      `${HEADER}${m.code}\nexport {};\n`,
    ]),
  );
  const hoverFile = join(root, '.tmp', 'compiler', 'hover.ts');
  const hoverCode = `${HEADER}declare const invite: PatientInvite;\nexport const shown = invite.demographics;\n`;
  files.set(hoverFile, hoverCode);
  const service = languageService(files);

  const lengths: Record<string, number> = {};
  MISTAKES.forEach((m, i) => {
    const file = join(root, '.tmp', 'compiler', `mistake-${i}.ts`);
    // What tsc prints and editors show: the message and its related information ("The expected
    // type comes from property 'gender' which is declared here on type 'Demographics'").
    const errors = service
      .getSemanticDiagnostics(file)
      .map((d) =>
        [d.messageText, ...(d.relatedInformation ?? []).map((r) => r.messageText)]
          .map((text) => ts.flattenDiagnosticMessageText(text, '\n'))
          .join('\n'),
      );

    expect([m.name, errors.length > 0]).toEqual([m.name, true]);
    const message = errors.join('\n');
    lengths[m.name] = message.length;
    expect([m.name, message]).toEqual([m.name, expect.stringMatching(m.model)]);
    expect([m.name, message]).toEqual([m.name, expect.stringMatching(m.field)]);
    expect([m.name, message.length]).toEqual([m.name, expect.any(Number)]);
    expect(message.length).toBeLessThan(400);
  });

  const at = hoverCode.lastIndexOf('demographics') + 1;
  const hover = ts.displayPartsToString(
    service.getQuickInfoAtPosition(hoverFile, at)?.displayParts,
  );
  expect(hover).toBe('(property) PatientInvite.demographics: Demographics');
  recordFigures('compiler-experience', {
    hoverLength: hover.length,
    worstErrorLength: Math.max(...Object.values(lengths)),
    ...lengths,
  });
}, 60_000);
