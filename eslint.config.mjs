// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Orchestrator code is replayed: anything that reads the clock, the environment, randomness or the outside
// world would give a different answer on replay. These rules make that impossible to write by accident.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
export const orchestratorRules = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'Orchestrators must not do I/O: move this into an activity.',
      })),
      patterns: [
        {
          group: ['@azure/*', '!@azure/functions'],
          message: 'Orchestrators must not call Azure SDKs: move this into an activity.',
        },
      ],
    },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' },
    {
      object: 'Math',
      property: 'random',
      message: 'Draw randomness in an activity or derive it from the drill id.',
    },
    { object: 'process', property: 'env', message: 'Read configuration in an activity or pass it as input.' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'new Date() reads the wall clock: use context.df.currentUtcDateTime.',
    },
    {
      selector: "CallExpression[callee.name='Date'][arguments.length=0]",
      message: 'Date() reads the wall clock: use context.df.currentUtcDateTime.',
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use a durable timer (context.df.createTimer).' },
    { name: 'setInterval', message: 'Use a durable timer (context.df.createTimer).' },
    { name: 'setImmediate', message: 'Orchestrators must not schedule work outside the replay engine.' },
    { name: 'fetch', message: 'Orchestrators must not do I/O: move this into an activity.' },
    { name: 'process', message: 'Orchestrators must not read the process: pass what you need as input.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'reference/**', 'src/lib/types/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests poke at untyped internals (durable-functions deep imports, raw JSON fixtures).
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/orchestrators/**/*.ts'],
    rules: orchestratorRules,
  },
);
