/**
 * The benchmark's aggregated view: count/sum/avg/min/max of conv_rate over 1h, 1d and 7d, its
 * tiles written by materializing a week of generated events day by day (delta tiles) and then
 * compacted (full tiles), as a scheduled view would leave its online table.
 */
import { randomUUID } from 'node:crypto';
import { appendQuery } from '../../engine/write/append-query.js';
import type { Engine } from '../../engine/duckdb.js';
import { compactTable } from '../../features/compaction/index.js';
import { materializeWindow } from '../../features/materialize/index.js';
import { OnlineStore } from '../../features/online/index.js';
import { Registry } from '../../features/registry.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { generatedRows, sourceSchema } from '../_pipelines.js';
import { aggregatedDefinitions, AGGREGATED_VIEW } from './definitions.js';

export { AGGREGATED_VIEW } from './definitions.js';

const DAYS = 7;
const START = '2024-06-01T00:00:00Z';

export function aggregatedRegistry(sourceTable: string, onlineTable: string, buckets: number): Registry {
  return new Registry(aggregatedDefinitions(sourceTable, onlineTable, buckets));
}

/** The tables of the aggregated view in `namespace`: its source and its online table. */
export function aggregatedTables(namespace: string): { sourceTable: string; onlineTable: string } {
  return { sourceTable: `${namespace}.aggregated_source`, onlineTable: `${namespace}.aggregated` };
}

/** Builds the source (`eventsPerDay` events per entity and day, ids 0…entities) and the view's online table in `namespace` (which must exist). */
export async function buildAggregatedTable(
  context: { catalog: Catalog; engine: Engine; workDirectory: string },
  options: { namespace: string; entities: number; eventsPerDay: number; buckets: number; log: (line: string) => void },
): Promise<Registry> {
  const { sourceTable, onlineTable } = aggregatedTables(options.namespace);
  const registry = aggregatedRegistry(sourceTable, onlineTable, options.buckets);
  const events = (options.entities + 1) * options.eventsPerDay * DAYS;
  await context.catalog.createTable(parseTableIdentifier(sourceTable), { schema: sourceSchema, properties: { 'format-version': '2' } });
  await appendQuery({
    ...context,
    identifier: parseTableIdentifier(sourceTable),
    query: generatedRows(events, options.entities + 1, START, DAYS),
  });
  const featureContext = { ...context, registry };
  const day = 86_400_000;
  for (let index = 0; index < DAYS; index++) {
    const start = new Date(Date.parse(START) + index * day);
    await materializeWindow(featureContext, AGGREGATED_VIEW, { start, end: new Date(start.getTime() + day) }, `bench-agg-${randomUUID()}`);
  }
  const compacted = await compactTable(featureContext, { featureView: AGGREGATED_VIEW }, { minFiles: 0, skipCleanup: true });
  options.log(
    `    ${events} events materialized in ${DAYS} daily runs into tiles, then compacted (${compacted.partitionsRewritten} partitions)`,
  );
  // Before any time is taken: every entity has eventsPerDay × 7 events, all inside the 7d window.
  const probe = await new OnlineStore({ registry, catalog: context.catalog, engine: context.engine }).getOnlineFeatures({
    features: [AGGREGATED_VIEW],
    entityRows: [{ driver_id: 1 }],
  });
  const count = probe.features.find((vector) => vector.feature === 'conv_rate_count_7d')?.values[0];
  if (count !== BigInt(options.eventsPerDay * DAYS))
    throw new Error(`the aggregated view read conv_rate_count_7d = ${String(count)} for driver 1, not ${options.eventsPerDay * DAYS}`);
  return registry;
}
