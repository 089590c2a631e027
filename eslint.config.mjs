// Type-aware lint (typescript-eslint's type-checked set): in a queue worker a promise nobody
// awaits is lost work, and a switch that misses a case is an outcome nobody decided.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PROMISE_RULES = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/generated/**',
      '**/.serverless/**',
      '**/.esbuild/**',
      'test/conformance/vendor/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  // The code that runs: the whole type-checked set.
  {
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    ignores: ['packages/testing/**'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    rules: {
      ...PROMISE_RULES,
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // An async function that implements a Promise-returning interface (a fake, a repository
      // method with nothing to await yet) reads better than Promise.resolve wrapping; what matters,
      // a promise left unawaited, is no-floating-promises' job.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  // Tests and their helpers read untyped JSON on purpose (what the API answered): there the rules that lose work.
  {
    files: ['**/test/**/*.ts', 'test/**/*.ts', 'packages/testing/**/*.ts'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: { parser: tseslint.parser },
    rules: PROMISE_RULES,
  },
);
