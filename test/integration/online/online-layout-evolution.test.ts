// services: rest-catalog, python
/**
 * `floe apply`'s evolution of an online table an older Floe created (no sort order, no write
 * properties), as pyiceberg sees the table afterwards, on the SQL and the REST catalog: the keys
 * become the default sort order, the write properties the table lacks are set, one it sets keeps
 * its value, and nothing else changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COMPRESSION_CODEC, PAGE_VERSION, ROW_GROUP_LIMIT } from '../../../engine/write/table-writer.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import { onlineTableChange } from '../../../features/registry-store/online-evolution.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { OpsContext } from '../../support/iceberg/ops-context.js';
import { commit, createUniqueTable, dotted, restContext, sqlContext } from '../../support/iceberg/ops-context.js';

interface PyMetadata {
  metadata: {
    schemas: { 'schema-id': number; fields: { id: number; name: string }[] }[];
    'current-schema-id': number;
    'sort-orders': { 'order-id': number; fields: { 'source-id': number; transform: string; direction: string; 'null-order': string }[] }[];
    'default-sort-order-id': number;
    properties: Record<string, string>;
  };
}

const registry = new Registry([
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' }),
  defineFeatureView({
    name: 'hourly',
    entities: ['driver'],
    source: 'stats',
    online: { buckets: 4 },
    features: [{ name: 'a', type: 'double' }],
  }),
]);

for (const [label, open] of [
  ['SQL catalog', sqlContext],
  ['REST catalog', restContext],
] as const) {
  describe(`online table layout evolution on the ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('online-layout');
    });
    after(async () => {
      await context.close();
    });

    it('sorts by the keys and sets the missing write properties, keeping one the table sets', async () => {
      const layout = onlineTableLayout(registry, registry.featureView('hourly'));
      const identifier = await createUniqueTable(context, 'hourly', {
        schema: layout.schema,
        partitionSpec: layout.spec,
        properties: { [COMPRESSION_CODEC]: 'zstd' },
      });
      const before = await runPyiceberg<PyMetadata>('load_metadata', { catalog: context.oracle, identifier: dotted(identifier) });
      assert.equal(before.metadata['default-sort-order-id'], 0);

      await commit(context, identifier, onlineTableChange({ ...layout, identifier }));
      const { metadata } = await runPyiceberg<PyMetadata>('load_metadata', { catalog: context.oracle, identifier: dotted(identifier) });
      const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata['current-schema-id'])!;
      const keyId = schema.fields.find((field) => field.name === 'driver_id')!.id;
      const order = metadata['sort-orders'].find((candidate) => candidate['order-id'] === metadata['default-sort-order-id']);
      assert.notEqual(metadata['default-sort-order-id'], 0);
      assert.deepEqual(order?.fields, [{ 'source-id': keyId, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }]);
      assert.equal(metadata.properties[COMPRESSION_CODEC], 'zstd', 'a property the table sets keeps its value');
      assert.equal(metadata.properties[ROW_GROUP_LIMIT], '32768');
      assert.equal(metadata.properties[PAGE_VERSION], '2');
      assert.equal(metadata.properties['floe.online-table'], 'true');
      assert.equal(metadata.schemas.length, 1, 'the schema did not change');
      assert.equal(metadata['current-schema-id'], before.metadata['current-schema-id']);
    });
  });
}
