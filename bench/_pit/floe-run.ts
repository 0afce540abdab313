// One Floe retrieval in its own process, so its peak memory is its own: prints one JSON line. With
// `onDemand`, an on-demand view over two views' features and a request field (the entity rows'
// request_id) is asked for too, computed over every joined row.
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { cpuSecondsSince } from '../_child.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import { getHistoricalFeatures } from '../../features/historical/get-historical-features.js';
import { defineOnDemandView, defineRequestSource } from '../../features/on-demand.js';
import type { OnDemandInputs } from '../../features/on-demand.js';
import { Registry } from '../../features/registry.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import { featureName, FEATURES, TTL_DAYS, VIEWS } from './data.js';
import type { BenchData } from './data.js';

const { data, output, memoryLimit, onDemand } = JSON.parse(process.argv[2] ?? '{}') as {
  data: BenchData;
  output: string;
  memoryLimit: string;
  onDemand?: boolean;
};
const [first, second] = VIEWS;
// The inputs' names, known when the view is defined (as a user writes `inputs.trips.trips_f1`).
const [a, b, c] = [featureName(first, 1), featureName(first, 2), featureName(second, 1)];
const onDemandDefinitions = [
  defineRequestSource({ name: 'request', fields: [{ name: 'request_id', type: 'long' }] }),
  defineOnDemandView({
    name: 'derived',
    sources: [`${first}:${a}`, `${first}:${b}`, `${second}:${c}`, 'request'],
    features: [
      { name: 'ratio', type: 'double' },
      { name: 'request_bucket', type: 'long' },
    ],
    compute: (inputs: OnDemandInputs) => {
      const trips = inputs[first]!;
      const x = trips[a] as number | null;
      const y = trips[b] as number | null;
      const z = inputs[second]![c] as number | null;
      const id = inputs.request!.request_id as number | null;
      return {
        ratio: x === null || y === null || z === null ? null : (x + y) / (Math.abs(z) + 1),
        request_bucket: id === null ? null : id % 16,
      };
    },
  }),
];
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
  ...(onDemand === true ? onDemandDefinitions : []),
];
const catalog = await loadCatalog(data.catalogConfig);
const engine = await Engine.create({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-floe') });
try {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const job = getHistoricalFeatures(
    { registry: new Registry(definitions), catalog, engine, workDirectory: path.join(data.directory, 'work') },
    {
      entities: { parquet: data.entities },
      features: [
        ...VIEWS.flatMap((view) => FEATURES.map((index) => `${view}:${featureName(view, index)}`)),
        ...(onDemand === true ? ['derived'] : []),
      ],
    },
  );
  const written = await job.toParquet(output);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: cpuSecondsSince(cpuStart),
      rows: written.rows,
      maxRssKb: process.resourceUsage().maxRSS,
      scans: job.lastSummary?.views.map((view) => ({ view: view.featureView, dataFiles: view.dataFiles, skipped: view.dataFilesSkipped })),
    }),
  );
} finally {
  engine.close();
  await catalog.close();
}
