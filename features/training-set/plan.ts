import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { SourceReadFigures } from '../../contracts/training-set.js';
import { quoteIdentifier } from '../../engine/sql.js';
import type { EntityFile, TrainingSetChunk } from './chunks.js';
import { cutByFile, cutByKeyBuckets, cutIntoChunks } from './chunks.js';
import { entitySegmentsSql } from './entity-sql.js';
import { KEY_POSITION_COLUMN, positionsFor, withKeyPosition } from './key-buckets.js';
import { sourceLayout } from './source-layout.js';
import { entityFiles } from './entities.js';
import { sourceEntityFiles } from './source-entities.js';
import { createTrainingSetTable } from './output-table.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import { checkTrainingSetRequest } from './validation.js';

export interface TrainingSetPlan {
  /** Set when a run with this key already committed: nothing else is to be done. */
  readonly alreadyCommitted: { readonly snapshotId: string; readonly rows: number } | null;
  /** The entity table's snapshot every chunk reads, for the table form. */
  readonly entitySnapshotId: string | null;
  readonly entityRows: number;
  readonly chunks: readonly TrainingSetChunk[];
  /** One pass over each asked view's source (null when already committed). */
  readonly sourceOnePass: SourceReadFigures | null;
}

/**
 * Checks the request (features, entity rows, output table), cuts the entity rows into chunks of
 * at most `chunkRows` (by the buckets of their key when a view's source is bucketed by it, else
 * by position), and creates the output table when absent. A key already committed to the
 * output table short-cuts everything.
 */
export async function planTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  options: { readonly key: string; readonly chunkRows: number },
): Promise<TrainingSetPlan> {
  const alreadyCommitted = await checkTrainingSetRequest(context, request, options.key);
  if (alreadyCommitted) return { alreadyCommitted, entitySnapshotId: null, entityRows: 0, chunks: [], sourceOnePass: null };
  const { entities: given } = request;
  const entities = 'from' in given ? await sourceEntityFiles(context, { ...request, entities: given }) : await entityFiles(context, given);
  const outputId = parseTableIdentifier(request.output.table);
  if (!(await context.catalog.tableExists(outputId)))
    await createTrainingSetTable(context, request, outputId, options.key, entities.snapshotId);
  const entityRows = entities.files.reduce((sum, file) => sum + file.rows, 0);
  const layout = await sourceLayout(context, request);
  let chunks: readonly TrainingSetChunk[];
  if ('from' in given) chunks = cutByFile(entities.files, options.chunkRows);
  else if (layout.keyBuckets !== null && entityRows > options.chunkRows)
    chunks = await cutByKey(context, request, entities, { ...layout.keyBuckets, chunkRows: options.chunkRows });
  else chunks = cutIntoChunks(entities.files, options.chunkRows);
  return { alreadyCommitted: null, entitySnapshotId: entities.snapshotId, entityRows, chunks, sourceOnePass: layout.onePass };
}

/**
 * Chunks of the entity rows by the buckets of their key (ChunkKeyBuckets), each reading every
 * entity file: a source bucketed by that key is then read about once over all chunks, where
 * chunks of consecutive rows would each need every bucket. The rows per bucket are counted here,
 * at the entities' snapshot, so the chunks are fixed once planned.
 */
async function cutByKey(
  context: FeatureContext,
  request: TrainingSetRequest,
  entities: { readonly files: readonly EntityFile[]; readonly snapshotId: string | null },
  options: { readonly column: string; readonly sourceBuckets: number; readonly chunkRows: number },
): Promise<TrainingSetChunk[]> {
  const layout = { column: options.column, sourceBuckets: options.sourceBuckets, buckets: positionsFor(options.sourceBuckets) };
  const segments = entities.files.map((file) => ({ file: file.file, from: 0, to: file.rows }));
  const rows = await entitySegmentsSql(context, request, segments, entities.snapshotId);
  const position = quoteIdentifier(KEY_POSITION_COLUMN);
  const rowsAt = new Array<number>(layout.buckets).fill(0);
  await context.engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT ${position}, count(*)::BIGINT FROM (${withKeyPosition(rows, layout)}) GROUP BY ${position}`,
    );
    for (const [at, count] of reader.getRowsJS()) rowsAt[Number(at)] = Number(count);
  }, signalOf(context));
  return cutByKeyBuckets(rowsAt, layout.buckets / layout.sourceBuckets, options.chunkRows).map((run, index) => ({
    index,
    segments,
    rows: run.rows,
    keyBuckets: { ...layout, from: run.from, to: run.to },
  }));
}
