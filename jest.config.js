// content-disposition 3 is ES modules only and @fastify/static (behind /docs) require()s it:
// Node 20.19+ loads that natively, Jest's module loader only on Node 24.9+, so under Jest on
// Node 20 that one package is compiled to CommonJS.
const REQUIRED_ESM_PACKAGES = ['content-disposition'];

// Nest 12 ships ES modules only, and Jest loads ES modules only in its native ESM mode
// (`--experimental-vm-modules`, set by the npm scripts). Sources are compiled by SWC, which
// supports the legacy decorators and the metadata Nest's dependency injection reads.
const esm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    [`/node_modules/(${REQUIRED_ESM_PACKAGES.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${REQUIRED_ESM_PACKAGES.join('|')})/)`],
};

export default {
  // End-to-end hooks start apps, brokers and consumers; unit tests finish long before this.
  testTimeout: 120000,
  projects: [
    { ...esm, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/scripts'], testMatch: ['**/*.spec.ts'] },
    {
      ...esm,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
};
