import type { DuckDBConnection, DuckDBDataChunk, DuckDBValue } from '@duckdb/node-api';
import { fileByNameSql, readPlanSql } from '../../engine/read/read-plan.js';
import { quoteIdentifier as q, sortKeySql } from '../../engine/sql.js';
import { duckdbType } from '../../engine/types.js';
import { toIcebergValue } from '../../engine/values.js';
import { and, bind, eq, isIn, notNull, or } from '../../iceberg/expressions/index.js';
import { combine } from '../../iceberg/expressions/visitor.js';
import type { BoundExpression, FilterLiteral } from '../../iceberg/expressions/index.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { IcebergType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { keyLookup } from './entity-keys.js';
import { defined } from '../../contracts/defined.js';
import { FloeError } from '../../core/errors.js';
import { RepeatedLookupError } from './file-row-store.js';
import type { RowSink } from './file-row-store.js';
import type { StoredRow } from './row-store-encoding.js';

/** The online table's columns a read needs, as the table's current schema has them. */
export interface OnlineColumns {
  readonly keys: readonly string[];
  readonly features: readonly string[];
  readonly eventTs: string;
  readonly createdTs: string;
  readonly materializedAt: string;
}

/** The latest row of one key within one data file: feature values in the order of `OnlineColumns.features`, times in µs since the epoch. */
export interface OnlineRow extends StoredRow {
  /** The data sequence number of the file it came from: a later commit wins a full tie. */
  readonly sequence: number;
  readonly file: string;
}

/**
 * Reads one data file (with the delete files that apply to it) and keeps, per key, its latest row
 * by (event_ts, created_ts, materialized_at). Files are immutable, so the result can be cached
 * under the file's location for as long as the schema read with is the same.
 *
 * A read of some keys (`only`) first reads their rows as they are: a file the online write made
 * holds one row per key, and ranking a handful of rows costs DuckDB about a millisecond, a
 * quarter of a point read. Only when a key has several rows is the file read again with the
 * ranking, which is the rule a whole-file read always applies.
 */
export async function readFileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: OnlineColumns,
  localPath: (location: string) => string,
  only?: BoundExpression,
  byName = false,
): Promise<Map<string, OnlineRow>> {
  const names = onlineColumnNames(columns);
  const select = selectFromFileSql(task, schema, names, [...columns.keys, columns.eventTs], localPath, only, byName);
  if (only !== undefined) {
    const rows = await readRows(connection, select, task, schema, columns, names);
    if (rows !== undefined) return rows;
  }
  return (await readRows(connection, latestRowsSql(select, schema, columns), task, schema, columns, names))!;
}

/**
 * Every latest row of one file (readFileRows' rule, deletes applied), handed to `sink` a page at a
 * time: a file of millions of rows is never held in JavaScript whole. A file the online write made
 * holds one row per key, and its rows stream to the sink as they are; DuckDB's stream ends a failed
 * result like a complete one, so the rows received are checked against the file's count (which
 * DuckDB answers from the Parquet footer when nothing is filtered). Only when the sink meets a
 * second row of a key (it then starts over) is the file ranked into a temporary table and read
 * back in pages.
 */
