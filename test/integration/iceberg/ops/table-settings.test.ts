// services: rest-catalog, python
/**
 * Create-table options and table properties made by Floe, as pyiceberg sees them: a sort order and
 * properties given at creation are in the metadata (SQL and REST catalogs), set / remove properties
 * change exactly what they name, and reserved properties are refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { removeProperties, setProperties } from '../../../../iceberg/write/properties.js';
import { runPyiceberg } from '../../../support/pyiceberg.js';
import type { OpsContext } from '../../../support/iceberg/ops-context.js';
import { commit, createUniqueTable, dotted, load, restContext, sqlContext } from '../../../support/iceberg/ops-context.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 10, name: 'id', required: true, type: 'long' },
    { id: 20, name: 'ts', required: false, type: 'timestamptz' },
  ],
};

interface PyMetadata {
  metadata: {
    'sort-orders': { 'order-id': number; fields: { 'source-id': number; transform: string; direction: string; 'null-order': string }[] }[];
    'default-sort-order-id': number;
    properties: Record<string, string>;
  };
}

for (const [label, open] of [
  ['SQL catalog', sqlContext],
  ['REST catalog', restContext],
] as const) {
  describe(`table settings on the ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('settings');
    });
    after(async () => {
      await context.close();
    });

    it('a sort order and properties given at creation are written; set and remove properties change only what they name', async () => {
      const identifier = await createUniqueTable(context, 'sorted', {
        schema: SCHEMA,
        sortOrder: {
          orderId: 1,
          fields: [
            { sourceId: 20, transform: 'day', direction: 'desc', nullOrder: 'nulls-last' },
            { sourceId: 10, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' },
          ],
        },
        properties: { 'write.delete.mode': 'merge-on-read', owner: 'floe' },
      });
      const created = await runPyiceberg<PyMetadata>('load_metadata', { catalog: context.oracle, identifier: dotted(identifier) });
      const order = created.metadata['sort-orders'].find(
        (candidate) => candidate['order-id'] === created.metadata['default-sort-order-id'],
      );
      // Column ids are assigned afresh at creation (ts is 2, id is 1); the order follows them.
      assert.deepEqual(order?.fields, [
        { 'source-id': 2, transform: 'day', direction: 'desc', 'null-order': 'nulls-last' },
        { 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' },
      ]);
      assert.equal(created.metadata.properties['write.delete.mode'], 'merge-on-read');
      assert.equal(created.metadata.properties.owner, 'floe');

      await commit(context, identifier, setProperties({ owner: 'team-a', 'commit.retry.num-retries': '7' }));
      await commit(context, identifier, removeProperties(['write.delete.mode', 'not-there']));
      const changed = await runPyiceberg<PyMetadata>('load_metadata', { catalog: context.oracle, identifier: dotted(identifier) });
      assert.equal(changed.metadata.properties.owner, 'team-a');
      assert.equal(changed.metadata.properties['commit.retry.num-retries'], '7');
      assert.equal(changed.metadata.properties['write.delete.mode'], undefined);
      const table = await load(context, identifier);
      const before = table.metadataLocation;
      // Removing only absent properties changes nothing and writes no metadata.
      await commit(context, identifier, removeProperties(['not-there']));
      assert.equal((await load(context, identifier)).metadataLocation, before);
    });
  });
}

describe('reserved properties', () => {
  it('are refused with a clear error', () => {
    assert.throws(
      () => setProperties({ 'format-version': '3' }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /reserved.*upgrade the format version/.test(error.message),
    );
    assert.throws(
      () => removeProperties(['current-snapshot-id']),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /reserved/.test(error.message),
    );
    assert.throws(
      () => setProperties({ '': 'x' }),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
  });
});
