import path from 'node:path';
import type { SourceReadFigures } from '../../contracts/training-set.js';
import { FloeError } from '../../core/errors.js';
import { getHistoricalFeatures } from '../historical/get-historical-features.js';
import { writeOutputFiles } from '../historical/output-table.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TrainingSetChunk } from './chunks.js';
import { writeChunkEntities } from './entity-sql.js';
import type { ExchangedView } from './exchange.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { ExchangedViewRows } from '../historical/view-reads.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import { historicalRequest } from './request.js';
import { chunkFolder, chunkManifestName, removeStagedChunk } from './staging.js';

export interface ChunkResult {
  readonly index: number;
  /** The manifest of the chunk's data files, or null when the chunk has no rows. */
  readonly manifest: string | null;
  readonly dataFiles: number;
  readonly rows: number;
  /** What the chunk's scans of the views' sources read (their data files after pruning); not the exchanged views' rows. */
  readonly sourceRead: SourceReadFigures;
}

/**
 * Runs one chunk: its entity rows' point-in-time join, written as data files of the output table
 * under the chunk's staging folder, and a manifest of them. Whatever an earlier attempt of the
 * chunk left there is removed first, so the chunk's files exist once.
 */
export async function writeTrainingSetChunk(
  context: FeatureContext,
  request: TrainingSetRequest,
  input: {
    readonly key: string;
    readonly chunk: TrainingSetChunk;
    readonly entitySnapshotId: string | null;
    /** The chunk's part of the views the exchange step read (its files only), when there was one. */
    readonly exchanged?: readonly ExchangedView[];
    readonly attempt: number;
    readonly afterDataFiles?: () => Promise<void>;
  },
): Promise<ChunkResult> {
  const table = await context.catalog.loadTable(parseTableIdentifier(request.output.table));
  const { index } = input.chunk;
  const manifestName = `${chunkManifestName(input.key, index)}-a${input.attempt}`;
  await removeStagedChunk(table, input.key, index);
  return withScratchDirectory(context, manifestName, async (scratch) => {
    const entityFile = path.join(scratch, 'entities.parquet');
    const entityRows = await writeChunkEntities(context, request, input.chunk, input.entitySnapshotId, entityFile);
    const exchangedViews = await localExchangedViews(table, input.exchanged ?? []);
    // The chunk holds a part of the keys: the views' data files are pruned by them, however many.
    const job = getHistoricalFeatures(context, {
      ...historicalRequest(request, { parquet: [entityFile] }),
      keyFilePruningLimit: Math.max(entityRows, 1),
      ...(exchangedViews.size > 0 ? { exchangedViews } : {}),
    });
    let rows = 0;
    const { dataFiles, manifest } = await job.run((connection, query) =>
      writeOutputFiles(connection, table, {
        query,
        fileNamePrefix: `a${input.attempt}`,
        manifestName,
        localDirectory: path.join(scratch, 'out'),
        dataDirectory: chunkFolder(table, input.key, index),
        ...signalOf(context),
        afterDataFiles: async (written) => {
          rows = written.reduce((sum, file) => sum + file.recordCount, 0);
          if (rows !== entityRows) {
            throw new FloeError(
              'internal',
              `Chunk ${index} of training set ${request.output.table} joined ${entityRows} entity rows into ${rows} rows`,
              { context: { table: request.output.table } },
            );
          }
          await input.afterDataFiles?.();
        },
      }),
    );
    // The exchanged views' sources were read by the exchange step, which counts them.
    const exchangedSummaries = new Set([...exchangedViews.values()].map((view) => view.summary));
    const views = (job.lastSummary?.views ?? []).filter((view) => !exchangedSummaries.has(view));
    const sourceRead: SourceReadFigures = {
      dataFiles: views.reduce((sum, view) => sum + view.dataFiles, 0),
      rows: views.reduce((sum, view) => sum + view.dataRecords, 0),
      bytes: views.reduce((sum, view) => sum + view.dataBytes, 0),
    };
    return { index, manifest: manifest?.location ?? null, dataFiles: dataFiles.length, rows, sourceRead };
  });
}

/** A chunk's exchanged views as the retrieval reads them: local copies of its files, each with the summary a scan of them would give. */
async function localExchangedViews(table: LoadedTable, views: readonly ExchangedView[]): Promise<Map<string, ExchangedViewRows>> {
  const local = new Map<string, ExchangedViewRows>();
  for (const view of views) {
    const files = await mapWithConcurrency([...view.files], 8, (file) => table.io.localize(file.location));
    local.set(view.view, {
      files,
      summary: {
        featureView: view.featureView,
        table: view.table,
        snapshotId: view.snapshotId === null ? null : BigInt(view.snapshotId),
        mode: view.mode,
        dataFiles: view.files.length,
        dataFilesSkipped: 0,
        manifestsSkipped: 0,
        dataRecords: view.files.reduce((sum, file) => sum + file.rows, 0),
        dataBytes: view.files.reduce((sum, file) => sum + file.bytes, 0),
        prunedByKeys: true,
      },
    });
  }
  return local;
}
