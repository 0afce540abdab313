// One Floe retrieval in its own process, so its peak memory is its own: prints one JSON line.
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import { getHistoricalFeatures } from '../../features/historical/get-historical-features.js';
import { Registry } from '../../features/registry.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import { featureName, FEATURES, TTL_DAYS, VIEWS } from './data.js';
import type { BenchData } from './data.js';

const { data, output, memoryLimit } = JSON.parse(process.argv[2] ?? '{}') as { data: BenchData; output: string; memoryLimit: string };
const definitions = [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  ...VIEWS.flatMap((view) => [
    defineIcebergSource({
      name: `${view}_source`,
      table: `bench.${view}`,
      timestampField: 'event_timestamp',
      createdTimestampField: 'created',
    }),
    defineFeatureView({
      name: view,
      entities: ['driver'],
      source: `${view}_source`,
      ttl: { days: TTL_DAYS },
      features: FEATURES.map((index) => ({ name: featureName(view, index), type: 'double' as const })),
    }),
  ]),
];
const catalog = await loadCatalog(data.catalogConfig);
const engine = await Engine.create({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-floe') });
try {
  const started = performance.now();
  const job = getHistoricalFeatures(
    { registry: new Registry(definitions), catalog, engine, workDirectory: path.join(data.directory, 'work') },
    {
      entities: { parquet: data.entities },
      features: VIEWS.flatMap((view) => FEATURES.map((index) => `${view}:${featureName(view, index)}`)),
    },
  );
  const written = await job.toParquet(output);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      seconds,
      rows: written.rows,
      maxRssKb: process.resourceUsage().maxRSS,
      scans: job.lastSummary?.views.map((view) => ({ view: view.featureView, dataFiles: view.dataFiles, skipped: view.dataFilesSkipped })),
    }),
  );
} finally {
  engine.close();
  await catalog.close();
}
