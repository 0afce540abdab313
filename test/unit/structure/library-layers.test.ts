// Inside the library, imports run features → engine → iceberg → core and never back up (issue #45),
// and the feature server sits on features; inside features/, rooms import only the rooms below them
// (issue #59). Lint refuses a planted upward import, type-only ones included, and lets the same kind
// of import through downward.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const eslint = new ESLint({ cwd: repoRoot });

/** The restricted-import messages lint gives a file at `file` (which need not exist) importing `specifier`. */
async function importRefusals(file: string, specifier: string, typeOnly = false): Promise<string[]> {
  const code = typeOnly
    ? `import type { Planted } from '${specifier}';\nexport type Used = Planted;\n`
    : `import { planted } from '${specifier}';\nexport const used = planted;\n`;
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return result!.messages
    .filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((message) => message.message);
}

describe('the direction of imports inside the library', () => {
  const upward: readonly (readonly [string, string])[] = [
    ['core/planted.ts', '../iceberg/spec/types.js'],
    ['core/planted.ts', '../features/config.js'],
    ['iceberg/spec/planted.ts', '../../engine/sql.js'],
    ['iceberg/catalog/planted.ts', '../../features/config.js'],
    ['iceberg/table-updates/planted.ts', '../../engine/sql.js'],
    ['engine/planted.ts', '../features/definitions.js'],
    ['features/online/planted.ts', '../../server/feature-server.js'],
  ];
  for (const [file, specifier] of upward) {
    it(`refuses ${file} importing ${specifier}`, async () => {
      const refusals = await importRefusals(file, specifier);
      assert.equal(refusals.length, 1, `lint let ${file} import ${specifier}`);
      assert.match(refusals[0]!, /sits below .*never back up/);
    });
  }

  it('refuses an upward type-only import too', async () => {
    const refusals = await importRefusals('engine/planted.ts', '../features/definitions.js', true);
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /engine\/ sits below features\/, server\//);
  });

  const downward: readonly (readonly [string, string])[] = [
    ['server/planted.ts', '../features/config.js'],
    ['features/online/planted.ts', '../../engine/sql.js'],
    ['features/planted.ts', '../iceberg/spec/types.js'],
    ['engine/planted.ts', '../iceberg/spec/types.js'],
    ['iceberg/spec/planted.ts', '../../core/planted.js'],
    ['core/planted.ts', '../contracts/error-kinds.js'],
    ['iceberg/catalog/planted.ts', '../table-updates/updates.js'],
  ];
  for (const [file, specifier] of downward) {
    it(`lets ${file} import ${specifier}`, async () => {
      assert.deepEqual(await importRefusals(file, specifier), []);
    });
  }

  it('still refuses the Temporal side in the library', async () => {
    const refusals = await importRefusals('engine/planted.ts', '../workers/worker.js');
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /may not import the Temporal side/);
  });
});

describe('the direction of imports between the rooms of features/', () => {
  const upward: readonly (readonly [string, string, RegExp])[] = [
    ['features/planted.ts', './online/online-store.js', /definitions .* sit below every room/],
    ['features/planted.ts', './online-table/layout.js', /definitions .* sit below every room/],
    ['features/online-table/planted.ts', '../online/online-store.js', /features\/online-table\/ may import only the definitions/],
    ['features/online/planted.ts', '../push/pusher.js', /features\/online\/ may import only online-table\//],
    ['features/push/planted.ts', '../stream/stream-commit.js', /features\/push\/ may import only online-table\//],
    ['features/historical/planted.ts', '../training-set/request.js', /features\/historical\/ may import only the definitions/],
  ];
  for (const [file, specifier, message] of upward) {
    it(`refuses ${file} importing ${specifier}`, async () => {
      const refusals = await importRefusals(file, specifier, true);
      assert.equal(refusals.length, 1, `lint let ${file} import ${specifier}`);
      assert.match(refusals[0]!, message);
    });
  }

  const allowed: readonly (readonly [string, string])[] = [
    ['features/online/planted.ts', '../online-table/table-state.js'],
    ['features/stream/planted.ts', '../push/pusher.js'],
    ['features/online-table/planted.ts', '../definitions.js'],
    ['features/feature-store.ts', './online/online-store.js'],
    ['features/consistency/planted.ts', '../online/online-store.js'],
  ];
  for (const [file, specifier] of allowed) {
    it(`lets ${file} import ${specifier}`, async () => {
      assert.deepEqual(await importRefusals(file, specifier), []);
    });
  }
});
