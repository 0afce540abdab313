/**
 * The exchange step of a training set whose sources are laid out by neither bucket nor sorted key,
 * where no chunk could skip a source file: the plan cuts the entity rows by the buckets of their key
 * (ChunkKeyBuckets), and each asked view joining on that key alone (plain or aggregated) has its
 * source read once, the rows some entity row can need (by its key's entity times) written to the
 * run's staging folder by the chunk whose keys they hold. A chunk then reads its own part instead
 * of the whole source (write-chunk.ts): all chunks together read each source once, and the
 * exchanged rows once more.
 */
import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import type { SourceReadFigures } from '../../contracts/training-set.js';
import { FloeError } from '../../core/errors.js';
import { defined } from '../../contracts/defined.js';
import { describeRelation } from '../../engine/describe.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../../engine/sql.js';
import {
  createKeyBounds,
  KEY_BOUNDS_FROM,
  KEY_BOUNDS_TO,
  positionalKey,
  withinKeyBoundsSql,
} from '../../engine/feature-queries/key-bounds.js';
import { microsLiteral, utcMicrosSql } from '../../engine/timestamps.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { DEFAULT_ENTITY_TIMESTAMP } from '../historical/get-historical-features.js';
import { scanViewSource, VIEW_EVENT_COLUMN } from '../historical/source-scan.js';
import { lookbackMicros, sourceRead } from '../historical/view-reads.js';
import type { ResolvedProjection } from '../registry.js';
import { projectionName } from '../registry.js';
import { resolveHistoricalFeatures } from '../selection.js';
import type { EntityFile, TrainingSetChunk } from './chunks.js';
import { entitySegmentsSql, wholeEntityFiles } from './entity-sql.js';
import { cutByKeyBucket } from './key-cuts.js';
import { KEY_POSITION_COLUMN, withKeyPosition } from './key-sql.js';
import type { TrainingSetRequest } from './request.js';
import { deleteFilesStartingWith, exchangeFolder } from './staging.js';

/** Below this many chunks, each chunk reading the sources costs about what the exchange does. */
const MIN_EXCHANGE_CHUNKS = 3;
const CHUNK_COLUMN = '__floe_chunk';

/** The plan's part for the exchange step. */
export interface TrainingSetExchange {
  /** The join key the chunks are cut by, and how its values map to positions (their keyBuckets.column and hash). */
  readonly column: string;
  readonly hash?: 'md5';
  /** The cut's key-bucket positions (keyBuckets.buckets). */
  readonly buckets: number;
  /** Where each chunk's positions end (its keyBuckets.to), in chunk order. */
  readonly chunkEnds: readonly number[];
  /** The views exchanged, by projection name. */
  readonly views: readonly string[];
  /** The entity table's snapshot the chunks read (null for Parquet entity rows). */
  readonly entitySnapshotId: string | null;
}

/** One chunk's part of a view's exchanged rows, in the output table's storage. */
export interface ExchangedFile {
  readonly chunk: number;
  readonly location: string;
  readonly rows: number;
  readonly bytes: number;
}

/** What the exchange step did for one view. */
export interface ExchangedView {
  /** Its projection name, and the feature view's own name. */
  readonly view: string;
  readonly featureView: string;
  /** The source table, and the snapshot and read mode of the scan that read it. */
  readonly table: string;
  readonly snapshotId: string | null;
  readonly mode: 'copy-on-write' | 'merge-on-read';
  /** Every chunk's files (at least one each, without rows when none of its keys has any). */
  readonly files: readonly ExchangedFile[];
  /** What the scan read of the source: its data files left after pruning by the entity rows' times. */
  readonly sourceRead: SourceReadFigures;
}

/**
 * Chunks by key bucket and the exchange that feeds them, when the asked views include one joining
 * on `column` alone and the entity rows make at least MIN_EXCHANGE_CHUNKS chunks of at most
 * `chunkRows` each; otherwise null (the caller cuts by position).
 */
export async function planExchange(
  context: FeatureContext,
  request: TrainingSetRequest,
  entities: { readonly files: readonly EntityFile[]; readonly snapshotId: string | null },
  options: { readonly column: string; readonly hash?: 'md5'; readonly chunkRows: number },
): Promise<{ chunks: TrainingSetChunk[]; exchange: TrainingSetExchange } | null> {
  const views = exchangedProjections(context, request, options.column).map(projectionName);
  if (views.length === 0) return null;
  const hash = defined({ hash: options.hash });
  const chunks = await cutByKeyBucket(context, request, entities, {
    column: options.column,
    sourceBuckets: 1,
    chunkRows: options.chunkRows,
    ...hash,
  });
  if (chunks.length < MIN_EXCHANGE_CHUNKS || chunks.some((chunk) => chunk.rows > options.chunkRows)) return null;
  return {
    chunks,
    exchange: {
      column: options.column,
      ...hash,
      buckets: chunks[0]!.keyBuckets!.buckets,
      chunkEnds: chunks.map((chunk) => chunk.keyBuckets!.to),
      views,
      entitySnapshotId: entities.snapshotId,
    },
  };
}

