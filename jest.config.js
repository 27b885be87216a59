/**
 * Tests import the package by its public names, mapped to the sources, so they see only what
 * users see. Type checking is `npm run typecheck`'s job; ts-jest only transpiles.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: { module: 'commonjs', moduleResolution: 'node10', verbatimModuleSyntax: false } }],
  },
  moduleNameMapper: {
    '^medfusion-patient-sdk$': '<rootDir>/src/index.ts',
    '^medfusion-patient-sdk/sandbox$': '<rootDir>/src/sandbox/index.ts',
    '^medfusion-patient-sdk/testing$': '<rootDir>/src/testing/index.ts',
  },
  testTimeout: 30000,
};
