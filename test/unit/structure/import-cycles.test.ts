// No import cycles between the files of the product code (issue #11): a cycle makes module
// initialisation order matter and blurs which layer owns what.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findImportCycles } from '../../support/import-cycles.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PRODUCT_FOLDERS = [
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
  'scripts',
  'bench',
];

test('the product code has no import cycle', async () => {
  const cycles = await findImportCycles(repoRoot, PRODUCT_FOLDERS);
  assert.deepEqual(
    cycles.map((cycle) => cycle.join(' → ')),
    [],
    'import cycles: break each by moving what both sides need into a module of its own (contracts/ for what workflows share)',
  );
});

test('a planted cycle is found and named, type-only imports included, and a file off it is not', async () => {
  const cycles = await findImportCycles(repoRoot, ['test/unit/structure/fixtures/cycle']);
  assert.deepEqual(cycles, [
    [
      'test/unit/structure/fixtures/cycle/index.ts',
      'test/unit/structure/fixtures/cycle/summary.ts',
      'test/unit/structure/fixtures/cycle/index.ts',
    ],
  ]);
});
