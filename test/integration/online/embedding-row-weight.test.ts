// services: none
/**
 * A held row of a 768-float embedding weighs what it takes in memory (issue #54): in its Parquet file
 * a dictionary-encoded embedding takes ~240 bytes, once decoded 768 doubles (~6 KB), so the row
 * cache must weigh it by the file's value counts. Weighed by its bytes, a table of 1M embeddings
 * was held whole and filled a 4 GB heap. Here a file of 2,000 embeddings is read by key from a
 * cache too small to hold it (and would be held if weighed by its bytes), and held by a larger one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import type { OpsContext } from '../../support/iceberg/ops-context.js';
import { sqlContext } from '../../support/iceberg/ops-context.js';

const KEYS = 2_000;
const DIMENSIONS = 768;
const EVENT_SECONDS = Date.parse('2024-06-01T00:00:00Z') / 1000;
const element = (key: number, index: number): number => Math.fround((((key * 31 + index) % 2000) - 1000) / 1000);

let context: OpsContext;
let registry: Registry;

before(async () => {
  context = await sqlContext('embedding-weight');
  registry = new Registry([
    defineEntity({ name: 'user', joinKeys: [{ name: 'user_id', type: 'long' }] }),
    defineIcebergSource({ name: 'users', table: `${context.namespace}.users`, timestampField: 'event_timestamp' }),
    defineFeatureView({
      name: 'user_embedding',
      entities: ['user'],
      source: 'users',
      features: [{ name: 'embedding', type: 'list<float>' }],
      online: { table: `${context.namespace}.user_embedding_online`, buckets: 1 },
    }),
  ]);
  const layout = onlineTableLayout(registry, registry.featureView('user_embedding'));
  await ensureOnlineTable(context.catalog, layout);
  await appendQuery({
    catalog: context.catalog,
    engine: context.engine,
    workDirectory: join(context.dir, 'work'),
    identifier: layout.identifier,
    query: `
      SELECT e::BIGINT AS user_id,
             list_transform(range(${DIMENSIONS}), i -> ((((e * 31 + i) % 2000) - 1000) / 1000.0)::FLOAT) AS embedding,
             to_timestamp(${EVENT_SECONDS}) AS event_ts, to_timestamp(${EVENT_SECONDS}) AS created_ts,
             to_timestamp(${EVENT_SECONDS}) AS materialized_at
      FROM range(1, ${KEYS + 1}) AS r(e)`,
  });
});
after(async () => {
  await context.close();
});

async function readSome(maxCachedRows: number): Promise<OnlineStore> {
  const store = new OnlineStore({
    registry,
    catalog: context.catalog,
    engine: context.engine,
    maxCachedRows,
    clock: () => EVENT_SECONDS * 1000,
  });
  for (const key of [1, 999, KEYS]) {
    const response = await store.getOnlineFeatures({ features: ['user_embedding:embedding'], entityRows: [{ user_id: key }] });
    const values = response.features[0]!.values[0] as readonly number[];
    assert.equal(values.length, DIMENSIONS);
    assert.deepEqual([values[0], values[DIMENSIONS - 1]], [element(key, 0), element(key, DIMENSIONS - 1)]);
  }
  return store;
}

test('a file of embeddings too heavy for the row cache is read by key, not held whole', async () => {
  // A quarter of 100,000 is 25,000: 2,000 rows weighed by their ~240 file bytes each (1) fit; weighed as 768 doubles (24 each, 48,000) do not.
  const store = await readSome(100_000);
  assert.deepEqual(store.stats().rowCache.files, 0);
});

test('a cache large enough holds the file, weighing each embedding as 24 narrow rows', async () => {
  const store = await readSome(400_000);
  assert.deepEqual(store.stats().rowCache, { files: 1, rows: KEYS * 24, hits: 2, loads: 1 });
});
