import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'sandbox/index': 'src/sandbox/index.ts',
    'sandbox/cli': 'src/sandbox/cli.ts',
    'testing/index': 'src/testing/index.ts',
    'postgres/index': 'src/postgres/index.ts',
    'fleet/index': 'src/fleet/index.ts',
    'fleet/cli': 'src/cli/fleet.ts',
    'dashboard/index': 'src/dashboard/index.ts',
  },
  format: ['esm', 'cjs'],
  // @internal members (the transport, resource constructors) stay out of the declarations users read.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
});
