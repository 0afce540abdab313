// One Floe retrieval of the aggregated view in its own process, so its peak memory is its own: prints one JSON line.
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { cpuSecondsSince } from '../_child.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import { getHistoricalFeatures } from '../../features/historical/get-historical-features.js';
import { Registry } from '../../features/registry.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import { FUNCTIONS, WINDOWS } from './data.js';
import type { AggregateData } from './data.js';

const { data, output, memoryLimit } = JSON.parse(process.argv[2] ?? '{}') as { data: AggregateData; output: string; memoryLimit: string };
const definitions = [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({ name: 'trips_source', table: 'bench.trips', timestampField: 'event_timestamp', createdTimestampField: 'created' }),
  defineFeatureView({
    name: 'trips',
    entities: ['driver'],
    source: 'trips_source',
    aggregations: [{ column: 'amount', type: 'double', functions: [...FUNCTIONS], windows: WINDOWS.map((window) => window.name) }],
  }),
];
const catalog = await loadCatalog(data.catalogConfig);
const engine = await Engine.create({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-floe') });
try {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const job = getHistoricalFeatures(
    { registry: new Registry(definitions), catalog, engine, workDirectory: path.join(data.directory, 'work') },
    { entities: { parquet: data.entities }, features: ['trips'] },
  );
  const written = await job.toParquet(output);
  console.log(
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      rows: written.rows,
      maxRssKb: process.resourceUsage().maxRSS,
      cpuSeconds: cpuSecondsSince(cpuStart),
    }),
  );
} finally {
  engine.close();
  await catalog.close();
}
