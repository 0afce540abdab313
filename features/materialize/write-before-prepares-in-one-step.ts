import path from 'node:path';
import { quoteLiteral } from '../../engine/sql.js';
import type { LatePlan } from '../../contracts/materialize.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import { latestRowsFile } from './compute.js';
import type { Window } from './source-rows.js';
import { writeOnlineFiles } from './write.js';
import type { OnlineFilesOptions } from './write.js';

// The compute and write steps as two activities, with the latest rows staged in the online table's
// storage between them: only workflow runs recorded before the patch
// `materialize-prepares-in-one-step` take them (see workflows/materialize.ts); every later run
// prepares its window in one step (write.ts). Kept while recorded histories replay through them.

/**
 * Step 2: the latest row per entity among source rows with start ≤ event_ts < end, as of the
 * planned snapshot, renamed to the online table's columns and staged as one Parquet file in the
 * online table's storage (`<location>/staging/<name>.parquet`). The window's scan is filtered by
 * event time, so files outside it are pruned by their stats. With `late` (an incremental run) it
 * also reads the rows before the window's start of the data files added to the source since the
 * view's cursor, and takes the latest per entity over both.
 */
export async function computeLatestRows(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint | null; stagingName: string; late?: LatePlan },
): Promise<{ staging: string | null; rows: number }> {
  // The source had no snapshot when planned: whatever arrived since belongs to a later run.
  const { sourceSnapshotId } = options;
  if (sourceSnapshotId === null) return { staging: null, rows: 0 };
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  // Workflows started before prepareWindow stage in the online table's storage: it must exist.
  const online = await ensureOnlineTable(context.catalog, layout);
  return withScratchDirectory(context, options.stagingName, async (localDirectory) => {
    const localFile = path.join(localDirectory, 'latest.parquet');
    const rows = await latestRowsFile(context, viewName, window, { ...options, sourceSnapshotId, layout, online, localFile });
    return { staging: await uploadStaging(online, localFile, options.stagingName), rows };
  });
}

/**
 * Step 3: the staged rows as data files in the online table's bucket partitions, plus a manifest
 * of them, written but not committed.
 */
export async function writeOnlinePartitions(
  context: FeatureContext,
  viewName: string,
  options: OnlineFilesOptions & { staging: string | null; rows: number },
): Promise<{ manifest: string | null; dataFiles: number }> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const table = await ensureOnlineTable(context.catalog, layout);
  if (options.staging === null || options.rows === 0) return { manifest: null, dataFiles: 0 };
  const staged = await table.io.localize(options.staging);
  const relation = `read_parquet(${quoteLiteral(staged)})`;
  return context.engine.withConnection(
    (connection) => writeOnlineFiles(connection, context, { layout, table, relation }, options),
    signalOf(context),
  );
}

/** Uploads a staged Parquet file to `<online location>/staging/<name>.parquet`; returns that location. */
async function uploadStaging(online: LoadedTable, localFile: string, stagingName: string): Promise<string> {
  const staging = `${online.metadata.location.replace(/\/+$/, '')}/staging/${stagingName}.parquet`;
  await online.io.upload(localFile, staging, { ifAbsent: true });
  return staging;
}
