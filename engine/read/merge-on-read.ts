/**
 * The SQL of a read plan with deletes: the data files' rows, deletion vectors applied as a bit per
 * row (or, past their budget, as positions), position deletes anti-joined on (data file, row
 * position), equality deletes anti-joined on their columns — all inside one DuckDB query, never
 * JS-side.
 */
import { FloeError } from '../../core/errors.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { isDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import { holdsBits } from '../deletes/deleted-rows-form.js';
import {
  onlyReferencedPath,
  POSITION_DELETE_FILE_PATH_FIELD_ID,
  POSITION_DELETE_POS_FIELD_ID,
} from '../../iceberg/spec/position-deletes.js';
import { parquetSchemaArgument, fieldIdColumn } from './parquet-schema-map.js';
import type { FieldIdColumn } from './parquet-schema-map.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../sql.js';
import { duckdbType } from '../types.js';
import { appliesToAllOlder, assertUnique, collectDeletes, groupByEqualityIds } from '../deletes/delete-files.js';
import type { DeleteFileEntry, EqualityGroup } from '../deletes/delete-files.js';
import { cardinalityArgument, dataIndexSql, internalName, requireParquet } from './file-groups.js';
import type { FileGroup, PositionDeletes, ReadShape } from './file-groups.js';
import type { ReadPlanOptions } from './read-plan-options.js';

/** The query as it is built: common table expressions, then the anti-joins chained after the rows. */
interface QueryParts {
  readonly ctes: string[];
  readonly antiJoins: string[];
}

/**
 * Each row knows its data file by `__floe_data`, its task's index (from `file_index`, its position
 * in the list handed to read_parquet): no per-row join on file names, and a file's sequence number
 * is a list lookup.
 */
export function mergeOnReadSql(
  plan: ScanPlan,
  groups: readonly FileGroup[],
  options: ReadPlanOptions,
  read: ReadShape,
  projection: string,
): string {
  const tasks = plan.tasks;
  const dataPaths = tasks.map((task) => options.localPath(task.dataFile.filePath));
  assertUnique(
    tasks.map((task) => task.dataFile.filePath),
    'data file',
  );
  assertUnique(dataPaths, 'local copy of a data file');
  const positionDeletes = collectDeletes(tasks, 'positionDeletes', options.localPath);
  const equalityDeletes = collectDeletes(tasks, 'equalityDeletes', options.localPath);
  const equalityGroups = groupByEqualityIds([...equalityDeletes.values()], plan.schema, options.tableSchema);
  const rowsOf = dataRowsSql(groups, dataPaths, read, equalityGroups, options.rowPositions === true || options.rowLineage === true);
  const parts: QueryParts = { ctes: [], antiJoins: [] };
  const bits: DeleteFileEntry[] = [];
  const positions: DeleteFileEntry[] = [];
  for (const entry of positionDeletes.values()) (isDeletionVector(entry.file) && holdsBits(entry.localPath) ? bits : positions).push(entry);
  const rows = rowsOf('none');
  if (bits.length > 0) rows.unshift(vectorDeletedRows(parts, bits, rowsOf('bits')));
  if (positions.length > 0) rows.unshift(positionDeletedRows(parts, tasks, positions, rowsOf('positions')));
  parts.ctes.push(`${q('__floe_rows')} AS (${rows.join(' UNION ALL ')})`);
  const dataSequences = sequenceList(tasks.map((task) => task.dataSequenceNumber));
  equalityGroups.forEach((group, groupIndex) => equalityAntiJoins(parts, tasks, group, groupIndex, dataSequences));
  // Anti-joins chain: each removes the rows its deletes name.
  return `WITH ${parts.ctes.join(',\n')}\nSELECT ${projection} FROM ${q('__floe_rows')} AS d\n${parts.antiJoins.join('\n')}`;
}

/**
 * The scans of the groups whose files a position delete applies to (or not), each row with its
 * `__floe_data` and `file_row_number`. Every column the anti-joins compare is read too.
 */
