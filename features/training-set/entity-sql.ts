import { localizePlan } from '../../engine/read/table-reader.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from '../../engine/read/read-plan.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../../engine/sql.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import { FloeError } from '../../core/errors.js';
import type { EntitySegment, TrainingSetChunk } from './chunks.js';
import { rowsOfKeyBuckets, rowsOfKeyRange } from './key-sql.js';
import { entityFiles, entityPlan, localEntityFiles } from './entities.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import { sourceChunkEntitySql } from './source-entities.js';

/** Writes the chunk's entity rows (of its segments, in its key buckets or range if it has them), in input order, to a local Parquet file; returns how many. */
export async function writeChunkEntities(
  context: FeatureContext,
  request: TrainingSetRequest,
  chunk: Pick<TrainingSetChunk, 'segments' | 'keyBuckets' | 'keyRange'>,
  snapshotId: string | null,
  file: string,
): Promise<number> {
  const keyed = chunk.keyBuckets !== undefined || chunk.keyRange !== undefined;
  const segments = keyed ? await wholeEntityFiles(context, request, snapshotId) : chunk.segments;
  const rows = await entitySegmentsSql(context, request, segments, snapshotId);
  const source =
    chunk.keyBuckets !== undefined
      ? rowsOfKeyBuckets(rows, chunk.keyBuckets)
      : chunk.keyRange !== undefined
        ? rowsOfKeyRange(rows, chunk.keyRange)
        : rows;
  return context.engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(`COPY (${source}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }, signalOf(context));
}

/** Every entity file whole, at the entities' snapshot: what a chunk cut by key reads (it keeps its own rows). */
export async function wholeEntityFiles(
  context: FeatureContext,
  request: TrainingSetRequest,
  snapshotId: string | null,
): Promise<EntitySegment[]> {
  const { entities } = request;
  if ('from' in entities) throw new FloeError('internal', 'Entity rows from a source are chunked by file, never by key');
  const pinned = 'table' in entities && snapshotId !== null ? { ...entities, snapshotId } : entities;
  const { files } = await entityFiles(context, pinned);
  return files.map((file) => ({ file: file.file, from: 0, to: file.rows }));
}

/** SQL for the entity rows of these segments, user columns only, in input order. */
export async function entitySegmentsSql(
  context: FeatureContext,
  request: TrainingSetRequest,
  segments: readonly EntitySegment[],
  snapshotId: string | null,
): Promise<string> {
  const { entities } = request;
  return 'from' in entities
    ? sourceChunkEntitySql(context, { ...request, entities }, segments, snapshotId)
    : chunkEntitySql(context, entities, segments, snapshotId);
}

/** SQL for the segments' rows, user columns only, ordered by file and row. No segments: no rows, same columns. */
async function chunkEntitySql(
  context: FeatureContext,
  entities: Exclude<TrainingSetRequest['entities'], { readonly from: string }>,
  segments: readonly EntitySegment[],
  snapshotId: string | null,
): Promise<string> {
  const files = [...new Set(segments.map((segment) => segment.file))];
  if ('parquet' in entities) {
    const all = [...entities.parquet];
    const local = await localEntityFiles(context, all);
    const where =
      segments.length === 0
        ? 'false'
        : segments
            .map(
              (segment) =>
                `(file_index = ${all.indexOf(segment.file)} AND file_row_number >= ${segment.from} AND file_row_number < ${segment.to})`,
            )
            .join(' OR ');
    // Read with every file listed, so the columns line up exactly as a read of the whole input does.
    return `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${quoteLiteralList(local)}, file_row_number = true) WHERE ${where} ORDER BY file_index, file_row_number`;
  }
  const { table, plan } = await entityPlan(context, entities.table, snapshotId ?? entities.snapshotId ?? null);
  const order = new Map(files.map((name, index) => [name, index]));
  const chunkPlan: ScanPlan = { ...plan, tasks: plan.tasks.filter((task) => order.has(task.dataFile.filePath)) };
  const localPath = context.engine.readFiles.recording(await localizePlan(table, chunkPlan, signalOf(context)));
  const rowFilter =
    segments.length === 0
      ? 'false'
      : segments
          .map(
            (segment) =>
              `(${q(ROW_FILE_PATH_COLUMN)} = ${quoteLiteral(segment.file)} AND ${q(ROW_POSITION_COLUMN)} >= ${segment.from} AND ${q(ROW_POSITION_COLUMN)} < ${segment.to})`,
          )
          .join(' OR ');
  const sql = readPlanSql(chunkPlan, {
    localPath,
    tableSchema: currentSchema(table.metadata),
    table: formatTableIdentifier(table.identifier),
    rowPositions: true,
    rowFilter,
  });
  const rank = `CASE ${q(ROW_FILE_PATH_COLUMN)} ${files.map((name, index) => `WHEN ${quoteLiteral(name)} THEN ${index}`).join(' ')} END`;
  return `SELECT * EXCLUDE (${q(ROW_FILE_PATH_COLUMN)}, ${q(ROW_POSITION_COLUMN)}) FROM (${sql}) ORDER BY ${segments.length === 0 ? '1' : rank}, ${q(ROW_POSITION_COLUMN)}`;
}
