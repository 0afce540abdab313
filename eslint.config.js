// Lint for the whole tree, plus the rules that keep workflow code deterministic.
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.floe/**', 'tmp/**', 'test/replay/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', structuredClone: 'readonly', performance: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Workflow code is replayed: it may only be deterministic. Temporal's sandbox makes Date and
    // Math.random replay-safe, but we ban them anyway so intent is explicit (use workflow time and
    // uuid4 from @temporalio/workflow), and ban every Node built-in and any value import of
    // activities (they must be called through proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows are replayed: no Node built-ins.' })),
          patterns: [
            { group: ['../activities/*', '../activities', '../activities/**'], allowTypeImports: true, message: 'Workflows may only `import type` activities and call them through proxyActivities.' },
            { group: ['../iceberg/**', '../engine/**', '../features/**', '../workers/**', '../cli/**', '@duckdb/*', '@aws-sdk/*', 'better-sqlite3', 'pg'], allowTypeImports: true, message: 'Workflows do no I/O: call an activity.' },
            { group: ['@temporalio/*', '!@temporalio/workflow', '!@temporalio/common'], message: 'Workflows use @temporalio/workflow only.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Workflows are replayed: no process state.' },
        { name: 'Buffer', message: 'Workflows are replayed: no Node built-ins.' },
        { name: 'fetch', message: 'Workflows do no I/O: call an activity.' },
        { name: 'setInterval', message: 'Use sleep() or condition() from @temporalio/workflow.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'No clocks in workflows: use workflowInfo() times or pass time in.' },
        { object: 'Math', property: 'random', message: 'No randomness in workflows: use uuid4() from @temporalio/workflow.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No clocks in workflows: new Date() needs an explicit time.' },
      ],
    },
  },
);