export async function pageFileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: OnlineColumns,
  localPath: (location: string) => string,
  byName: boolean,
  sink: RowSink,
): Promise<void> {
  const names = onlineColumnNames(columns);
  const select = selectFromFileSql(task, schema, names, [...columns.keys, columns.eventTs], localPath, undefined, byName);
  const convert = rowConverter(schema, columns, names);
  try {
    await streamRows(connection, select, task, convert, sink);
    return;
  } catch (error) {
    if (!(error instanceof RepeatedLookupError)) throw error;
  }
  const table = q('floe_file_rows');
  await connection.run(`CREATE TEMP TABLE ${table} AS ${latestRowsSql(select, schema, columns)}`);
  try {
    const [keys] = (await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0] as [bigint];
    for (let first = 0; first < keys; first += PAGE_ROWS) {
      const page = await connection.run(`SELECT * FROM ${table} WHERE rowid >= ${first} AND rowid < ${first + PAGE_ROWS}`);
      for (let chunk = await page.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await page.fetchChunk())
        await sink(chunkRows(chunk, convert));
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Streams `select`'s rows to `sink` a chunk at a time, checking that the stream ended with the file's last row. */
export async function streamRows<T>(
  connection: DuckDBConnection,
  select: string,
  task: ScanTask,
  convert: (raw: readonly DuckDBValue[]) => T,
  sink: (rows: Iterable<T>) => Promise<void>,
): Promise<void> {
  const result = await connection.stream(select);
  let received = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    received += chunk.rowCount;
    await sink(chunkRows(chunk, convert));
  }
  const [rows] = (await connection.runAndReadAll(`SELECT count(*) FROM (${select})`)).getRows()[0] as [bigint];
  if (BigInt(received) !== rows)
    throw new FloeError('internal', `Reading ${task.dataFile.filePath} ended after ${received} of its ${String(rows)} rows`, {
      context: { file: task.dataFile.filePath },
    });
}

/** A chunk's rows converted, each only when the sink reaches it: the sink paces that work with its own. */
function* chunkRows<T>(chunk: DuckDBDataChunk, convert: (raw: readonly DuckDBValue[]) => T): Generator<T> {
  const vectors = Array.from({ length: chunk.columnCount }, (_, index) => chunk.getColumnVector(index));
  for (let row = 0; row < chunk.rowCount; row++) yield convert(vectors.map((vector) => vector.getItem(row)));
}

/** Rows per page of a ranked file read back (DuckDB holds a page; the sink takes it a chunk at a time). */
const PAGE_ROWS = 20_000;

/** `select`'s latest row per key, by (event_ts, created_ts, materialized_at, then the features). */
function latestRowsSql(select: string, schema: Schema, columns: OnlineColumns): string {
  const keyList = columns.keys.map((key) => `r.${q(key)}`).join(', ');
  const featureTypes = columnTypes(schema, columns.features);
  const order = [
    `r.${q(columns.eventTs)} DESC`,
    `r.${q(columns.createdTs)} DESC NULLS LAST`,
    `r.${q(columns.materializedAt)} DESC NULLS LAST`,
    ...columns.features.map((name, index) => `${sortKeySql(`r.${q(name)}`, duckdbType(featureTypes[index]!))} DESC NULLS LAST`),
  ];
  return `SELECT * FROM (${select}) AS r QUALIFY row_number() OVER (PARTITION BY ${keyList} ORDER BY ${order.join(', ')}) = 1`;
}

/** Every column a read of `columns` returns, in the order readFileRows reads them. */
export function onlineColumnNames(columns: OnlineColumns): string[] {
  return [...columns.keys, ...columns.features, columns.eventTs, columns.createdTs, columns.materializedAt];
}

/** The rows `sql` returns by key; undefined when a key has two (the caller must rank them). */
async function readRows(
  connection: DuckDBConnection,
  sql: string,
  task: ScanTask,
  schema: Schema,
  columns: OnlineColumns,
  names: readonly string[],
): Promise<Map<string, OnlineRow> | undefined> {
  const reader = await connection.runAndReadAll(sql);
  const convert = rowConverter(schema, columns, names);
  const rows = new Map<string, OnlineRow>();
  for (const raw of reader.getRows()) {
    const [lookup, row] = convert(raw);
    if (rows.has(lookup)) return undefined;
    rows.set(lookup, { ...row, sequence: task.dataSequenceNumber, file: task.dataFile.filePath });
  }
  return rows;
}

/** A DuckDB row of `names` (onlineColumnNames' order) as its key lookup and its values. */
function rowConverter(
  schema: Schema,
  columns: OnlineColumns,
  names: readonly string[],
): (raw: readonly DuckDBValue[]) => [string, StoredRow] {
  const types = columnTypes(schema, names);
  const keyCount = columns.keys.length;
  const featureCount = columns.features.length;
  return (raw) => {
    const typed = raw.map((value, index) => toIcebergValue(value, types[index]!));
    const row: StoredRow = {
      values: typed.slice(keyCount, keyCount + featureCount),
      eventTs: typed[keyCount + featureCount] as bigint,
      createdTs: (typed[keyCount + featureCount + 1] ?? null) as bigint | null,
      materializedAt: (typed[keyCount + featureCount + 2] ?? null) as bigint | null,
    };
    return [keyLookup(typed.slice(0, keyCount) as PrimitiveValue[]), row];
  };
}

/** The rows of some keys only: `k = v` for one key column, else `(k1 = v1 AND k2 = v2) OR …`, bound to `schema`. */
export function keysFilter(schema: Schema, keyColumns: readonly string[], keys: Iterable<readonly PrimitiveValue[]>): BoundExpression {
  const values = [...keys];
  const expression =
    keyColumns.length === 1
      ? isIn(
          keyColumns[0]!,
          values.map((key) => key[0] as FilterLiteral),
        )
      : or(...values.map((key) => and(...keyColumns.map((column, index) => eq(column, key[index] as FilterLiteral)))));
  return bind(expression, schema);
}

/** Whether `a` is a later row of the same key than `b`. */
export function isLater(a: OnlineRow, b: OnlineRow): boolean {
  if (a.eventTs !== b.eventTs) return a.eventTs > b.eventTs;
  const created = compareNullable(a.createdTs, b.createdTs);
  if (created !== 0) return created > 0;
  const materialized = compareNullable(a.materializedAt, b.materializedAt);
  if (materialized !== 0) return materialized > 0;
  if (a.sequence !== b.sequence) return a.sequence > b.sequence;
  return a.file > b.file;
}

function compareNullable(a: bigint | null, b: bigint | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a > b ? 1 : -1;
}

/** A plan of one data file with the delete files that apply to it (and only its rows `filter` matches, when given). */
export function singleFilePlan(schema: Schema, task: ScanTask, filter?: BoundExpression): ScanPlan {
  return {
    ...defined({ filter }),
    snapshotId: null,
    schema,
    mode: task.positionDeletes.length + task.equalityDeletes.length > 0 ? 'merge-on-read' : 'copy-on-write',
    tasks: [task],
    summary: {
      dataFiles: 1,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
      dataRecords: task.dataFile.recordCount,
      manifestsRead: 0,
      manifestsSkipped: 0,
      dataFilesSkipped: 0,
    },
  };
}

/**
 * `<names>` of one file, deletes applied, of the rows `only` matches in which every `required`
 * column is set. The not-null rule is part of the read's filter rather than a query around it: a
 * point read is a few milliseconds, and DuckDB spends a tenth of them planning the outer query.
 * `byName`: the file's columns read by name (`readsByName` said so), when no delete applies to it.
 */
export function selectFromFileSql(
  task: ScanTask,
  schema: Schema,
  names: readonly string[],
  required: readonly string[],
  localPath: (location: string) => string,
  only?: BoundExpression,
  byName = false,
): string {
  const projected: Schema = { ...schema, fields: names.map((name) => schema.fields.find((field) => field.name === name)!) };
  // Bound as optional columns, or the binder would drop the test where the schema says required:
  // a file that breaks that must still not yield a row without a key or an event time.
  const asOptional: Schema = { ...schema, fields: schema.fields.map((field) => ({ ...field, required: false })) };
  const set = bind(and(...required.map((name) => notNull(name))), asOptional);
  const filter = combine('and', [...(only === undefined ? [] : [only]), set]);
  if (byName && task.positionDeletes.length + task.equalityDeletes.length === 0) return fileByNameSql(task, names, filter, { localPath });
  return readPlanSql(singleFilePlan(projected, task, filter), { localPath, tableSchema: schema });
}

/** The types of `names` as `schema` has them (features may be nested; keys, times and tile columns are primitive). */
export function columnTypes(schema: Schema, names: readonly string[]): IcebergType[] {
  return names.map((name) => schema.fields.find((field) => field.name === name)!.type);
}

/** The table's current schema cut to the read's columns; a missing one says how to fix it. */
export function onlineReadSchema(metadata: TableMetadata, columns: OnlineColumns, table: string): Schema {
  const schema = currentSchema(metadata);
  const fields = onlineColumnNames(columns).map((name) => {
    const field = schema.fields.find((candidate) => candidate.name === name);
    // Keys and times are primitive; a feature may be nested (its type is checked when the view is applied).
    const primitive = !columns.features.includes(name);
    if (!field || (primitive && typeof field.type !== 'string'))
      throw new FloeError(
        'invalid-input',
        `Online table ${table} has no ${field ? 'primitive ' : ''}column ${JSON.stringify(name)}; materialize the feature view again after changing its definition`,
        { context: { table, column: name } },
      );
    return field;
  });
  return { ...schema, fields, identifierFieldIds: [] };
}
