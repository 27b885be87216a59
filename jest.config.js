/**
 * Tests import the package by its public names, mapped to the sources, so they see only what
 * users see. Type checking is `npm run typecheck`'s job; ts-jest only transpiles.
 * msw 2.11+ depends on packages published as ES modules only (`.mjs`): those are transpiled like our code.
 * @type {import('jest').Config}
 */
const ESM_ONLY = ['rettime', '@open-draft/deferred-promise', 'until-async'];
const tsJest = [
  'ts-jest',
  {
    tsconfig: {
      module: 'commonjs',
      moduleResolution: 'node10',
      allowJs: true,
      isolatedModules: true,
    },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': tsJest, '^.+\\.m?js$': tsJest },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper: {
    '^medfusion-patient-sdk$': '<rootDir>/src/index.ts',
    '^medfusion-patient-sdk/sandbox$': '<rootDir>/src/sandbox/index.ts',
    '^medfusion-patient-sdk/testing$': '<rootDir>/src/testing/index.ts',
    '^medfusion-patient-sdk/postgres$': '<rootDir>/src/postgres/index.ts',
    '^medfusion-patient-sdk/fleet$': '<rootDir>/src/fleet/index.ts',
    '^medfusion-patient-sdk/dashboard$': '<rootDir>/src/dashboard/index.ts',
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup/phi-audit.ts'],
  globalSetup: '<rootDir>/test/setup/postgres.global.cjs',
  globalTeardown: '<rootDir>/test/setup/postgres.teardown.cjs',
  testTimeout: 30000,
};