function dataRowsSql(
  groups: readonly FileGroup[],
  dataPaths: readonly string[],
  read: ReadShape,
  equalityGroups: readonly EqualityGroup[],
  outputsRowNumbers: boolean,
): (positionDeletes: PositionDeletes) => string[] {
  const dataColumns = new Map<number, FieldIdColumn>();
  for (const field of read.fields) dataColumns.set(field.id, fieldIdColumn(field, internalName(field.id)));
  for (const group of equalityGroups) {
    for (const field of group.fields) {
      if (!dataColumns.has(field.id)) dataColumns.set(field.id, fieldIdColumn(field, internalName(field.id)));
    }
  }
  const schemaArgument = dataColumns.size === 0 ? '' : `, ${parquetSchemaArgument([...dataColumns.values()])}`;
  const groupRows = (group: FileGroup): string => {
    const paths = dataPaths.slice(group.offset, group.offset + group.tasks.length);
    const files = group.tasks.map((task) => task.dataFile);
    // Row numbers only where a delete or the output needs them: generating them cost 5% of a
    // scan. A scan of no column by id reads every column, so it keeps them too.
    const rowNumbers = group.positionDeletes !== 'none' || outputsRowNumbers || dataColumns.size === 0;
    const columns = rowNumbers ? '*' : `*, CAST(NULL AS BIGINT) AS ${q('file_row_number')}`;
    return (
      `SELECT ${columns}, ${dataIndexSql(group, 'file_index')} AS ${q('__floe_data')} ` +
      `FROM read_parquet(${quoteLiteralList(paths)}${schemaArgument}${rowNumbers ? ', file_row_number = true' : ''}${cardinalityArgument(files)})${group.where}`
    );
  };
  // A residual filters its rows before the anti-joins: deletes only remove rows, so the order is free.
  return (positionDeletes) => groups.filter((group) => group.positionDeletes === positionDeletes).map(groupRows);
}

/**
 * The rows of the files with deletion vectors, less those their vectors delete: each vector's local
 * file (deletion-vectors.ts) is read whole as a BIT of one bit per row of its data file, joined to
 * that file's rows by data index, and a row is kept when its bit is clear.
 */
function vectorDeletedRows(parts: QueryParts, vectors: readonly DeleteFileEntry[], rows: readonly string[]): string {
  const dataIndexes: number[] = [];
  for (const entry of vectors) {
    const [dataIndex] = entry.appliesTo;
    if (dataIndex === undefined || entry.appliesTo.size !== 1) {
      throw new FloeError(
        'internal',
        `The deletion vector in ${entry.file.filePath} applies to ${entry.appliesTo.size} data files, not one`,
      );
    }
    dataIndexes.push(dataIndex);
  }
  const paths = quoteLiteralList(vectors.map((entry) => entry.localPath));
  parts.ctes.push(
    `${q('__floe_vectors')} AS (SELECT [${dataIndexes.join(', ')}][CAST(file_index AS BIGINT) + 1] AS ${q('__floe_data')}, ` +
      `CAST(content AS BIT) AS ${q('__floe_deleted')} FROM read_blob(${paths}))`,
  );
  return (
    `SELECT d.* FROM (${rows.join(' UNION ALL ')}) AS d JOIN ${q('__floe_vectors')} AS v ON d.${q('__floe_data')} = v.${q('__floe_data')} ` +
    `WHERE get_bit(v.${q('__floe_deleted')}, CAST(d.${q('file_row_number')} AS INTEGER)) = 0`
  );
}

/**
 * The rows of the files with position delete files (or deletion vectors kept as positions), less
 * the positions they delete.
 */
