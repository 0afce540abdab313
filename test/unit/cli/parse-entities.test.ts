// `floe get-online --entity`: one entity row per position of the comma-separated values; a JSON
// array (a list request field's value) is one value, its commas inside brackets or quotes kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEntities } from '../../../cli/commands/get-online.js';
import { FloeError } from '../../../core/errors.js';

test('values split at top-level commas; a JSON array, commas in its strings included, is one value', () => {
  assert.deepEqual(parseEntities(['driver_id=1001, 1002', 'query=[0.1,0.2],[0.3, null]']), [
    { driver_id: '1001', query: '[0.1,0.2]' },
    { driver_id: '1002', query: '[0.3, null]' },
  ]);
  assert.deepEqual(parseEntities(['tags=["a,b","c\\"]"],[]']), [{ tags: '["a,b","c\\"]"]' }, { tags: '[]' }]);
});

test('uneven columns and a spec without a value are refused naming --entity', () => {
  const refused = (specs: string[], message: RegExp) =>
    assert.throws(
      () => parseEntities(specs),
      (error: unknown) => FloeError.is(error, 'invalid-input') && message.test(error.message),
    );
  refused(['driver_id=1001,1002', 'query=[1,2]'], /Every --entity needs as many values: driver_id has 2, query has 1/);
  refused(['driver_id='], /--entity "driver_id=" must look like key=value/);
});
