/**
 * The online read of an embedding (issue #54): a view whose one feature is a `list<float>` of
 * EMBEDDING_DIMENSIONS floats, its online table written in one append (as compaction leaves it)
 * for `entities` keys in no key order, then read one key a request through the library
 * (OnlineStore, with the on-disk row store `floe serve` gives it), one after another, as a model
 * server asks for one user's embedding. Timed once the row store holds the table's large files, as
 * a server running for more than the first minutes after a compaction has them. Every answer is
 * checked to be the key's own 768 floats.
 */
import path from 'node:path';
import { appendQuery } from '../../engine/write/append-query.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import { OnlineStore } from '../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../features/online-table/layout.js';
import { Registry } from '../../features/registry.js';
import type { BuildContext } from './dataset.js';
import { keysFor, round, sequential } from './measure.js';
import type { LatencyFigures } from './measure.js';

export const EMBEDDING_DIMENSIONS = 768;
const VIEW = 'driver_embedding';
const BASE_SECONDS = Date.parse('2024-06-01T00:00:00Z') / 1000;

export interface EmbeddingFigures extends LatencyFigures {
  readonly entities: number;
  readonly dimensions: number;
  readonly build_s: number;
  /** How long the row store took to hold the table's files too large for memory. */
  readonly row_store_s: number;
  /** The reading process's V8 heap after the timed reads (the row cache is in it), after a collection when exposed. */
  readonly heap_mb: number;
}

/** Entity e's embedding: element i is ((e × 31 + i) mod 2000 − 1000) / 1000, as a float holds it. */
function element(entity: number, index: number): number {
  return Math.fround((((entity * 31 + index) % 2000) - 1000) / 1000);
}

export async function measureEmbeddingReads(
  context: BuildContext,
  options: { table: string; entities: number; buckets: number; maxRequests: number; maxMs: number },
): Promise<EmbeddingFigures> {
  const registry = new Registry([
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'embeddings', table: 'bench_source.embeddings', timestampField: 'event_timestamp' }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'embeddings',
      features: [{ name: 'embedding', type: 'list<float>' }],
      online: { table: options.table, buckets: options.buckets },
    }),
  ]);
  const layout = onlineTableLayout(registry, registry.featureView(VIEW));
  const started = performance.now();
  await ensureOnlineTable(context.catalog, layout);
  await appendQuery({
    ...context,
    identifier: layout.identifier,
    query: `
      SELECT e::BIGINT AS driver_id,
             list_transform(range(${EMBEDDING_DIMENSIONS}), i -> ((((e * 31 + i) % 2000) - 1000) / 1000.0)::FLOAT) AS embedding,
             to_timestamp(${BASE_SECONDS} + e % 60) AS event_ts,
             to_timestamp(${BASE_SECONDS} + e % 60 + 60) AS created_ts,
             to_timestamp(${BASE_SECONDS} + 7200) AS materialized_at
      FROM range(1, ${options.entities + 1}) AS r(e)
      ORDER BY hash(e, 'arrival')`,
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const store = new OnlineStore({
    registry,
    catalog: context.catalog,
    engine: context.engine,
    refreshIntervalMs: 60_000,
    rowStoreDirectory: path.join(context.workDirectory, 'online-rows'),
  });
  const read = async (index: number): Promise<void> => {
    const [key] = keysFor(index, 1, options.entities) as [number];
    const response = await store.getOnlineFeatures({ features: [`${VIEW}:embedding`], entityRows: [{ driver_id: key }] });
    const values = response.features[0]!.values[0] as readonly number[] | null;
    if (
      values?.length !== EMBEDDING_DIMENSIONS ||
      values[0] !== element(key, 0) ||
      values.at(-1) !== element(key, EMBEDDING_DIMENSIONS - 1)
    )
      throw new Error(`The embedding of driver ${key} read back as ${JSON.stringify(values?.slice(0, 3))}…, not its own values`);
  };
  try {
    const storing = performance.now();
    await read(0); // the table's metadata, and the row store starts on its large files
    await store.rowStoreIdle();
    const rowStoreSeconds = (performance.now() - storing) / 1000;
    await sequential(read, { maxRequests: 50, maxMs: 60_000 }); // warm-up
    const figures = await sequential((index) => read(index + 1_000), { maxRequests: options.maxRequests, maxMs: options.maxMs });
    globalThis.gc?.();
    return {
      ...figures,
      entities: options.entities,
      dimensions: EMBEDDING_DIMENSIONS,
      build_s: round(buildSeconds),
      row_store_s: round(rowStoreSeconds),
      heap_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
  } finally {
    store.close();
  }
}
