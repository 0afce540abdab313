/** Entity rows cut into chunks by their key, so that each chunk's keys need few of a source's files. */
import { quoteIdentifier as q } from '../../engine/sql.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { EntityFile, TrainingSetChunk } from './chunks.js';
import { cutByKeyBuckets } from './chunks.js';
import { entitySegmentsSql } from './entity-sql.js';
import { integerKeySql, KEY_POSITION_COLUMN, positionsFor, withKeyPosition } from './key-sql.js';
import type { TrainingSetRequest } from './request.js';
import { defined } from '../../contracts/defined.js';

type Entities = { readonly files: readonly EntityFile[]; readonly snapshotId: string | null };

/**
 * Chunks of the entity rows by the buckets of their key (ChunkKeyBuckets), each reading every
 * entity file: a source bucketed by that key is then read about once over all chunks, where
 * chunks of consecutive rows would each need every bucket. The rows per bucket are counted here,
 * at the entities' snapshot, so the chunks are fixed once planned.
 */
export async function cutByKeyBucket(
  context: FeatureContext,
  request: TrainingSetRequest,
  entities: Entities,
  options: { readonly column: string; readonly sourceBuckets: number; readonly chunkRows: number; readonly hash?: 'md5' },
): Promise<TrainingSetChunk[]> {
  const layout = {
    column: options.column,
    sourceBuckets: options.sourceBuckets,
    buckets: positionsFor(options.sourceBuckets),
    ...defined({ hash: options.hash }),
  };
  const segments = entities.files.map((file) => ({ file: file.file, from: 0, to: file.rows }));
  const rows = await entitySegmentsSql(context, request, segments, entities.snapshotId);
  const position = q(KEY_POSITION_COLUMN);
  const rowsAt = new Array<number>(layout.buckets).fill(0);
  await context.engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT ${position}, count(*)::BIGINT FROM (${withKeyPosition(rows, layout)}) GROUP BY ${position}`,
    );
    for (const [at, count] of reader.getRowsJS()) rowsAt[Number(at)] = Number(count);
  }, signalOf(context));
  return cutByKeyBuckets(rowsAt, layout.buckets / layout.sourceBuckets, options.chunkRows).map((run, index) => ({
    index,
    segments: [],
    rows: run.rows,
    keyBuckets: { ...layout, from: run.from, to: run.to },
  }));
}

/**
 * Chunks of the entity rows by ranges of their key (ChunkKeyRange), each reading every entity
 * file: a source whose files hold narrow key ranges (written sorted by the key) is then read about
 * once over all chunks. Ranges start where the source's files start (`fileStarts`), so a chunk
 * shares no file with the next; a file's range holding more than `chunkRows` entity rows is cut
 * again at every `chunkRows`-th key; consecutive ranges then share a chunk while it holds at most
 * `chunkRows` rows. A chunk holds more only when one key has more (the plan then cuts by position).
 * Fixed here, at the entities' snapshot.
 */
export async function cutByKeyRange(
  context: FeatureContext,
  request: TrainingSetRequest,
  entities: Entities,
  options: { readonly column: string; readonly fileStarts: readonly bigint[]; readonly chunkRows: number },
): Promise<TrainingSetChunk[]> {
  const segments = entities.files.map((file) => ({ file: file.file, from: 0, to: file.rows }));
  const rows = await entitySegmentsSql(context, request, segments, entities.snapshotId);
  const keys = `SELECT ${integerKeySql(options.column)} AS k FROM (${rows})`;
  const { chunkRows } = options;
  const counted = await context.engine.withConnection(async (connection) => {
    const rowsPerRange = async (starts: readonly bigint[]): Promise<number[]> => {
      const reader = await connection.runAndReadAll(`SELECT p, count(*)::BIGINT FROM (${rangeOfKeySql(keys, starts)}) GROUP BY p`);
      const found = new Array<number>(starts.length + 1).fill(0);
      for (const [at, count] of reader.getRowsJS()) found[Number(at)] = Number(count);
      return found;
    };
    const fileStarts = [...options.fileStarts];
    const perFile = await rowsPerRange(fileStarts);
    const crowded = perFile.flatMap((count, index) => (count > chunkRows ? [index] : []));
    if (crowded.length === 0) return { starts: fileStarts, rows: perFile };
    // Where a crowded range is cut again: every chunkRows-th of its keys, in key order.
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT k FROM (SELECT k, row_number() OVER (PARTITION BY p ORDER BY k) AS n FROM (${rangeOfKeySql(keys, fileStarts)}) WHERE k IS NOT NULL AND p IN (${crowded.join(', ')})) WHERE n > 1 AND n % ${chunkRows} = 1`,
    );
    const starts = [...new Set([...fileStarts, ...reader.getRowsJS().map((row) => BigInt(row[0] as bigint))])].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return { starts, rows: await rowsPerRange(starts) };
  }, signalOf(context));
  // Range i is [starts[i - 1], starts[i]); range 0 has no start, range starts.length no end.
  const boundary = (index: number): string | null =>
    index <= 0 || index > counted.starts.length ? null : String(counted.starts[index - 1]);
  return cutByKeyBuckets(counted.rows, 1, chunkRows).map((run, index) => ({
    index,
    segments: [],
    rows: run.rows,
    keyRange: { column: options.column, from: boundary(run.from), to: boundary(run.to) },
  }));
}

/** `keys` (a column `k`) with `p`: the number of `starts` at or below k (0 for a null key). */
function rangeOfKeySql(keys: string, starts: readonly bigint[]): string {
  if (starts.length === 0) return `SELECT k, 0 AS p FROM (${keys})`;
  const table = `SELECT s, row_number() OVER (ORDER BY s) AS i FROM unnest([${starts.join(', ')}]::BIGINT[]) AS t(s)`;
  return `SELECT e.k, coalesce(b.i, 0) AS p FROM (${keys}) AS e ASOF LEFT JOIN (${table}) AS b ON e.k >= b.s`;
}
