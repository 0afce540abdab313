import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describeRelation } from '../engine/describe.js';
import { localizePlan } from '../engine/table-reader.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from '../engine/read-plan.js';
import { duckdbErrorReason, quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../engine/sql.js';
import { writeTableFiles } from '../engine/table-writer.js';
import { schemaFromColumns } from '../engine/types.js';
import type { LoadedTable, TableIdentifier } from '../iceberg/catalog/catalog.js';
import { fileIOFor } from '../iceberg/io/file-io-for.js';
import type { IoProperties } from '../iceberg/io/file-io-for.js';
import { isS3Location } from '../iceberg/io/s3-location.js';
import { commitChange, findCommitted } from '../iceberg/commit/commit.js';
import { FloeError } from '../iceberg/errors.js';
import type { ScanPlan } from '../iceberg/scan/plan.js';
import { planScan } from '../iceberg/scan/planner.js';
import { currentSchema } from '../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../iceberg/spec/snapshot.js';
import { describeAddedManifest, writeAddedManifest } from '../iceberg/write/added-manifest.js';
import { fastAppend } from '../iceberg/write/fast-append.js';
import { metadataDirectory } from '../iceberg/write/table-locations.js';
import type { HistoricalContext } from './historical/get-historical-features.js';
import { getHistoricalFeatures } from './historical/get-historical-features.js';
import { formatTableIdentifier, parseTableIdentifier } from '../iceberg/catalog/identifier.js';

/**
 * A training set built in chunks, each step safe to retry: the library half of the `trainingSet`
 * workflow (usable without Temporal). Entity rows are cut into chunks by file and row position,
 * so a chunk names the same rows however often it runs; each chunk's point-in-time join is written
 * as Parquet data files of the output table into a staging folder named by the run's key and the
 * chunk (a retry first removes what an earlier attempt of the chunk left there); one fast append
 * carrying the key as its idempotency key commits every chunk's files at once.
 */

/** Historical retrieval's context, plus the FileIO properties for entity files in object storage (the catalog's). */
export interface TrainingSetContext extends HistoricalContext {
  readonly ioProperties?: IoProperties;
}

/** Entity rows: an Iceberg table (read at one snapshot) or Parquet files (read in the order given). */
export type TrainingSetEntities = { readonly table: string; readonly snapshotId?: string } | { readonly parquet: readonly string[] };

export interface TrainingSetRequest {
  readonly entities: TrainingSetEntities;
  readonly features?: readonly string[];
  readonly featureService?: string;
  readonly fullFeatureNames?: boolean;
  readonly timestampColumn?: string;
  readonly output: { readonly table: string };
}

/** Rows `[from, to)` of one entity file: Parquet row numbers, or positions in an Iceberg data file. */
export interface EntitySegment {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

export interface TrainingSetChunk {
  readonly index: number;
  readonly segments: readonly EntitySegment[];
  /** Rows of the segments before deletes (an Iceberg table's deleted rows drop out of the result). */
  readonly rows: number;
}

export interface TrainingSetPlan {
  /** Set when a run with this key already committed: nothing else is to be done. */
  readonly alreadyCommitted: { readonly snapshotId: string; readonly rows: number } | null;
  /** The entity table's snapshot every chunk reads, for the table form. */
  readonly entitySnapshotId: string | null;
  readonly entityRows: number;
  readonly chunks: readonly TrainingSetChunk[];
}

export interface ChunkResult {
  readonly index: number;
  /** The manifest of the chunk's data files, or null when the chunk has no rows. */
  readonly manifest: string | null;
  readonly dataFiles: number;
  readonly rows: number;
}

export interface TrainingSetCommit {
  readonly table: string;
  readonly snapshotId: string | null;
  readonly rows: number;
  readonly dataFiles: number;
  readonly alreadyCommitted: boolean;
}

/** Table property naming the run (its key) that created a training set's output table. */
export const TRAINING_SET_KEY_PROPERTY = 'floe.training-set.key';
export const DEFAULT_CHUNK_ROWS = 100_000;

/**
 * Checks the request (features, entity rows, output table), cuts the entity rows into chunks of
 * at most `chunkRows`, and creates the output table when absent, shaped like the join's result
 * (its data files must be written with the table's field ids, into its storage). A key already
 * committed to the output table short-cuts everything.
 */
export async function planTrainingSet(context: TrainingSetContext, request: TrainingSetRequest, options: { readonly key: string; readonly chunkRows: number }): Promise<TrainingSetPlan> {
  const outputId = parseTableIdentifier(request.output.table);
  getHistoricalFeatures(context, historicalRequest(request, { parquet: [] })); // unknown features fail here
  if (await context.catalog.tableExists(outputId)) {
    const table = await context.catalog.loadTable(outputId);
    const committed = findCommitted(table.metadata, MAIN_BRANCH, options.key);
    if (committed) return { alreadyCommitted: { snapshotId: committed.snapshotId.toString(), rows: Number(committed.summary['added-records'] ?? 0) }, entitySnapshotId: null, entityRows: 0, chunks: [] };
    if (table.metadata.properties[TRAINING_SET_KEY_PROPERTY] !== options.key) {
      throw new FloeError('already-exists', `Output table ${request.output.table} exists and was not created by this training set; name a new table`, { context: { table: request.output.table } });
    }
  }
  const entities = await entityFiles(context, request.entities);
  if (!(await context.catalog.tableExists(outputId))) await createOutputTable(context, request, outputId, options.key, entities.snapshotId);
  const chunks = cutIntoChunks(entities.files, options.chunkRows);
  return { alreadyCommitted: null, entitySnapshotId: entities.snapshotId, entityRows: entities.files.reduce((sum, file) => sum + file.rows, 0), chunks };
}

/**
 * Runs one chunk: its entity rows' point-in-time join, written as data files of the output table
 * under the chunk's staging folder, and a manifest of them. Whatever an earlier attempt of the
 * chunk left there is removed first, so the chunk's files exist once.
 */
export async function writeTrainingSetChunk(
  context: TrainingSetContext,
  request: TrainingSetRequest,
  input: { readonly key: string; readonly chunk: TrainingSetChunk; readonly entitySnapshotId: string | null; readonly attempt: number; readonly afterDataFiles?: () => Promise<void> },
): Promise<ChunkResult> {
  const table = await context.catalog.loadTable(parseTableIdentifier(request.output.table));
  const folder = chunkFolder(table, input.key, input.chunk.index);
  const manifestName = chunkManifestName(input.key, input.chunk.index);
  await removeUnder(table, folder);
  for await (const file of table.io.list(`${metadataDirectory(table)}/${manifestName}`)) await table.io.delete(file.location);
  const scratch = path.join(context.workDirectory, 'scratch', `${manifestName}-a${input.attempt}`);
  await mkdir(scratch, { recursive: true });
  try {
    const entityFile = path.join(scratch, 'entities.parquet');
    const entityRows = await writeChunkEntities(context, request.entities, input.chunk.segments, input.entitySnapshotId, entityFile);
    const job = getHistoricalFeatures(context, historicalRequest(request, { parquet: [entityFile] }));
    const dataFiles = await job.run((connection, query) =>
      writeTableFiles(connection, table, { query, fileNamePrefix: `a${input.attempt}`, localDirectory: path.join(scratch, 'out'), dataDirectory: folder, ...signalOf(context) }),
    );
    const rows = dataFiles.reduce((sum, file) => sum + file.recordCount, 0);
    if (rows !== entityRows) {
      throw new FloeError('internal', `Chunk ${input.chunk.index} of training set ${request.output.table} joined ${entityRows} entity rows into ${rows} rows`, { context: { table: request.output.table } });
    }
    await input.afterDataFiles?.();
    if (dataFiles.length === 0) return { index: input.chunk.index, manifest: null, dataFiles: 0, rows: 0 };
    const manifest = await writeAddedManifest(table, dataFiles, `${manifestName}-a${input.attempt}`);
    return { index: input.chunk.index, manifest: manifest.location, dataFiles: dataFiles.length, rows };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Commits every chunk's files in one fast append keyed by `key`; a key already committed returns its snapshot. */
export async function commitTrainingSet(
  context: HistoricalContext,
  request: TrainingSetRequest,
  input: { readonly key: string; readonly chunks: readonly ChunkResult[] },
): Promise<TrainingSetCommit> {
  const id = parseTableIdentifier(request.output.table);
  const table = await context.catalog.loadTable(id);
  const rows = input.chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
  const dataFiles = input.chunks.reduce((sum, chunk) => sum + chunk.dataFiles, 0);
  const earlier = findCommitted(table.metadata, MAIN_BRANCH, input.key);
  if (earlier) return { table: request.output.table, snapshotId: earlier.snapshotId.toString(), rows, dataFiles, alreadyCommitted: true };
  const manifests = await Promise.all(input.chunks.flatMap((chunk) => (chunk.manifest === null ? [] : [describeAddedManifest(table, chunk.manifest)])));
  const result = await commitChange(
    context.catalog,
    id,
    fastAppend(manifests, { idempotencyKey: input.key, summary: { 'floe.training-set.features': featureList(context, request), 'floe.training-set.chunks': String(input.chunks.length) } }),
  );
  return { table: request.output.table, snapshotId: result.snapshotId?.toString() ?? null, rows, dataFiles, alreadyCommitted: result.alreadyCommitted };
}

/**
 * After a cancelled or failed run: removes its staged files and manifests, and the output table
 * too when this run created it and nothing was committed to it. A committed run is left alone.
 */
export async function cleanUpTrainingSet(context: HistoricalContext, request: TrainingSetRequest, input: { readonly key: string }): Promise<{ removedFiles: number; droppedTable: boolean }> {
  const id = parseTableIdentifier(request.output.table);
  if (!(await context.catalog.tableExists(id))) return { removedFiles: 0, droppedTable: false };
  const table = await context.catalog.loadTable(id);
  if (findCommitted(table.metadata, MAIN_BRANCH, input.key)) return { removedFiles: 0, droppedTable: false };
  let removedFiles = await removeUnder(table, stagingRoot(table, input.key));
  for await (const file of table.io.list(`${metadataDirectory(table)}/${chunkManifestName(input.key, null)}`)) {
    await table.io.delete(file.location);
    removedFiles += 1;
  }
  const ours = table.metadata.properties[TRAINING_SET_KEY_PROPERTY] === input.key;
  const droppedTable = ours && table.metadata.snapshots.length === 0;
  if (droppedTable) await context.catalog.dropTable(id, { purge: true });
  return { removedFiles, droppedTable };
}

/** The staging folder of a run: `<table>/data/training-set/<key>/`, the key made path-safe. */
export function stagingRoot(table: LoadedTable, key: string): string {
  return `${table.metadata.location.replace(/\/+$/, '')}/data/training-set/${safeName(key)}`;
}

function chunkFolder(table: LoadedTable, key: string, index: number): string {
  return `${stagingRoot(table, key)}/chunk-${String(index).padStart(5, '0')}`;
}

function chunkManifestName(key: string, index: number | null): string {
  return `training-set-${safeName(key)}-${index === null ? '' : `c${String(index).padStart(5, '0')}-`}`;
}

function safeName(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_');
}

async function removeUnder(table: LoadedTable, folder: string): Promise<number> {
  let removed = 0;
  for await (const file of table.io.list(`${folder}/`)) {
    await table.io.delete(file.location);
    removed += 1;
  }
  return removed;
}

function historicalRequest(request: TrainingSetRequest, entities: { parquet: readonly string[] }) {
  return {
    entities,
    ...(request.features === undefined ? {} : { features: request.features }),
    ...(request.featureService === undefined ? {} : { featureService: request.featureService }),
    ...(request.fullFeatureNames === undefined ? {} : { fullFeatureNames: request.fullFeatureNames }),
    ...(request.timestampColumn === undefined ? {} : { timestampColumn: request.timestampColumn }),
  };
}

function featureList(context: HistoricalContext, request: TrainingSetRequest): string {
  const job = getHistoricalFeatures(context, historicalRequest(request, { parquet: [] }));
  return job.projections.flatMap((projection) => projection.features.map((feature) => `${projection.view.name}:${feature}`)).join(',');
}

function signalOf(context: HistoricalContext): { signal?: AbortSignal } {
  return context.signal === undefined ? {} : { signal: context.signal };
}

interface EntityFile {
  readonly file: string;
  readonly rows: number;
}

/** The entity files in order with their row counts (for a table: its data files at one snapshot, before deletes). */
async function entityFiles(context: TrainingSetContext, entities: TrainingSetEntities): Promise<{ files: EntityFile[]; snapshotId: string | null }> {
  if ('table' in entities) {
    const plan = await entityPlan(context, entities.table, entities.snapshotId ?? null);
    return { files: plan.plan.tasks.map((task) => ({ file: task.dataFile.filePath, rows: Number(task.dataFile.recordCount) })), snapshotId: plan.plan.snapshotId?.toString() ?? null };
  }
  if (!Array.isArray(entities.parquet) || entities.parquet.length === 0) throw new FloeError('invalid-input', 'entities.parquet names no file', { context: { field: 'entities.parquet' } });
  const local = await localEntityFiles(context, entities.parquet);
  return context.engine.withConnection(async (connection) => {
    const files: EntityFile[] = [];
    for (const [index, file] of entities.parquet.entries()) {
      try {
        const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet(${quoteLiteral(local[index]!)})`);
        files.push({ file, rows: Number(reader.getRows()[0]?.[0] ?? 0) });
      } catch (error) {
        // The local copy's path means nothing to the user: name the file they gave.
        const reason = duckdbErrorReason(error).split(local[index]!).join(file);
        throw new FloeError('invalid-input', `Cannot read the entity Parquet file ${file} (${reason}): expected a Parquet file of entity rows`, { context: { file } });
      }
    }
    return { files, snapshotId: null };
  }, signalOf(context));
}

async function entityPlan(context: HistoricalContext, name: string, snapshotId: string | null): Promise<{ table: LoadedTable; plan: ScanPlan }> {
  const id = parseTableIdentifier(name);
  if (!(await context.catalog.tableExists(id))) {
    throw new FloeError('not-found', `The entity table ${name} does not exist in catalog ${context.catalog.name}`, { context: { table: name } });
  }
  const table = await context.catalog.loadTable(id);
  const plan = await planScan(table, snapshotId === null ? {} : { snapshotId: BigInt(snapshotId) });
  return { table, plan };
}

/** Local paths of the entity Parquet files: object-store files through the catalog's FileIO (cached by content). */
async function localEntityFiles(context: TrainingSetContext, files: readonly string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      if (!isS3Location(file)) return file.replace(/^file:\/\//, '');
      try {
        return await fileIOFor(file, context.ioProperties ?? {}).localize(file);
      } catch (error) {
        if (FloeError.is(error, 'not-found')) throw new FloeError('invalid-input', `The entity Parquet file ${file} does not exist`, { context: { file }, cause: error });
        throw error;
      }
    }),
  );
}

/** Consecutive rows, at most `chunkRows` per chunk, in file order: chunk i holds rows [i·n, (i+1)·n) of the input. */
export function cutIntoChunks(files: readonly EntityFile[], chunkRows: number): TrainingSetChunk[] {
  const chunks: TrainingSetChunk[] = [];
  let segments: EntitySegment[] = [];
  let rows = 0;
  const close = (): void => {
    chunks.push({ index: chunks.length, segments, rows });
    segments = [];
    rows = 0;
  };
  for (const file of files) {
    let from = 0;
    while (from < file.rows) {
      const to = Math.min(file.rows, from + (chunkRows - rows));
      segments.push({ file: file.file, from, to });
      rows += to - from;
      from = to;
      if (rows === chunkRows) close();
    }
  }
  if (rows > 0) close();
  return chunks;
}

/** Writes the entity rows of these segments, in input order, to a local Parquet file; returns how many. */
async function writeChunkEntities(context: TrainingSetContext, entities: TrainingSetEntities, segments: readonly EntitySegment[], snapshotId: string | null, file: string): Promise<number> {
  const source = await chunkEntitySql(context, entities, segments, snapshotId);
  return context.engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(`COPY (${source}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }, signalOf(context));
}

/** SQL for the segments' rows, user columns only, ordered by file and row. No segments: no rows, same columns. */
async function chunkEntitySql(context: TrainingSetContext, entities: TrainingSetEntities, segments: readonly EntitySegment[], snapshotId: string | null): Promise<string> {
  const files = [...new Set(segments.map((segment) => segment.file))];
  if ('parquet' in entities) {
    const all = [...entities.parquet];
    const local = await localEntityFiles(context, all);
    const where = segments.length === 0 ? 'false' : segments.map((segment) => `(file_index = ${all.indexOf(segment.file)} AND file_row_number >= ${segment.from} AND file_row_number < ${segment.to})`).join(' OR ');
    // Read with every file listed, so the columns line up exactly as a read of the whole input does.
    return `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${quoteLiteralList(local)}, file_row_number = true) WHERE ${where} ORDER BY file_index, file_row_number`;
  }
  const { table, plan } = await entityPlan(context, entities.table, snapshotId ?? entities.snapshotId ?? null);
  const order = new Map(files.map((name, index) => [name, index]));
  const chunkPlan: ScanPlan = { ...plan, tasks: plan.tasks.filter((task) => order.has(task.dataFile.filePath)) };
  const localPath = await localizePlan(table.io, chunkPlan, signalOf(context));
  const rowFilter = segments.length === 0 ? 'false' : segments.map((segment) => `(${q(ROW_FILE_PATH_COLUMN)} = ${quoteLiteral(segment.file)} AND ${q(ROW_POSITION_COLUMN)} >= ${segment.from} AND ${q(ROW_POSITION_COLUMN)} < ${segment.to})`).join(' OR ');
  const sql = readPlanSql(chunkPlan, { localPath, tableSchema: currentSchema(table.metadata), rowPositions: true, rowFilter });
  const rank = `CASE ${q(ROW_FILE_PATH_COLUMN)} ${files.map((name, index) => `WHEN ${quoteLiteral(name)} THEN ${index}`).join(' ')} END`;
  return `SELECT * EXCLUDE (${q(ROW_FILE_PATH_COLUMN)}, ${q(ROW_POSITION_COLUMN)}) FROM (${sql}) ORDER BY ${segments.length === 0 ? '1' : rank}, ${q(ROW_POSITION_COLUMN)}`;
}

/** Creates the output table shaped like the join's result, found by joining no entity rows. */
async function createOutputTable(context: TrainingSetContext, request: TrainingSetRequest, id: TableIdentifier, key: string, snapshotId: string | null): Promise<LoadedTable> {
  const scratch = path.join(context.workDirectory, 'scratch', `${chunkManifestName(key, null)}shape`);
  await mkdir(scratch, { recursive: true });
  try {
    const entityFile = path.join(scratch, 'entities.parquet');
    await writeChunkEntities(context, request.entities, [], snapshotId, entityFile);
    const job = getHistoricalFeatures(context, historicalRequest(request, { parquet: [entityFile] }));
    const columns = await job.run((connection: DuckDBConnection, query: string) => describeRelation(connection, query, 'the training set'));
    if (!(await context.catalog.namespaceExists(id.namespace))) {
      await context.catalog.createNamespace(id.namespace).catch((error: unknown) => {
        if (!FloeError.is(error, 'already-exists')) throw error;
      });
    }
    return await context.catalog.createTable(id, {
      schema: schemaFromColumns(columns, { source: `training set ${formatTableIdentifier(id)}` }),
      properties: { 'format-version': '2', 'write.parquet.compression-codec': 'zstd', [TRAINING_SET_KEY_PROPERTY]: key },
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
