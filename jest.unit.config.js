/**
 * `pnpm test:unit`: every stack-free test (fixtures and in-memory fakes from @ai-multi-comms/testing,
 * provider twins started in-process), no local stack, fuzzing at a tenth of its runs. The quick
 * loop while working; the README's test command (jest.config.js) still runs everything.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/packages/*/test/*.test.ts',
    '<rootDir>/services/*/test/*.test.ts',
    '<rootDir>/services/*/test/unit/**/*.test.ts',
    '<rootDir>/test/ai/**/*.test.ts',
    '<rootDir>/test/architecture/**/*.test.ts',
    '<rootDir>/test/conformance/**/*.test.ts',
    '<rootDir>/test/contract/**/*.test.ts',
  ],
  globalSetup: undefined,
  globalTeardown: undefined,
  testSequencer: undefined,
  reporters: ['default'],
};
