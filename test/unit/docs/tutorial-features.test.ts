// docs/tutorial.md's additions to features.ts, pasted in order into the features.ts `floe init` writes
// exactly as the page says (names added to the import line where it asks), compile as one file: a
// block that repeated an import the file has (TS2300, duplicate identifier) or needed a name nobody
// imported would fail here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyDefinitionsEdit, definitionsEdits } from '../../support/tutorial-definitions.js';
import { typeCheck } from '../../support/type-check-blocks.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const initFeatures = readFileSync(path.join(root, 'examples', 'init-template', 'features.ts.template'), 'utf8');
const edits = definitionsEdits(root, 'docs/tutorial.md');

test('the tutorial adds an aggregated view and a push source to features.ts, with definePushSource imported', () => {
  assert.deepEqual(
    edits.map((edit) => [/export const (\w+)/.exec(edit.block.code)?.[1], edit.imports]),
    [
      ['driverActivity', []],
      ['driverPush', ['definePushSource']],
    ],
  );
});

test('features.ts with every addition compiles; the old way (each block importing again) fails the check', () => {
  const followed = edits.reduce(applyDefinitionsEdit, initFeatures);
  const repeatingImports = edits.reduce(
    (text, edit) =>
      applyDefinitionsEdit(text, {
        block: { ...edit.block, code: `import { defineFeatureView } from 'floe';\n${edit.block.code}` },
        imports: edit.imports,
      }),
    initFeatures,
  );
  const withoutImport = edits.reduce((text, edit) => applyDefinitionsEdit(text, { ...edit, imports: [] }), initFeatures);
  const results = typeCheck([
    { name: 'tutorial-features', code: followed },
    { name: 'tutorial-features-repeating-imports', code: repeatingImports },
    { name: 'tutorial-features-without-import', code: withoutImport },
  ]);
  assert.deepEqual(results.get('tutorial-features'), [], followed);
  assert.equal(results.get('tutorial-features-repeating-imports')!.filter((message) => message.endsWith('(TS2300)')).length, 3);
  assert.match(results.get('tutorial-features-without-import')!.join('\n'), /Cannot find name 'definePushSource'/);
});
