/**
 * The benchmark's online tables: a compacted one (every entity's latest row, written in one append,
 * as compaction leaves a table), and one with `snapshots` appended snapshots (the first holds every
 * entity, each later one updates about a tenth of them, one small file per bucket touched); and
 * the compacted table's rows as a Parquet file for Feast's peers to load.
 */
import { appendQuery } from '../../engine/write/append-query.js';
import type { Engine } from '../../engine/duckdb.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { ensureOnlineTable, onlineTableLayout } from '../../features/online-table/layout.js';
import { Registry } from '../../features/registry.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { FEATURES, plainDefinitions, VIEW } from './definitions.js';

export { FEATURES, VIEW } from './definitions.js';

export function benchRegistry(onlineTable: string, buckets: number): Registry {
  return new Registry(plainDefinitions(onlineTable, buckets));
}

export interface BuildContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly workDirectory: string;
}

const BASE_SECONDS = Date.parse('2024-06-01T00:00:00Z') / 1000;

/**
 * Snapshot `snapshot`'s rows for entities 1…entities (all of them at snapshot 0, a tenth later), in
 * no key order, as a materialization's rows arrive: a table written in key order would flatter reads.
 */
function snapshotRows(snapshot: number, entities: number): string {
  const at = BASE_SECONDS + snapshot * 3600;
  return `
    SELECT e::BIGINT AS driver_id,
           ((hash(e, ${snapshot}, 'c') % 1000) / 1000.0)::DOUBLE AS conv_rate,
           ((hash(e, ${snapshot}, 'a') % 1000) / 1000.0)::DOUBLE AS acc_rate,
           (hash(e, ${snapshot}, 't') % 500)::BIGINT AS avg_daily_trips,
           to_timestamp(${at} + e % 60) AS event_ts,
           to_timestamp(${at} + e % 60 + 60) AS created_ts,
           to_timestamp(${at} + 7200) AS materialized_at
    FROM range(1, ${entities + 1}) AS r(e)
    WHERE ${snapshot} = 0 OR hash(e, ${snapshot}) % 10 = 0
    ORDER BY hash(e, ${snapshot}, 'arrival')`;
}

/** `table` (in a namespace that may not exist yet) holding one row for each of entities 1…entities, in one append. */
export async function buildCompactedTable(
  context: BuildContext,
  options: { table: string; entities: number; buckets: number },
): Promise<Registry> {
  const registry = benchRegistry(options.table, options.buckets);
  const layout = onlineTableLayout(registry, registry.featureView(VIEW));
  await ensureOnlineTable(context.catalog, layout);
  await appendQuery({ ...context, identifier: layout.identifier, query: snapshotRows(0, options.entities) });
  return registry;
}

/** `table` written in `snapshots` appends: every entity first, then about a tenth of them each time. */
export async function buildAppendedTable(
  context: BuildContext,
  options: { table: string; entities: number; snapshots: number; buckets: number; log: (line: string) => void },
): Promise<Registry> {
  const registry = benchRegistry(options.table, options.buckets);
  const layout = onlineTableLayout(registry, registry.featureView(VIEW));
  await ensureOnlineTable(context.catalog, layout);
  for (let snapshot = 0; snapshot < options.snapshots; snapshot++) {
    await appendQuery({ ...context, identifier: layout.identifier, query: snapshotRows(snapshot, options.entities) });
    if ((snapshot + 1) % 20 === 0) options.log(`    ${snapshot + 1}/${options.snapshots} snapshots appended`);
  }
  return registry;
}

/**
 * A new window committed to the view's online table, as a small materialization leaves it: one
 * row for each of `keys`, conv_rate `convRate`, with an event time after every row the table holds.
 */
export async function appendWindow(context: BuildContext, registry: Registry, keys: readonly number[], convRate: number): Promise<void> {
  const layout = onlineTableLayout(registry, registry.featureView(VIEW));
  const at = BASE_SECONDS + 365 * 86_400;
  await appendQuery({
    ...context,
    identifier: layout.identifier,
    query: `
      SELECT e::BIGINT AS driver_id, ${convRate}::DOUBLE AS conv_rate, 0.5::DOUBLE AS acc_rate, 1::BIGINT AS avg_daily_trips,
             to_timestamp(${at}) AS event_ts, to_timestamp(${at + 60}) AS created_ts, to_timestamp(${at + 120}) AS materialized_at
      FROM unnest([${keys.map((key) => String(Math.trunc(key))).join(', ')}]) AS r(e)`,
  });
}

/** Both tables in `namespace`: `appended` and `compacted` (as bench/_online/serve-profile.ts builds them). */
export async function buildTables(
  context: BuildContext,
  options: { namespace: string; entities: number; snapshots: number; buckets: number; log: (line: string) => void },
): Promise<{ appended: Registry; compacted: Registry }> {
  const { namespace, ...rest } = options;
  return {
    appended: await buildAppendedTable(context, { ...rest, table: `${namespace}.appended` }),
    compacted: await buildCompactedTable(context, { table: `${namespace}.compacted`, entities: rest.entities, buckets: rest.buckets }),
  };
}

/**
 * The rows of a compacted table (one per entity) as Parquet in Feast's column names: the join key,
 * the features, `event_timestamp` and `created`.
 */
export async function exportRowsForFeast(context: BuildContext, registry: Registry, file: string): Promise<void> {
  const scan = await scanTable(await context.catalog.loadTable(registry.onlineTableOf(registry.featureView(VIEW))));
  const columns = ['driver_id', ...FEATURES].map((name) => q(name));
  await context.engine.withConnection((connection) =>
    connection.run(
      `COPY (SELECT ${columns.join(', ')}, ${q('event_ts')} AS event_timestamp, ${q('created_ts')} AS created FROM (${scan.sql})) ` +
        `TO ${quoteLiteral(file)} (FORMAT parquet)`,
    ),
  );
}
