import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { writeTableFiles } from '../../engine/write/table-writer.js';
import type { LatePlan } from '../../contracts/materialize.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import type { OnlineTableLayout } from '../online-table/layout.js';
import { withLatestRows } from './compute.js';
import type { Window } from './source-rows.js';

/**
 * Steps 2 and 3 in one: the window's latest rows go from a DuckDB table in memory straight into
 * the online table's data files and manifest, never staged in the table's storage (an upload and a
 * download of the whole window on S3). Written but not committed, as writeOnlinePartitions.
 */
export async function prepareOnlineFiles(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: OnlineFilesOptions & { sourceSnapshotId: bigint | null; late?: LatePlan },
): Promise<{ rows: number; manifest: string | null; dataFiles: number }> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const { sourceSnapshotId } = options;
  if (sourceSnapshotId === null) {
    await ensureOnlineTable(context.catalog, layout);
    return { rows: 0, manifest: null, dataFiles: 0 };
  }
  const existing = (await context.catalog.tableExists(layout.identifier)) ? await ensureOnlineTable(context.catalog, layout) : null;
  const read = { ...options, sourceSnapshotId, layout, online: existing };
  return withLatestRows(context, viewName, window, read, async (connection, latest) => {
    // A temporary table, not a local Parquet file: no compressing, writing and reading back the
    // window's rows. A read that fails fails here, before a byte of the online table is written.
    await connection.run(`CREATE TEMPORARY TABLE ${q(LATEST_ROWS)} AS SELECT * FROM (${latest})`);
    const counted = await connection.runAndReadAll(`SELECT count(*) AS ${q('rows')} FROM ${q(LATEST_ROWS)}`);
    const rows = Number(counted.getRowObjects()[0]?.['rows'] ?? 0);
    // Created only once the source has been read: a first run that fails on it leaves no empty table.
    const online = existing ?? (await ensureOnlineTable(context.catalog, layout));
    if (rows === 0) return { rows: 0, manifest: null, dataFiles: 0 };
    return { rows, ...(await writeOnlineFiles(connection, context, { layout, table: online, relation: q(LATEST_ROWS) }, options)) };
  });
}

const LATEST_ROWS = '__floe_latest_rows';

export interface OnlineFilesOptions {
  readonly filePrefix: string;
  readonly materializedAt: Date;
  readonly afterDataFiles?: () => Promise<void>;
}

/** A relation of the online table's columns (but materialized_at) as the table's data files and their manifest. */
export async function writeOnlineFiles(
  connection: DuckDBConnection,
  context: FeatureContext,
  target: { layout: OnlineTableLayout; table: LoadedTable; relation: string },
  options: OnlineFilesOptions,
): Promise<{ manifest: string; dataFiles: number }> {
  const { layout, table } = target;
  return withScratchDirectory(context, options.filePrefix, async (localDirectory) => {
    const columns = [...layout.keyColumns, ...layout.featureColumns, ONLINE_EVENT_TS, ONLINE_CREATED_TS].map((name) => q(name));
    const query = `SELECT ${columns.join(', ')}, CAST(${quoteLiteral(options.materializedAt.toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)} FROM ${target.relation}`;
    const dataFiles = await writeTableFiles(connection, table, {
      query,
      fileNamePrefix: options.filePrefix,
      localDirectory,
      ...signalOf(context),
    });
    await options.afterDataFiles?.();
    const manifest = await writeAddedManifest(table, dataFiles, options.filePrefix);
    return { manifest: manifest.location, dataFiles: dataFiles.length };
  });
}
