import type { Engine } from '../engine/duckdb.js';
import { latestPerEntitySql } from '../engine/latest-per-entity.js';
import { quoteIdentifier as q } from '../engine/sql.js';
import { scanTable } from '../engine/table-reader.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS } from './definitions.js';
import { onlineTableLayout } from './online-table.js';
import type { Registry } from './registry.js';

/**
 * Every entity's current row in a view's online table: the one with the greatest
 * (event_ts, created_ts) over all materialized windows. A scan of the whole table, for
 * inspection and the demo; keyed lookups are what online serving does.
 */
export async function latestOnlineRows(
  context: { readonly registry: Registry; readonly catalog: Catalog; readonly engine: Engine },
  viewName: string,
  options: { readonly limit?: number } = {},
): Promise<Record<string, unknown>[]> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const table = await context.catalog.loadTable(layout.identifier);
  const scan = await scanTable(table);
  return context.engine.withConnection(async (connection) => {
    const latest = await latestPerEntitySql(connection, { relation: scan.sql, keyColumns: layout.keyColumns, eventTimestampColumn: ONLINE_EVENT_TS, createdTimestampColumn: ONLINE_CREATED_TS, name: viewName });
    const order = layout.keyColumns.map((key) => q(key)).join(', ');
    const limit = options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`;
    const reader = await connection.runAndReadAll(`SELECT * FROM (${latest}) ORDER BY ${order}${limit}`);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  });
}
