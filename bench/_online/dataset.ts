/**
 * The benchmark's online tables: one with `snapshots` appended snapshots (the first holds every
 * entity, each later one updates about a tenth of them, one small file per bucket touched), and a
 * compacted copy holding the same latest rows in one append.
 */
import { appendQuery } from '../../engine/append-query.js';
import type { Engine } from '../../engine/duckdb.js';
import { latestPerEntitySql } from '../../engine/latest-per-entity.js';
import { scanTable } from '../../engine/table-reader.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import { ensureOnlineTable, onlineTableLayout } from '../../features/online/online-table-layout.js';
import { Registry } from '../../features/registry.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';

export const VIEW = 'driver_hourly_stats';
export const FEATURES = ['conv_rate', 'acc_rate', 'avg_daily_trips'];

export function benchRegistry(onlineTable: string, buckets: number): Registry {
  return new Registry([
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({
      name: 'driver_stats',
      table: 'bench_source.driver_stats',
      timestampField: 'event_timestamp',
      createdTimestampField: 'created',
    }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'driver_stats',
      features: [
        { name: 'conv_rate', type: 'double' },
        { name: 'acc_rate', type: 'double' },
        { name: 'avg_daily_trips', type: 'long' },
      ],
      online: { buckets, table: onlineTable },
    }),
  ]);
}

export interface BenchTables {
  readonly appended: Registry;
  readonly compacted: Registry;
}

export async function buildTables(
  context: { catalog: Catalog; engine: Engine; workDirectory: string },
  options: { namespace: string; entities: number; snapshots: number; buckets: number; log: (line: string) => void },
): Promise<BenchTables> {
  const appended = benchRegistry(`${options.namespace}.appended`, options.buckets);
  const compacted = benchRegistry(`${options.namespace}.compacted`, options.buckets);
  const appendedLayout = onlineTableLayout(appended, appended.featureView(VIEW));
  const compactedLayout = onlineTableLayout(compacted, compacted.featureView(VIEW));
  await ensureOnlineTable(context.catalog, appendedLayout);
  await ensureOnlineTable(context.catalog, compactedLayout);
  const base = Date.parse('2024-06-01T00:00:00Z') / 1000;
  for (let snapshot = 0; snapshot < options.snapshots; snapshot++) {
    const at = base + snapshot * 3600;
    await appendQuery({
      ...context,
      identifier: appendedLayout.identifier,
      query: `
        SELECT e::BIGINT AS driver_id,
               ((hash(e, ${snapshot}, 'c') % 1000) / 1000.0)::DOUBLE AS conv_rate,
               ((hash(e, ${snapshot}, 'a') % 1000) / 1000.0)::DOUBLE AS acc_rate,
               (hash(e, ${snapshot}, 't') % 500)::BIGINT AS avg_daily_trips,
               to_timestamp(${at} + e % 60) AS event_ts,
               to_timestamp(${at} + e % 60 + 60) AS created_ts,
               to_timestamp(${at} + 7200) AS materialized_at
        FROM range(1, ${options.entities + 1}) AS r(e)
        WHERE ${snapshot} = 0 OR hash(e, ${snapshot}) % 10 = 0`,
    });
    if ((snapshot + 1) % 20 === 0) options.log(`    ${snapshot + 1}/${options.snapshots} snapshots appended`);
  }
  const scan = await scanTable(await context.catalog.loadTable(appendedLayout.identifier));
  const latest = await context.engine.withConnection((connection) =>
    latestPerEntitySql(connection, {
      relation: scan.sql,
      keyColumns: ['driver_id'],
      eventTimestampColumn: 'event_ts',
      createdTimestampColumn: 'created_ts',
    }),
  );
  await appendQuery({ ...context, identifier: compactedLayout.identifier, query: latest });
  return { appended, compacted };
}
