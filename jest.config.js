/**
 * One jest run for the whole monorepo. Unit tests need nothing; integration and end-to-end
 * tests share one local stack (emulators, provider servers, serverless-offline) that the global
 * setup starts on free ports and the global teardown stops.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  // test/chaos starts a stack of its own and kills parts of it; it runs beside the rest
  // (`pnpm test:chaos` runs it alone).
  testPathIgnorePatterns: ['/node_modules/'],
  testSequencer: '<rootDir>/test/sequencer.js',
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      { tsconfig: { ...require('./tsconfig.base.json').compilerOptions, module: 'commonjs', moduleResolution: 'node' } },
    ],
    // middy is published as ESM only; let ts-jest turn it into CommonJS.
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ['node_modules/(?!(\\.pnpm/)?@middy)'],
  setupFiles: ['<rootDir>/test/setup-env.js'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
