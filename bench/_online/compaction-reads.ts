/**
 * Reads while a compaction's files are stored: the served table is compacted (the small files of
 * the windows committed before it merged into their buckets' large ones), then one key a request
 * at 8 connections is asked of the running server from the compaction's return on, while the
 * server stores the rewritten files in its row store. Reports how long the compaction and that
 * rebuild took and the reads' figures meanwhile; null where the table has no file large enough
 * for the row store (the rebuild is then nothing to measure).
 */
import { compactTable } from '../../features/compaction/index.js';
import { DEFAULT_MAX_CACHED_ROWS } from '../../features/online/index.js';
import { fileRowWeight, RowCache } from '../../features/online/row-cache.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import type { Registry } from '../../features/registry.js';
import type { BuildContext } from './dataset.js';
import { VIEW } from './dataset.js';
import type { LoadFigures } from './load-generator.js';
import type { LoadProcess } from './load-process.js';
import { round } from './measure.js';

export interface CompactionReads {
  readonly compaction_s: number;
  /** From the compaction's return to the row store holding every rewritten file. */
  readonly rebuild_s: number;
  /** The reads of the load window, which starts at the compaction's return. */
  readonly reads: LoadFigures;
  /** Of the load window, the seconds within the rebuild. */
  readonly reads_during_rebuild_s: number;
}

export async function measureCompactionReads(options: {
  build: BuildContext;
  registry: Registry;
  load: LoadProcess;
  url: string;
  entities: number;
  features: readonly string[];
  seconds: number;
  maxRequests: number;
}): Promise<CompactionReads | null> {
  const context = { ...options.build, registry: options.registry };
  const filesBefore = new Set((await dataFiles(context)).map((file) => file.filePath));
  const builtBefore = await rowStoreGauge(options.url, 'files_built');
  const started = performance.now();
  await compactTable(context, { featureView: VIEW }, { minFiles: 2 });
  const compacted = performance.now();
  // The rewritten files the server stores: those too large for its row cache, as it weighs them.
  const rowCache = new RowCache(DEFAULT_MAX_CACHED_ROWS);
  const stored = (await dataFiles(context)).filter(
    (file) => !filesBefore.has(file.filePath) && !rowCache.holdsFilesOf(file.recordCount, fileRowWeight(file)),
  ).length;
  if (stored === 0) return null;
  const rebuilt = (async (): Promise<number> => {
    for (;;) {
      const built = await rowStoreGauge(options.url, 'files_built');
      if (built - builtBefore >= stored && (await rowStoreGauge(options.url, 'pending_files')) === 0) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const reads = await options.load.run({
    url: options.url,
    keys: 1,
    entities: options.entities,
    seconds: options.seconds,
    maxRequests: options.maxRequests,
    connections: 8,
    features: options.features,
    seed: 700_000_000,
  });
  const rebuildSeconds = ((await rebuilt) - compacted) / 1000;
  return {
    compaction_s: round((compacted - started) / 1000),
    rebuild_s: round(rebuildSeconds),
    reads,
    reads_during_rebuild_s: round(Math.min(rebuildSeconds, options.seconds)),
  };
}

async function dataFiles(context: BuildContext & { registry: Registry }): Promise<DataFile[]> {
  const table = await context.catalog.loadTable(context.registry.onlineTableOf(context.registry.featureView(VIEW)));
  return (await planScan(table)).tasks.map((task) => task.dataFile);
}

async function rowStoreGauge(url: string, name: 'files_built' | 'pending_files'): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const value = new RegExp(`^floe_online_row_store_${name} (\\d+)$`, 'm').exec(metrics)?.[1];
  if (value === undefined) throw new Error(`${url}/metrics has no floe_online_row_store_${name}`);
  return Number(value);
}
