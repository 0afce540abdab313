import path from 'node:path';
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
import { latestRowsFile } from './compute.js';
import type { Window } from './source-rows.js';

/**
 * Steps 2 and 3 in one: the window's latest rows go from a local file straight into the online
 * table's data files and manifest, never staged in the table's storage (an upload and a download
 * of the whole window on S3). Written but not committed, as writeOnlinePartitions.
 */
export async function prepareOnlineFiles(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: OnlineFilesOptions & { sourceSnapshotId: bigint | null; scratchName: string; late?: LatePlan },
): Promise<{ rows: number; manifest: string | null; dataFiles: number }> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const { sourceSnapshotId } = options;
  if (sourceSnapshotId === null) {
    await ensureOnlineTable(context.catalog, layout);
    return { rows: 0, manifest: null, dataFiles: 0 };
  }
  const existing = (await context.catalog.tableExists(layout.identifier)) ? await ensureOnlineTable(context.catalog, layout) : null;
  return withScratchDirectory(context, options.scratchName, async (localDirectory) => {
    const localFile = path.join(localDirectory, 'latest.parquet');
    const rows = await latestRowsFile(context, viewName, window, { ...options, sourceSnapshotId, layout, online: existing, localFile });
    // Created only once the source has been read: a first run that fails on it leaves no empty table.
    const online = existing ?? (await ensureOnlineTable(context.catalog, layout));
    if (rows === 0) return { rows: 0, manifest: null, dataFiles: 0 };
    return { rows, ...(await writeOnlineFiles(context, layout, online, localFile, options)) };
  });
}

export interface OnlineFilesOptions {
  readonly filePrefix: string;
  readonly materializedAt: Date;
  readonly afterDataFiles?: () => Promise<void>;
}

/** A local file of the online table's columns (but materialized_at) as the table's data files and their manifest. */
export async function writeOnlineFiles(
  context: FeatureContext,
  layout: OnlineTableLayout,
  table: LoadedTable,
  localFile: string,
  options: OnlineFilesOptions,
): Promise<{ manifest: string; dataFiles: number }> {
  return withScratchDirectory(context, options.filePrefix, async (localDirectory) => {
    const columns = [...layout.keyColumns, ...layout.featureColumns, ONLINE_EVENT_TS, ONLINE_CREATED_TS].map((name) => q(name));
    const query = `SELECT ${columns.join(', ')}, CAST(${quoteLiteral(options.materializedAt.toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)} FROM read_parquet(${quoteLiteral(localFile)})`;
    const dataFiles = await context.engine.withConnection(
      (connection) =>
        writeTableFiles(connection, table, { query, fileNamePrefix: options.filePrefix, localDirectory, ...signalOf(context) }),
      signalOf(context),
    );
    await options.afterDataFiles?.();
    const manifest = await writeAddedManifest(table, dataFiles, options.filePrefix);
    return { manifest: manifest.location, dataFiles: dataFiles.length };
  });
}