/** The asked views whose one join key is `column`: those the exchange reads. */
function exchangedProjections(context: FeatureContext, request: TrainingSetRequest, column: string): ResolvedProjection[] {
  const { projections } = resolveHistoricalFeatures(context.registry, request);
  return projections.filter((projection) => {
    const keys = context.registry.joinKeysOf(projection.view);
    return keys.length === 1 && keys[0]!.name === column;
  });
}

/**
 * Per key of the entity rows, their earliest and latest event time (µs), into the temporary table
 * `table` (createKeyBounds); returns the earliest and latest of all.
 */
async function createEntityKeyBounds(
  context: FeatureContext,
  connection: DuckDBConnection,
  request: TrainingSetRequest,
  exchange: TrainingSetExchange,
  table: string,
): Promise<{ minMicros: bigint | null; maxMicros: bigint | null }> {
  const segments = await wholeEntityFiles(context, request, exchange.entitySnapshotId);
  const rows = await entitySegmentsSql(context, request, segments, exchange.entitySnapshotId);
  const column = request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP;
  const type = (await describeRelation(connection, rows, 'entity rows')).find((candidate) => candidate.name === column)?.type;
  if (type === undefined)
    throw new FloeError('invalid-input', `The entity rows have no timestamp column ${JSON.stringify(column)}`, { context: { column } });
  const micros = utcMicrosSql(q(column), type, `Event timestamp column ${JSON.stringify(column)} of the entity rows`);
  await createKeyBounds(connection, { rows, keys: [exchange.column], micros, table });
  const reader = await connection.runAndReadAll(`SELECT min(${KEY_BOUNDS_FROM})::VARCHAR, max(${KEY_BOUNDS_TO})::VARCHAR FROM ${q(table)}`);
  const [min, max] = reader.getRowsJS()[0] ?? [null, null];
  const bound = (micros: unknown): bigint | null => (micros === null || micros === undefined ? null : BigInt(micros as string));
  return { minMicros: bound(min), maxMicros: bound(max) };
}

/**
 * The view's rows that some entity row can need: of a key the entity rows have, at most as new as
 * its latest entity row and at most `lookback` older than its earliest (as the point-in-time join's
 * own first step keeps them).
 */
async function neededRowsSql(
  connection: DuckDBConnection,
  relation: string,
  options: { readonly bounds: string; readonly column: string; readonly lookback: bigint | undefined; readonly what: string },
): Promise<string> {
  const eventType = (await describeRelation(connection, relation, options.what)).find((column) => column.name === VIEW_EVENT_COLUMN)!.type;
  const event = utcMicrosSql(`r.${q(VIEW_EVENT_COLUMN)}`, eventType, `Event timestamp of the ${options.what}`);
  const within = withinKeyBoundsSql(
    event,
    { from: `b.${KEY_BOUNDS_FROM}`, to: `b.${KEY_BOUNDS_TO}` },
    options.lookback === undefined ? undefined : { micros: microsLiteral(options.lookback, `lookback of the ${options.what}`) },
  );
  return `SELECT r.* FROM (${relation}) AS r JOIN ${q(options.bounds)} AS b ON r.${q(options.column)} = b.${positionalKey(0)} WHERE ${within}`;
}

// The exchanged files are written with DuckDB's default compression (snappy): zstd made them 1.0×
// the sources' bytes instead of 1.3×, but the step took 2.5× as long (bench training-set, full
// scale, all rows exchanged).

/**
 * Reads one exchanged view's source (at its current snapshot, pruned to the entity rows' times) and
 * writes the rows some entity row can need by chunk under the run's exchange folder. Whatever an
 * earlier attempt wrote there is removed first, and the attempt names its files, so each chunk's
 * rows exist once.
 */
