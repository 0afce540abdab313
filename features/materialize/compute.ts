import type { DuckDBConnection } from '@duckdb/node-api';
import { latestPerEntitySql } from '../../engine/feature-queries/latest-per-entity.js';
import { scanTable } from '../../engine/read/table-reader.js';
import type { LatePlan } from '../../contracts/materialize.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { isAggregatedView } from '../aggregations.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS } from '../online-columns.js';
import type { OnlineTableLayout } from '../online-table/layout.js';
import { scanLateAppends } from './late-rows.js';
import { copyToParquet, eventTimeFilter, filterOption, loadSource, micros, renameToOnline } from './source-rows.js';
import type { Window } from './source-rows.js';
import { computeTiles } from './tiles.js';

/**
 * Step 2: the latest row per entity among source rows with start ≤ event_ts < end, as of the
 * planned snapshot, renamed to the online table's columns (an aggregated view's tiles instead:
 * tiles.ts), given as SQL to `use` on the connection that reads them. The window's scan is filtered
 * by event time, so files outside it are pruned by their stats. With `late` (an incremental run) it
 * also reads the rows before the window's start of the data files added to the source since the
 * view's cursor, and takes the latest per entity over both.
 */
export async function withLatestRows<T>(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint; late?: LatePlan; layout: OnlineTableLayout; online: LoadedTable | null },
  use: (connection: DuckDBConnection, rows: string) => Promise<T>,
): Promise<T> {
  const { layout } = options;
  const view = context.registry.featureView(viewName);
  const source = await loadSource(context, view);
  if (isAggregatedView(view)) return computeTiles(context, view, { source, window, ...options }, use);
  const read = { columns: source.columns, snapshotId: options.sourceSnapshotId, readFiles: context.engine.readFiles, ...signalOf(context) };
  const scan = await scanTable(source.table, { ...read, ...filterOption(eventTimeFilter(source, window)) });
  const lateScan = await scanLateAppends(source, read, options.late, window);
  return context.engine.withConnection(async (connection) => {
    const renamed = renameToOnline(scan.sql, source, layout);
    const latest = await latestPerEntitySql(connection, {
      relation: lateScan === undefined ? renamed : `${renamed} UNION ALL ${renameToOnline(lateScan.sql, source, layout)}`,
      keyColumns: layout.keyColumns,
      eventTimestampColumn: ONLINE_EVENT_TS,
      ...(source.createdColumn === undefined ? {} : { createdTimestampColumn: ONLINE_CREATED_TS }),
      // Late rows lie before the start; the window's own scan has only rows from it on.
      ...(lateScan === undefined ? { start: micros(window.start) } : {}),
      end: micros(window.end),
      name: view.name,
    });
    return use(connection, latest);
  }, signalOf(context));
}

/** The latest rows (withLatestRows) written to `localFile`; returns how many. */
export async function latestRowsFile(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint; late?: LatePlan; layout: OnlineTableLayout; online: LoadedTable | null; localFile: string },
): Promise<number> {
  return withLatestRows(context, viewName, window, options, (connection, rows) => copyToParquet(connection, rows, options.localFile));
}