function positionDeletedRows(
  parts: QueryParts,
  tasks: readonly ScanTask[],
  files: readonly DeleteFileEntry[],
  rows: readonly string[],
): string {
  for (const entry of files) if (!isDeletionVector(entry.file)) requireParquet(entry.file, 'position delete');
  const indexOfPath = new Map(tasks.map((task, index) => [task.dataFile.filePath, index]));
  // A file whose entry names the one data file it holds deletes of is read for its positions
  // alone; the others have each row's path joined to the data files they apply to. A deletion
  // vector always names its one data file.
  const single: { entry: DeleteFileEntry; dataIndex: number }[] = [];
  const vectors: { entry: DeleteFileEntry; dataIndex: number }[] = [];
  const named: DeleteFileEntry[] = [];
  for (const entry of files) {
    const only = onlyReferencedPath(entry.file);
    if (only === undefined) named.push(entry);
    else {
      const dataIndex = indexOfPath.get(only);
      if (dataIndex !== undefined && entry.appliesTo.has(dataIndex))
        (isDeletionVector(entry.file) ? vectors : single).push({ entry, dataIndex });
    }
  }
  const deleted: string[] = [];
  if (vectors.length > 0) deleted.push(vectorPositionsSql(vectors));
  if (single.length > 0) {
    const column: FieldIdColumn = { fieldId: POSITION_DELETE_POS_FIELD_ID, name: '__floe_pos', type: 'BIGINT' };
    const dataIndexes = `[${single.map(({ dataIndex }) => dataIndex).join(', ')}]`;
    deleted.push(
      `SELECT ${dataIndexes}[CAST(p.file_index AS BIGINT) + 1] AS ${q('__floe_data')}, p.${q('__floe_pos')} ` +
        `FROM read_parquet(${quoteLiteralList(single.map(({ entry }) => entry.localPath))}, ${parquetSchemaArgument([column])}${cardinalityArgument(single.map(({ entry }) => entry.file))}) AS p`,
    );
  }
  if (named.length > 0) deleted.push(namedPositionsSql(parts, tasks, named));
  const none = `SELECT CAST(NULL AS BIGINT) AS ${q('__floe_data')}, CAST(NULL AS BIGINT) AS ${q('__floe_pos')} WHERE false`;
  parts.ctes.push(`${q('__floe_pos_deleted')} AS (${deleted.length === 0 ? none : deleted.join(' UNION ALL ')})`);
  // Only the files a position delete applies to are probed: probing the others' rows too cost
  // a tenth of a scan where half the files had position deletes.
  return (
    `SELECT d.* FROM (${rows.join(' UNION ALL ')}) AS d ` +
    `ANTI JOIN ${q('__floe_pos_deleted')} AS pd ON d.${q('__floe_data')} = pd.${q('__floe_data')} AND d.${q('file_row_number')} = pd.${q('__floe_pos')}`
  );
}

/**
 * The (data file, position) pairs of deletion vectors kept as positions (deletion-vectors.ts), each
 * file's index mapped to its data file's.
 */
function vectorPositionsSql(vectors: readonly { entry: DeleteFileEntry; dataIndex: number }[]): string {
  const dataIndexes = `[${vectors.map(({ dataIndex }) => dataIndex).join(', ')}]`;
  const paths = quoteLiteralList(vectors.map(({ entry }) => entry.localPath));
  return (
    `SELECT ${dataIndexes}[CAST(v.file_index AS BIGINT) + 1] AS ${q('__floe_data')}, v.${q('__floe_pos')} ` +
    `FROM read_parquet(${paths}${cardinalityArgument(vectors.map(({ entry }) => entry.file))}) AS v`
  );
}

/**
 * The (data file, position) pairs of position delete files that may name several data files: a
 * position delete names its data file by the location in the manifest; only the rows whose delete
 * file applies to that data file are kept, keyed by the data file's index.
 */
function namedPositionsSql(parts: QueryParts, tasks: readonly ScanTask[], named: readonly DeleteFileEntry[]): string {
  const applies: string[] = [];
  named.forEach((entry, index) => {
    for (const dataIndex of entry.appliesTo) {
      const task = tasks[dataIndex] as ScanTask;
      applies.push(`(${index}, ${quoteLiteral(task.dataFile.filePath)}, ${dataIndex})`);
    }
  });
  const columns: FieldIdColumn[] = [
    { fieldId: POSITION_DELETE_FILE_PATH_FIELD_ID, name: '__floe_path', type: 'VARCHAR' },
    { fieldId: POSITION_DELETE_POS_FIELD_ID, name: '__floe_pos', type: 'BIGINT' },
  ];
  parts.ctes.push(
    `${q('__floe_pos_applies')}(${q('__floe_delete')}, ${q('__floe_path')}, ${q('__floe_data')}) AS (VALUES ${applies.join(', ')})`,
  );
  return (
    `SELECT a.${q('__floe_data')}, p.${q('__floe_pos')} ` +
    `FROM read_parquet(${quoteLiteralList(named.map((entry) => entry.localPath))}, ${parquetSchemaArgument(columns)}${cardinalityArgument(named.map((entry) => entry.file))}) AS p ` +
    `JOIN ${q('__floe_pos_applies')} AS a ON a.${q('__floe_delete')} = CAST(p.file_index AS BIGINT) AND a.${q('__floe_path')} = p.${q('__floe_path')}`
  );
}

