import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import orion from './tools/lint/orion-plugin.js';

// Determinism rules 1-3 of ARCHITECTURE.md: the simulation path reads only virtual time and
// seeded streams, and runs as one synchronous loop.
const wallTime = 'wall time breaks determinism: read virtual time from the engine';
const realRandom = 'real randomness breaks determinism: use a named RNG stream (engine.rng.get(name))';
const realTimer = 'real timers break determinism: schedule on the engine';
const determinism = {
  'no-restricted-globals': ['error',
    { name: 'Date', message: wallTime },
    { name: 'performance', message: wallTime },
    { name: 'setTimeout', message: realTimer },
    { name: 'setInterval', message: realTimer },
    { name: 'setImmediate', message: realTimer },
    { name: 'queueMicrotask', message: realTimer },
    { name: 'Promise', message: 'the simulation is one synchronous loop: no Promises' },
  ],
  'no-restricted-properties': ['error',
    { object: 'Math', property: 'random', message: realRandom },
    { object: 'Date', property: 'now', message: wallTime },
    { object: 'performance', property: 'now', message: wallTime },
    { object: 'process', property: 'hrtime', message: wallTime },
    { object: 'crypto', property: 'randomBytes', message: realRandom },
    { object: 'crypto', property: 'randomUUID', message: realRandom },
    { object: 'globalThis', property: 'setTimeout', message: realTimer },
  ],
  'no-restricted-imports': ['error', {
    paths: [
      { name: 'node:timers', message: realTimer },
      { name: 'timers', message: realTimer },
      { name: 'node:timers/promises', message: realTimer },
      { name: 'node:perf_hooks', message: wallTime },
      { name: 'node:crypto', importNames: ['randomBytes', 'randomUUID', 'randomInt', 'getRandomValues'], message: realRandom },
    ],
  }],
  'no-restricted-syntax': ['error',
    { selector: ':function[async=true]', message: 'the simulation is one synchronous loop: no async functions' },
    { selector: 'AwaitExpression', message: 'the simulation is one synchronous loop: no await' },
    { selector: "NewExpression[callee.name='Date']", message: wallTime },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { orion },
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      'orion/layer-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['hw-sim/**/*.ts', 'kernel/**/*.ts', 'drivers/**/*.ts', 'scenarios/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: determinism,
  },
);