export async function exchangeViewRows(
  context: FeatureContext,
  request: TrainingSetRequest,
  input: {
    readonly key: string;
    readonly exchange: TrainingSetExchange;
    readonly view: string;
    readonly attempt: number;
    /** Runs once the view's files are uploaded, before the step returns (a test's seam). */
    readonly afterFiles?: () => Promise<void>;
  },
): Promise<ExchangedView> {
  const { exchange } = input;
  const projection = exchangedProjections(context, request, exchange.column).find((candidate) => projectionName(candidate) === input.view);
  if (projection === undefined)
    throw new FloeError('internal', `Training set ${request.output.table}: the exchange has no view ${JSON.stringify(input.view)}`, {
      context: { table: request.output.table },
    });
  const table = await context.catalog.loadTable(parseTableIdentifier(request.output.table));
  const folder = exchangeFolder(table, input.key, input.view);
  await deleteFilesStartingWith(table, `${folder}/`);
  const bounds = `__floe_exchange_bounds_${randomUUID().replaceAll('-', '')}`;
  const { files, scan } = await withScratchDirectory(context, `${path.basename(folder)}-a${input.attempt}`, async (scratch) => {
    const written = await context.engine.withConnection(async (connection) => {
      try {
        const times = await createEntityKeyBounds(context, connection, request, exchange, bounds);
        const scan = await scanViewSource(context, { view: projection.view, ...sourceRead(projection, times), ...signalOf(context) });
        const needed = await neededRowsSql(connection, scan.relation, {
          bounds,
          column: exchange.column,
          lookback: lookbackMicros(projection),
          what: `feature view ${JSON.stringify(projection.view.name)}`,
        });
        return { byChunk: await writeByChunk(connection, needed, exchange, scratch), scan };
      } finally {
        await connection.run(`DROP TABLE IF EXISTS temp.${q(bounds)}`);
      }
    }, signalOf(context));
    return { files: await uploadByChunk(table, written.byChunk, { folder, attempt: input.attempt }), scan: written.scan };
  });
  await input.afterFiles?.();
  return {
    view: input.view,
    featureView: projection.view.name,
    table: scan.table,
    snapshotId: scan.plan.snapshotId?.toString() ?? null,
    mode: scan.plan.mode,
    files,
    sourceRead: {
      dataFiles: scan.plan.tasks.length,
      rows: scan.plan.summary.dataRecords,
      bytes: scan.plan.tasks.reduce((sum, task) => sum + task.dataFile.fileSizeInBytes, 0),
    },
  };
}

/** The view's rows written locally by chunk: each chunk's local files (one holding no rows where the chunk has none) and their rows. */
async function writeByChunk(
  connection: DuckDBConnection,
  relation: string,
  exchange: TrainingSetExchange,
  scratch: string,
): Promise<{ chunk: number; file: string; rows: number }[]> {
  const written = path.join(scratch, 'rows');
  const empty = path.join(scratch, 'empty.parquet');
  const chunkAt: number[] = [];
  exchange.chunkEnds.forEach((end, chunk) => {
    while (chunkAt.length < end) chunkAt.push(chunk);
  });
  const layout = {
    column: exchange.column,
    sourceBuckets: 1,
    buckets: exchange.buckets,
    ...defined({ hash: exchange.hash }),
  };
  const position = q(KEY_POSITION_COLUMN);
  await connection.run(
    `COPY (SELECT * EXCLUDE (${position}), [${chunkAt.join(', ')}][${position} + 1] AS ${q(CHUNK_COLUMN)} FROM (${withKeyPosition(relation, layout)})) TO ${quoteLiteral(written)} (FORMAT parquet, PARTITION_BY (${q(CHUNK_COLUMN)}))`,
  );
  await connection.run(`COPY (SELECT * FROM (${relation}) LIMIT 0) TO ${quoteLiteral(empty)} (FORMAT parquet)`);
  // DuckDB names each chunk's folder `__floe_chunk=N`, and may write several files into one.
  const found: { chunk: number; file: string }[] = [];
  for (const entry of await readdir(written, { recursive: true }).catch(() => [])) {
    const folder = path.dirname(entry);
    if (path.extname(entry) === '.parquet' && folder.startsWith(`${CHUNK_COLUMN}=`))
      found.push({ chunk: Number(folder.slice(CHUNK_COLUMN.length + 1)), file: path.join(written, entry) });
  }
  const rowsOf = new Map<string, number>();
  if (found.length > 0) {
    const reader = await connection.runAndReadAll(
      `SELECT file_name, num_rows FROM parquet_file_metadata(${quoteLiteralList(found.map((entry) => entry.file))})`,
    );
    for (const [file, rows] of reader.getRowsJS()) rowsOf.set(String(file), Number(rows));
  }
  const withRows = found.map((entry) => ({ ...entry, rows: rowsOf.get(entry.file) ?? 0 }));
  const without = exchange.chunkEnds.flatMap((_, chunk) =>
    found.some((entry) => entry.chunk === chunk) ? [] : [{ chunk, file: empty, rows: 0 }],
  );
  return [...withRows, ...without].sort((a, b) => a.chunk - b.chunk);
}

async function uploadByChunk(
  table: LoadedTable,
  byChunk: readonly { chunk: number; file: string; rows: number }[],
  options: { readonly folder: string; readonly attempt: number },
): Promise<ExchangedFile[]> {
  return mapWithConcurrency(byChunk, 8, async ({ chunk, file, rows }, index) => {
    const location = `${options.folder}/chunk-${String(chunk).padStart(5, '0')}-a${options.attempt}-${index}.parquet`;
    await table.io.upload(file, location);
    return { chunk, location, rows, bytes: (await stat(file)).size };
  });
}