/** The anti-joins of one group of equality delete files (same equality columns). */
function equalityAntiJoins(
  parts: QueryParts,
  tasks: readonly ScanTask[],
  group: EqualityGroup,
  groupIndex: number,
  dataSequences: string,
): void {
  for (const entry of group.files) requireParquet(entry.file, 'equality delete');
  const keyColumns = group.fields.map((field) => ({ fieldId: field.id, name: internalName(field.id), type: duckdbType(field.type) }));
  const keyMatch = keyColumns.map((column) => `d.${q(column.name)} IS NOT DISTINCT FROM e.${q(column.name)}`).join(' AND ');
  const keyList = keyColumns.map((column) => `r.${q(column.name)}`).join(', ');
  // Most equality deletes apply to every older data file (an unpartitioned delete): one
  // sequence-number comparison says so, and the anti-join stays a hash join on the keys.
  // The rest (partition-scoped) are joined to the explicit data files they apply to.
  const global: DeleteFileEntry[] = [];
  const scoped: DeleteFileEntry[] = [];
  for (const entry of group.files) (appliesToAllOlder(entry, tasks) ? global : scoped).push(entry);
  const readDeletes = (files: DeleteFileEntry[]): string =>
    `SELECT ${keyList}, CAST(r.file_index AS BIGINT) AS ${q('__floe_delete')} ` +
    `FROM read_parquet(${quoteLiteralList(files.map((entry) => entry.localPath))}, ${parquetSchemaArgument(keyColumns)}${cardinalityArgument(files.map((entry) => entry.file))}) AS r`;
  if (global.length > 0) {
    const name = q(`__floe_eq${groupIndex}_all`);
    const deleteSequence = `${sequenceList(global.map((entry) => entry.sequenceNumber))}[${q('__floe_delete')} + 1]`;
    parts.ctes.push(`${name} AS (SELECT *, ${deleteSequence} AS ${q('__floe_delete_seq')} FROM (${readDeletes(global)}))`);
    parts.antiJoins.push(
      `ANTI JOIN ${name} AS e ON ${keyMatch} AND ${dataSequences}[d.${q('__floe_data')} + 1] < e.${q('__floe_delete_seq')}`,
    );
  }
  if (scoped.length > 0) {
    const pairs: string[] = [];
    scoped.forEach((entry, index) => {
      for (const dataIndex of entry.appliesTo) pairs.push(`(${index}, ${dataIndex})`);
    });
    const pairsName = q(`__floe_eq${groupIndex}_pairs`);
    const name = q(`__floe_eq${groupIndex}_scoped`);
    parts.ctes.push(`${pairsName}(${q('__floe_delete')}, ${q('__floe_data')}) AS (VALUES ${pairs.join(', ')})`);
    parts.ctes.push(
      `${name} AS (SELECT r.*, p.${q('__floe_data')} FROM (${readDeletes(scoped)}) AS r JOIN ${pairsName} AS p USING (${q('__floe_delete')}))`,
    );
    // "Same data file" as two comparisons, not `=`: DuckDB hashes on every `=` of a join, and
    // hashing each data row's file index too cost more than checking it after a key matches.
    const data = (alias: string): string => `${alias}.${q('__floe_data')}`;
    parts.antiJoins.push(`ANTI JOIN ${name} AS e ON ${keyMatch} AND ${data('d')} >= ${data('e')} AND ${data('d')} <= ${data('e')}`);
  }
}

/** Sequence numbers as a DuckDB BIGINT list literal, indexed by file position (1-based in SQL). */
function sequenceList(values: readonly number[]): string {
  return `[${values.map(bigintLiteral).join(', ')}]`;
}

function bigintLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new FloeError('invalid-input', `Sequence number ${value} is not an integer`);
  return `${value}::BIGINT`;
}
