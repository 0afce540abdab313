// One Floe retrieval in its own process, so its peak memory is its own: prints one JSON line. With
// `onDemand`, the on-demand view of definitions.ts is asked for too, computed over every joined row.
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { cpuSecondsSince } from '../_child.js';
import { getHistoricalFeatures } from '../../features/historical/get-historical-features.js';
import { Registry } from '../../features/registry.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import { featureName, FEATURES, VIEWS } from './data.js';
import { pitDefinitions } from './definitions.js';
import type { BenchData } from './data.js';

const { data, output, memoryLimit, onDemand } = JSON.parse(process.argv[2] ?? '{}') as {
  data: BenchData;
  output: string;
  memoryLimit: string;
  onDemand?: boolean;
};
const definitions = pitDefinitions({ onDemand: onDemand === true });
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
