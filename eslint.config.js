// Lint for the whole tree, the rules on which folder may import which, and the rules that keep
// workflow code deterministic.
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

// Which folder may import which (README, "How the code is laid out"). Imports between Floe's
// folders are relative, so a folder is matched as a relative path that climbs out and into it.
const intoFolders = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const TEMPORAL_SIDE = ['workflows', 'activities', 'workers', 'client', 'cli'];
const IO_PACKAGES = ['@duckdb/*', '@aws-sdk/*', 'better-sqlite3', 'pg'];
const LIBRARY_PATTERNS = [
  {
    group: ['@temporalio/*'],
    message: 'The library does not use Temporal: Temporal code lives in activities/, workflows/, client/ and workers/.',
  },
  {
    regex: intoFolders(TEMPORAL_SIDE),
    message:
      'The library may not import the Temporal side (workflows, activities, workers, client, cli); shared pure code lives in contracts/.',
  },
];

// The library's layers, lowest first: each may import those below it, never one above (core/ holds
// what every layer shares; the feature server sits on features/).
const LIBRARY_LAYERS = ['core', 'iceberg', 'engine', 'features', 'server'];
const upwardImports = (layer) => {
  const above = LIBRARY_LAYERS.slice(LIBRARY_LAYERS.indexOf(layer) + 1);
  return [
    {
      regex: intoFolders(above),
      message: `${layer}/ sits below ${above.map((folder) => `${folder}/`).join(', ')}: the library's imports run features → engine → iceberg → core, never back up; move what both need down.`,
    },
  ];
};
const libraryImportRules = (layer, patterns = []) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...LIBRARY_PATTERNS, ...upwardImports(layer), ...patterns] }],
});

// Inside features/, each room imports only the rooms named here (issue #59): the definitions (the
// files at features/ itself) sit below every room, and the online table's format (online-table/)
// below the rooms that read or write it. The façades at features/ compose rooms and sit above them.
const FEATURE_ROOMS = {
  'online-table': [],
  online: ['online-table'],
  push: ['online-table'],
  stream: ['online-table', 'push'],
  materialize: ['online-table'],
  compaction: ['online-table'],
  'registry-store': ['online-table'],
  historical: [],
  'training-set': ['historical'],
  'table-load': ['historical'],
  import: [],
  consistency: ['online-table', 'online', 'compaction', 'historical'],
};
const FEATURE_FACADES = ['feature-store.ts', 'runtime.ts', 'table-upgrade.ts'];
const roomImports = (room) => {
  const refused = Object.keys(FEATURE_ROOMS).filter((other) => other !== room && !FEATURE_ROOMS[room].includes(other));
  return [
    {
      regex: `^(\\.\\./)+(${refused.join('|')})/`,
      message: `features/${room}/ may import only ${FEATURE_ROOMS[room].map((other) => `${other}/`).join(', ') || 'the definitions'} among features/' rooms (eslint.config.js, FEATURE_ROOMS): no arrow runs back up; move what both need down.`,
    },
  ];
};

// Code that workflows run is replayed, so it must be deterministic.
const deterministicRules = {
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
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'No clocks in workflows: new Date() needs an explicit time.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.floe/**', 'tmp/**', 'test/replay/histories/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // The library (and the feature server on it) knows nothing of Temporal: the Temporal side
  // (workflows, activities, workers, client, cli) imports it, never the reverse. Inside it, no
  // import runs from a lower layer to a higher one.
  ...LIBRARY_LAYERS.map((layer) => ({
    files: [`${layer}/**/*.ts`],
    rules: libraryImportRules(layer),
  })),
  {
    // Inside iceberg/, the catalogs sit on the update vocabulary (table-updates/) and the commit
    // loop sits on both: no arrow runs back up.
    files: ['iceberg/catalog/**/*.ts'],
    rules: libraryImportRules('iceberg', [
      {
        regex: '^\\.\\./commit/',
        message: 'The catalogs and the update vocabulary sit below the commit loop (iceberg/commit/), which imports them.',
      },
    ]),
  },
  {
    files: ['iceberg/table-updates/**/*.ts'],
    rules: libraryImportRules('iceberg', [
      {
        regex: '^\\.\\./(commit|catalog)/',
        message: 'The update vocabulary (table-updates/) sits below the catalogs and the commit loop, which import it.',
      },
    ]),
  },
  {
    files: ['features/*.ts'],
    ignores: FEATURE_FACADES.map((file) => `features/${file}`),
    rules: libraryImportRules('features', [
      {
        regex: `^\\./(${Object.keys(FEATURE_ROOMS).join('|')})/`,
        message: "The definitions (features/'s own files) sit below every room of features/: a room imports them, never the reverse.",
      },
    ]),
  },
  ...Object.keys(FEATURE_ROOMS).map((room) => ({
    files: [`features/${room}/**/*.ts`],
    rules: libraryImportRules('features', roomImports(room)),
  })),
  {
    // No product file over 400 lines and no function over 100 (issue #45): past that, split by job.
    files: [
      'public',
      'bin',
      'contracts',
      'core',
      'iceberg',
      'engine',
      'features',
      'server',
      'client',
      'activities',
      'workflows',
      'workers',
      'cli',
    ].map((folder) => `${folder}/**/*.{ts,js}`),
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 100 }],
    },
  },
  {
    // contracts/ is shared by workflows (replayed), activities, the library and the CLI: pure code
    // that imports nothing of Floe outside contracts/ and no Node built-in or Temporal value.
    files: ['contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            allowTypeImports: true,
            message: 'contracts/ is pure: no Node built-ins (types only).',
          })),
          patterns: [
            {
              regex: '^\\.\\./',
              message: 'contracts/ imports nothing of Floe outside contracts/: move the type or function into contracts/.',
            },
            { group: ['@temporalio/*'], allowTypeImports: true, message: 'contracts/ may only `import type` from Temporal.' },
            { group: IO_PACKAGES, message: 'contracts/ is pure: no I/O.' },
          ],
        },
      ],
      ...deterministicRules,
    },
  },
  {
    // Workflow code is replayed: it may only be deterministic. Temporal's sandbox makes Date and
    // Math.random replay-safe, but we ban them anyway so intent is explicit (use workflow time and
    // uuid4 from @temporalio/workflow), ban every Node built-in, any Floe code but contracts/, and
    // any value import of activities (they must be called through proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows are replayed: no Node built-ins.' })),
          patterns: [
            {
              group: ['../activities/*', '../activities', '../activities/**'],
              allowTypeImports: true,
              message: 'Workflows may only `import type` activities and call them through proxyActivities.',
            },
            {
              regex: '^(\\.\\./)+(?!contracts/|activities/)',
              message: 'Workflows import only contracts/ (and `import type` from activities/): call an activity for I/O.',
            },
            { group: IO_PACKAGES, message: 'Workflows do no I/O: call an activity.' },
            {
              group: ['@temporalio/*', '!@temporalio/workflow', '!@temporalio/common'],
              message: 'Workflows use @temporalio/workflow only.',
            },
          ],
        },
      ],
      ...deterministicRules,
    },
  },
  {
    // The web UI's own modules run in the browser (served as they are, no build step).
    files: ['server/ui/static/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        window: 'readonly',
        location: 'readonly',
        sessionStorage: 'readonly',
      },
    },
  },
);
