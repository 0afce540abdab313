import { FloeError } from '../iceberg/errors.js';
import type { BoundExpression, BoundReference } from '../iceberg/expressions/bound.js';
import { metricsResidual } from '../iceberg/expressions/metrics-residual.js';
import type { ScanPlan, ScanTask } from '../iceberg/scan/plan.js';
import type { DataFile } from '../iceberg/spec/manifest.js';
import { onlyReferencedPath, POSITION_DELETE_FILE_PATH_FIELD_ID, POSITION_DELETE_POS_FIELD_ID } from '../iceberg/spec/position-deletes.js';
import { findField } from '../iceberg/spec/schema.js';
import type { Schema } from '../iceberg/spec/schema.js';
import type { IcebergType, NestedField } from '../iceberg/spec/types.js';
import { filterSql } from './filter-sql.js';
import { fieldIdColumn, parquetSchemaArgument } from './parquet-schema-map.js';
import type { FieldIdColumn } from './parquet-schema-map.js';
import { duckdbErrorReason, quoteIdentifier as q, quoteLiteral, quoteLiteralList } from './sql.js';
import { duckdbType } from './types.js';

/** With `rowPositions`: each row's data file (its location in the manifest) and position in it. */
export const ROW_FILE_PATH_COLUMN = '__floe_file_path';
export const ROW_POSITION_COLUMN = '__floe_pos';

export interface ReadPlanOptions {
  /** The local path holding a file's bytes, by the location the manifest records (FileIO's `localize`). */
  readonly localPath: (location: string) => string;
  /**
   * A row filter in SQL over the plan's column names, already quoted by the caller through
   * `quoteIdentifier` / `quoteLiteral`. DuckDB pushes it down into the Parquet scans.
   */
  readonly rowFilter?: string;
  /**
   * The snapshot's full schema, for the types of equality-delete columns that the plan's
   * (projected) schema leaves out. Without it those columns must be in the plan's schema.
   */
  readonly tableSchema?: Schema;
  /**
   * Also output ROW_FILE_PATH_COLUMN and ROW_POSITION_COLUMN (BIGINT, 0-based): what a position
   * delete of the row records.
   */
  readonly rowPositions?: boolean;
  /** The table read (`namespace.table`), named when one of its files turns out to be corrupt. */
  readonly table?: string;
}

/**
 * SQL for the rows of a scan plan, with the plan's schema (column names and types), usable as
 * `FROM (<sql>)` or in `CREATE TEMP VIEW … AS <sql>`. Nothing is read until DuckDB runs it, and
 * rows stream through DuckDB: deletes are anti-joins inside the query, never JS-side.
 *
 * Merge-on-read follows the spec's "Scan Planning" rules, as the plan's tasks record them:
 * a position delete removes row `pos` of the data file whose ORIGINAL location is `file_path`,
 * when the delete's data sequence number is ≥ the data file's; an equality delete removes rows
 * whose equality columns are null-safe equal to a delete row, when its data sequence number is
 * strictly greater. Which delete applies to which data file is taken from the tasks (they already
 * encode partition scoping) and checked against those rules.
 *
 * The plan's bound filter (ScanPlan.filter) is applied to every row, before the projection, so
 * its columns are read even when the plan does not project them (filter-sql.ts gives its meaning).
 * A file's rows are filtered by what its metrics leave of the filter (metrics-residual.ts): a
 * day-partitioned file inside a time range is read without the time test or the time column.
 *
 * Limits: DuckDB matches top-level columns by field id but fields inside a struct by name, so a
 * struct field renamed after a file was written reads as NULL from that file (or fails the cast
 * when no field of the struct still matches). Equality deletes on struct fields are refused.
 * Data and delete files must be Parquet (no Avro/ORC, no v3 deletion vectors).
 */
export function readPlanSql(plan: ScanPlan, givenOptions: ReadPlanOptions): string {
  const options: ReadPlanOptions = {
    ...givenOptions,
    localPath: (location) => {
      const path = givenOptions.localPath(location);
      rememberReadFile(path, { location, table: givenOptions.table });
      return path;
    },
  };
  const outputs = plan.schema.fields.map((field) => ({ field, internal: internalName(field.id) }));
  if (outputs.length === 0 && !options.rowPositions) {
    throw new FloeError('invalid-input', 'The scan plan projects no columns; ask for at least one column', {
      context: { snapshotId: plan.snapshotId ?? undefined },
    });
  }
  const filter = plan.filter !== undefined && plan.filter.op !== 'true' ? plan.filter : undefined;
  const read: ReadShape = { fields: [...plan.schema.fields], filter };
  if (filter) read.fields.push(...filterOnlyFields(filter, plan.schema, options.tableSchema));
  const hasDeletes = plan.tasks.some((task) => task.positionDeletes.length > 0 || task.equalityDeletes.length > 0);
  // Without deletes, one Parquet scan with the whole filter: DuckDB writes a UNION ALL of scans
  // (CREATE TABLE AS, COPY) on one thread, twice the time of one scan on bench pit's views.
  const groups = hasDeletes
    ? fileGroups(plan.tasks, read)
    : [{ tasks: plan.tasks, offset: 0, where: whereClause(read, ''), positionDeleted: false }];
  // Tasks in group order: a row's data index (`file_index` plus its group's offset) indexes this list.
  const ordered: ScanPlan = { ...plan, tasks: groups.flatMap((group) => group.tasks) };
  const paths = quoteLiteralList(ordered.tasks.map((task) => task.dataFile.filePath));
  const projection = (alias: string, dataIndex: string): string =>
    [
      ...outputs.map(({ field, internal }) => `${alias}${q(internal)} AS ${q(field.name)}`),
      ...(options.rowPositions
        ? [
            `${paths}[${dataIndex} + 1] AS ${q(ROW_FILE_PATH_COLUMN)}`,
            `CAST(${alias}${q('file_row_number')} AS BIGINT) AS ${q(ROW_POSITION_COLUMN)}`,
          ]
        : []),
    ].join(', ');
  let body: string;
  if (plan.tasks.length === 0) {
    const nulls = [
      ...plan.schema.fields.map((field) => `CAST(NULL AS ${duckdbType(field.type)}) AS ${q(field.name)}`),
      ...(options.rowPositions
        ? [`CAST(NULL AS VARCHAR) AS ${q(ROW_FILE_PATH_COLUMN)}`, `CAST(NULL AS BIGINT) AS ${q(ROW_POSITION_COLUMN)}`]
        : []),
    ].join(', ');
    body = `SELECT ${nulls} WHERE false`;
  } else {
    for (const task of plan.tasks) requireParquet(task.dataFile, 'data');
    body = hasDeletes
      ? mergeOnReadSql(ordered, groups, options, read, projection('d.', `d.${q('__floe_data')}`))
      : copyOnWriteSql(groups[0]!, options, read, (dataIndex) => projection('', dataIndex));
  }
  if (options.rowFilter === undefined) return body;
  return `SELECT * FROM (${body}) AS ${q('__floe_scan')} WHERE (${options.rowFilter})`;
}

/**
 * The rows of one data file that no delete applies to, by column name, filtered by what its metrics
 * leave of `filter` (over top-level columns among `names`): for a file `readsByName` accepts, the
 * rows and types readPlanSql's field-id read gives, without the id mapping.
 */
export function fileByNameSql(
  task: ScanTask,
  names: readonly string[],
  filter: BoundExpression | undefined,
  options: ReadPlanOptions,
): string {
  if (task.positionDeletes.length + task.equalityDeletes.length > 0) {
    throw new FloeError('internal', 'A file with deletes is read through readPlanSql', { context: { file: task.dataFile.filePath } });
  }
  requireParquet(task.dataFile, 'data');
  const localPath = options.localPath(task.dataFile.filePath);
  rememberReadFile(localPath, { location: task.dataFile.filePath, table: options.table });
  const residual = filter === undefined ? undefined : metricsResidual(filter, task.dataFile);
  const column = (reference: BoundReference): string => {
    if (reference.path.length !== 1 || !names.includes(reference.column)) {
      throw new FloeError('internal', `The filter's column ${reference.column} is not among the columns read by name`, {
        context: { fieldId: reference.fieldId },
      });
    }
    return q(reference.column);
  };
  const where = residual === undefined || residual.op === 'true' ? '' : ` WHERE ${filterSql(residual, column)}`;
  return `SELECT ${names.map((name) => q(name)).join(', ')} FROM read_parquet(${quoteLiteralList([localPath])})${where}`;
}

/** What the data files are read for: the projected columns plus those only the filter needs, and the filter. */
interface ReadShape {
  readonly fields: NestedField[];
  readonly filter: BoundExpression | undefined;
}

/**
 * Data files that share a residual filter (metrics-residual.ts): what is left of the plan's filter
 * once each file's metrics have ruled. Each group is one Parquet scan with its own WHERE, so a file
 * whose rows all match is read without the filter (and without the columns only it needed).
 */
interface FileGroup {
  readonly tasks: readonly ScanTask[];
  /** The index of its first task in the plan's tasks taken group after group. */
  readonly offset: number;
  /** ` WHERE <residual>` over the columns as read, or '' when every row of its files matches. */
  readonly where: string;
  /** Whether a position delete applies to its files: the others skip that anti-join. */
  readonly positionDeleted: boolean;
}

function fileGroups(tasks: readonly ScanTask[], read: ReadShape): FileGroup[] {
  const byKey = new Map<string, { where: string; positionDeleted: boolean; tasks: ScanTask[] }>();
  for (const task of tasks) {
    const residual = read.filter === undefined ? undefined : metricsResidual(read.filter, task.dataFile);
    const where = residual === undefined || residual.op === 'true' ? '' : whereClause({ ...read, filter: residual }, '');
    const positionDeleted = task.positionDeletes.length > 0;
    const key = `${positionDeleted ? 'p' : '-'}${where}`;
    const group = byKey.get(key);
    if (group) group.tasks.push(task);
    else byKey.set(key, { where, positionDeleted, tasks: [task] });
  }
  let offset = 0;
  return [...byKey.values()].map((group) => {
    const placed = { ...group, offset };
    offset += group.tasks.length;
    return placed;
  });
}

/** `file_index` of a group's scan as an index into the plan's tasks. */
function dataIndexSql(group: FileGroup, fileIndex: string): string {
  return group.offset === 0 ? `CAST(${fileIndex} AS BIGINT)` : `(CAST(${fileIndex} AS BIGINT) + ${group.offset})`;
}

/** ` WHERE <filter>` over the columns as read (under internal names), or nothing. */
function whereClause(read: ReadShape, alias: string): string {
  if (!read.filter) return '';
  return ` WHERE ${filterSql(read.filter, (reference) => columnSql(reference, read.fields, alias))}`;
}

/** SQL reading a filter's field: a top-level column by its internal name, a struct field by name below it. */
function columnSql(reference: BoundReference, fields: readonly NestedField[], alias: string): string {
  for (const field of fields) {
    const names = namesTo(field, reference.fieldId);
    if (names) return [`${alias}${q(internalName(field.id))}`, ...names.map((name) => q(name))].join('.');
  }
  throw new FloeError('internal', `The filter's column ${reference.column} (field id ${reference.fieldId}) is not among the columns read`, {
    context: { fieldId: reference.fieldId },
  });
}

/** The struct field names from a top-level field down to `fieldId` ([] for the field itself); undefined when not inside it. */
function namesTo(field: NestedField, fieldId: number): string[] | undefined {
  if (field.id === fieldId) return [];
  const type: IcebergType = field.type;
  if (typeof type === 'string' || type.type !== 'struct') return undefined;
  for (const child of type.fields) {
    const below = namesTo(child, fieldId);
    if (below) return [child.name, ...below];
  }
  return undefined;
}

/** Top-level columns the filter reads that the plan does not project: read too, never output. */
function filterOnlyFields(filter: BoundExpression, schema: Schema, tableSchema: Schema | undefined): NestedField[] {
  const extra = new Map<number, NestedField>();
  const visit = (expression: BoundExpression): void => {
    if (expression.op === 'true' || expression.op === 'false') return;
    if (expression.op === 'and' || expression.op === 'or') {
      expression.args.forEach(visit);
      return;
    }
    const reference = expression.term;
    const inSchema = (fields: readonly NestedField[]): NestedField | undefined =>
      fields.find((field) => namesTo(field, reference.fieldId) !== undefined);
    if (inSchema(schema.fields) || inSchema([...extra.values()])) return;
    const top = tableSchema ? inSchema(tableSchema.fields) : undefined;
    if (top) extra.set(top.id, top);
    else if (reference.path.length === 1)
      extra.set(reference.fieldId, { id: reference.fieldId, name: reference.column, required: false, type: reference.type });
    else {
      throw new FloeError(
        'invalid-input',
        `The filter reads nested field ${reference.column} (id ${reference.fieldId}), whose column is neither projected nor in the table schema given to the reader`,
        {
          context: { fieldId: reference.fieldId },
        },
      );
    }
  };
  visit(filter);
  return [...extra.values()];
}

/** No delete applies: one Parquet scan of every file, with the plan's filter. */
function copyOnWriteSql(group: FileGroup, options: ReadPlanOptions, read: ReadShape, projection: (dataIndex: string) => string): string {
  const columns = read.fields.map((field) => fieldIdColumn(field, internalName(field.id)));
  // Positions need file_row_number; a plan that reads no column at all still needs one to scan.
  const rowNumbers = options.rowPositions ? ', file_row_number = true' : '';
  const schemaArgument = columns.length === 0 ? '' : `, ${parquetSchemaArgument(columns)}`;
  const paths = group.tasks.map((task) => options.localPath(task.dataFile.filePath));
  const files = group.tasks.map((task) => task.dataFile);
  return `SELECT ${projection(dataIndexSql(group, 'file_index'))} FROM read_parquet(${quoteLiteralList(paths)}${schemaArgument}${rowNumbers}${cardinalityArgument(files)})${group.where}`;
}

/**
 * The files' row count from the manifests, for DuckDB's optimizer: reading by field id
 * (`schema = MAP`) leaves it without an estimate (it sees a handful of rows), so it would build
 * joins' hash tables on the largest side, such as a table's data files against its deletes.
 */
function cardinalityArgument(files: readonly DataFile[]): string {
  const rows = files.reduce((sum, file) => sum + file.recordCount, 0);
  return rows > 0 ? `, explicit_cardinality = ${rows}` : '';
}

interface DeleteFileEntry {
  readonly file: DataFile;
  readonly sequenceNumber: number;
  readonly localPath: string;
  /** Indexes of the data files (tasks) it applies to. */
  readonly appliesTo: Set<number>;
}

function mergeOnReadSql(
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
  const positionDeletes = collectDeletes(tasks, 'positionDeletes', options);
  const equalityDeletes = collectDeletes(tasks, 'equalityDeletes', options);

  // Every column the anti-joins compare must be read from the data files too.
  const dataColumns = new Map<number, FieldIdColumn>();
  for (const field of read.fields) dataColumns.set(field.id, fieldIdColumn(field, internalName(field.id)));
  const equalityGroups = groupByEqualityIds([...equalityDeletes.values()], plan.schema, options.tableSchema);
  for (const group of equalityGroups) {
    for (const field of group.fields) {
      if (!dataColumns.has(field.id)) dataColumns.set(field.id, fieldIdColumn(field, internalName(field.id)));
    }
  }
  // Each row knows its file by `file_index`, its position in the list handed to read_parquet:
  // no per-row join on file names, and a file's sequence number is a list lookup.
  const ctes: string[] = [];
  const dataSequences = sequenceList(tasks.map((task) => task.dataSequenceNumber));
  const schemaArgument = dataColumns.size === 0 ? '' : `, ${parquetSchemaArgument([...dataColumns.values()])}`;
  const groupRows = (group: FileGroup): string => {
    const paths = dataPaths.slice(group.offset, group.offset + group.tasks.length);
    const files = group.tasks.map((task) => task.dataFile);
    return (
      `SELECT *, ${dataIndexSql(group, 'file_index')} AS ${q('__floe_data')} ` +
      `FROM read_parquet(${quoteLiteralList(paths)}${schemaArgument}, file_row_number = true${cardinalityArgument(files)})${group.where}`
    );
  };
  // A residual filters its rows before the anti-joins: deletes only remove rows, so the order is free.
  const rowsOf = (positionDeleted: boolean): string[] => groups.filter((group) => group.positionDeleted === positionDeleted).map(groupRows);
  const clean = rowsOf(false);
  const antiJoins: string[] = [];

  if (positionDeletes.size > 0) {
    const files = [...positionDeletes.values()];
    for (const entry of files) requireParquet(entry.file, 'position delete');
    const indexOfPath = new Map(tasks.map((task, index) => [task.dataFile.filePath, index]));
    // A file whose entry names the one data file it holds deletes of is read for its positions
    // alone; the others have each row's path joined to the data files they apply to.
    const single: { entry: DeleteFileEntry; dataIndex: number }[] = [];
    const named: DeleteFileEntry[] = [];
    for (const entry of files) {
      const only = onlyReferencedPath(entry.file);
      if (only === undefined) named.push(entry);
      else {
        const dataIndex = indexOfPath.get(only);
        if (dataIndex !== undefined && entry.appliesTo.has(dataIndex)) single.push({ entry, dataIndex });
      }
    }
    const deleted: string[] = [];
    if (single.length > 0) {
      const column: FieldIdColumn = { fieldId: POSITION_DELETE_POS_FIELD_ID, name: '__floe_pos', type: 'BIGINT' };
      const dataIndexes = `[${single.map(({ dataIndex }) => dataIndex).join(', ')}]`;
      deleted.push(
        `SELECT ${dataIndexes}[CAST(p.file_index AS BIGINT) + 1] AS ${q('__floe_data')}, p.${q('__floe_pos')} ` +
          `FROM read_parquet(${quoteLiteralList(single.map(({ entry }) => entry.localPath))}, ${parquetSchemaArgument([column])}${cardinalityArgument(single.map(({ entry }) => entry.file))}) AS p`,
      );
    }
    if (named.length > 0) {
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
      ctes.push(
        `${q('__floe_pos_applies')}(${q('__floe_delete')}, ${q('__floe_path')}, ${q('__floe_data')}) AS (VALUES ${applies.join(', ')})`,
      );
      // A position delete names its data file by the location in the manifest; keep only the rows
      // whose delete file applies to that data file, keyed by the data file's index.
      deleted.push(
        `SELECT a.${q('__floe_data')}, p.${q('__floe_pos')} ` +
          `FROM read_parquet(${quoteLiteralList(named.map((entry) => entry.localPath))}, ${parquetSchemaArgument(columns)}${cardinalityArgument(named.map((entry) => entry.file))}) AS p ` +
          `JOIN ${q('__floe_pos_applies')} AS a ON a.${q('__floe_delete')} = CAST(p.file_index AS BIGINT) AND a.${q('__floe_path')} = p.${q('__floe_path')}`,
      );
    }
    const none = `SELECT CAST(NULL AS BIGINT) AS ${q('__floe_data')}, CAST(NULL AS BIGINT) AS ${q('__floe_pos')} WHERE false`;
    ctes.push(`${q('__floe_pos_deleted')} AS (${deleted.length === 0 ? none : deleted.join(' UNION ALL ')})`);
    // Only the files a position delete applies to are probed: probing the others' rows too cost
    // a tenth of a scan where half the files had position deletes.
    const probed =
      `SELECT d.* FROM (${rowsOf(true).join(' UNION ALL ')}) AS d ` +
      `ANTI JOIN ${q('__floe_pos_deleted')} AS pd ON d.${q('__floe_data')} = pd.${q('__floe_data')} AND d.${q('file_row_number')} = pd.${q('__floe_pos')}`;
    ctes.push(`${q('__floe_rows')} AS (${[probed, ...clean].join(' UNION ALL ')})`);
  } else {
    ctes.push(`${q('__floe_rows')} AS (${clean.join(' UNION ALL ')})`);
  }

  equalityGroups.forEach((group, groupIndex) => {
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
      ctes.push(`${name} AS (SELECT *, ${deleteSequence} AS ${q('__floe_delete_seq')} FROM (${readDeletes(global)}))`);
      antiJoins.push(`ANTI JOIN ${name} AS e ON ${keyMatch} AND ${dataSequences}[d.${q('__floe_data')} + 1] < e.${q('__floe_delete_seq')}`);
    }
    if (scoped.length > 0) {
      const pairs: string[] = [];
      scoped.forEach((entry, index) => {
        for (const dataIndex of entry.appliesTo) pairs.push(`(${index}, ${dataIndex})`);
      });
      const pairsName = q(`__floe_eq${groupIndex}_pairs`);
      const name = q(`__floe_eq${groupIndex}_scoped`);
      ctes.push(`${pairsName}(${q('__floe_delete')}, ${q('__floe_data')}) AS (VALUES ${pairs.join(', ')})`);
      ctes.push(
        `${name} AS (SELECT r.*, p.${q('__floe_data')} FROM (${readDeletes(scoped)}) AS r JOIN ${pairsName} AS p USING (${q('__floe_delete')}))`,
      );
      // "Same data file" as two comparisons, not `=`: DuckDB hashes on every `=` of a join, and
      // hashing each data row's file index too cost more than checking it after a key matches.
      const data = (alias: string): string => `${alias}.${q('__floe_data')}`;
      antiJoins.push(`ANTI JOIN ${name} AS e ON ${keyMatch} AND ${data('d')} >= ${data('e')} AND ${data('d')} <= ${data('e')}`);
    }
  });

  // Anti-joins chain: each removes the rows its deletes name.
  return `WITH ${ctes.join(',\n')}\nSELECT ${projection} FROM ${q('__floe_rows')} AS d\n${antiJoins.join('\n')}`;
}

/** Sequence numbers as a DuckDB BIGINT list literal, indexed by file position (1-based in SQL). */
function sequenceList(values: readonly number[]): string {
  return `[${values.map(bigintLiteral).join(', ')}]`;
}

/** Equality delete files grouped by their equality field ids, with those fields' current types. */
function groupByEqualityIds(entries: readonly DeleteFileEntry[], schema: Schema, tableSchema: Schema | undefined): EqualityGroup[] {
  const groups = new Map<string, EqualityGroup>();
  for (const entry of entries) {
    const ids = [...(entry.file.equalityIds ?? [])].sort((a, b) => a - b);
    if (ids.length === 0) {
      throw new FloeError('corrupt', 'An equality delete file lists no equality field ids', { context: { file: entry.file.filePath } });
    }
    const key = ids.join(',');
    let group = groups.get(key);
    if (!group) {
      group = { fields: ids.map((id) => equalityField(id, schema, tableSchema, entry.file.filePath)), files: [] };
      groups.set(key, group);
    }
    group.files.push(entry);
  }
  return [...groups.values()];
}

interface EqualityGroup {
  readonly fields: readonly NestedField[];
  readonly files: DeleteFileEntry[];
}

/** Every distinct delete file of one kind, with the data files the tasks apply it to. */
function collectDeletes(
  tasks: readonly ScanTask[],
  kind: 'positionDeletes' | 'equalityDeletes',
  options: ReadPlanOptions,
): Map<string, DeleteFileEntry> {
  const entries = new Map<string, DeleteFileEntry>();
  tasks.forEach((task, dataIndex) => {
    for (const ref of task[kind]) {
      const expected = kind === 'positionDeletes' ? 'position-deletes' : 'equality-deletes';
      if (ref.file.content !== expected) {
        throw new FloeError('invalid-input', `A ${ref.file.content} file is listed among a task's ${kind}`, {
          context: { file: ref.file.filePath, dataFile: task.dataFile.filePath },
        });
      }
      const applies =
        kind === 'positionDeletes' ? ref.dataSequenceNumber >= task.dataSequenceNumber : ref.dataSequenceNumber > task.dataSequenceNumber;
      if (!applies) {
        throw new FloeError(
          'invalid-input',
          `The plan applies a ${expected} file with data sequence number ${ref.dataSequenceNumber} to a data file with data sequence number ${task.dataSequenceNumber}, which the spec forbids (position deletes need ≥, equality deletes >)`,
          { context: { file: ref.file.filePath, dataFile: task.dataFile.filePath } },
        );
      }
      let entry = entries.get(ref.file.filePath);
      if (!entry) {
        entry = {
          file: ref.file,
          sequenceNumber: ref.dataSequenceNumber,
          localPath: options.localPath(ref.file.filePath),
          appliesTo: new Set(),
        };
        entries.set(ref.file.filePath, entry);
      } else if (entry.sequenceNumber !== ref.dataSequenceNumber) {
        throw new FloeError(
          'invalid-input',
          `Delete file appears with data sequence numbers ${entry.sequenceNumber} and ${ref.dataSequenceNumber}`,
          { context: { file: ref.file.filePath } },
        );
      }
      entry.appliesTo.add(dataIndex);
    }
  });
  return entries;
}

/** Whether an equality delete applies to exactly the data files with a smaller sequence number. */
function appliesToAllOlder(entry: DeleteFileEntry, tasks: readonly ScanTask[]): boolean {
  let older = 0;
  for (const task of tasks) if (task.dataSequenceNumber < entry.sequenceNumber) older++;
  return older === entry.appliesTo.size;
}

function equalityField(fieldId: number, schema: Schema, tableSchema: Schema | undefined, file: string): NestedField {
  const topLevel = schema.fields.find((field) => field.id === fieldId) ?? tableSchema?.fields.find((field) => field.id === fieldId);
  if (topLevel) return topLevel;
  const nested = findField(schema, fieldId) ?? (tableSchema ? findField(tableSchema, fieldId) : undefined);
  if (nested) {
    throw new FloeError(
      'unsupported',
      `Equality delete on nested field ${JSON.stringify(nested.name)} (id ${fieldId}): Floe matches equality deletes on top-level columns only`,
      {
        context: { file, fieldId },
      },
    );
  }
  throw new FloeError(
    'invalid-input',
    `Equality delete field id ${fieldId} is not in the plan's schema; pass the table schema to read deletes on columns the scan does not project`,
    {
      context: { file, fieldId },
    },
  );
}

function requireParquet(file: DataFile, what: string): void {
  if (file.fileFormat !== 'PARQUET') {
    throw new FloeError('unsupported', `Floe reads ${what} files in Parquet only, not ${file.fileFormat}`, {
      context: { file: file.filePath },
    });
  }
}

function assertUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new FloeError('invalid-input', `The scan plan lists the same ${what} twice`, { context: { file: value } });
    seen.add(value);
  }
}

function bigintLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new FloeError('invalid-input', `Sequence number ${value} is not an integer`);
  return `${value}::BIGINT`;
}

/** Columns travel under internal names inside the query, so users' names can never collide with ours. */
function internalName(fieldId: number): string {
  return `__floe_c${fieldId}`;
}

/** A table file whose local copy a plan's SQL reads. */
interface ReadFile {
  readonly location: string;
  readonly table: string | undefined;
}

/**
 * The local paths the latest plans read, newest last: DuckDB's errors name local copies (or no
 * file at all), and a corrupt file must be reported by its location and table.
 */
const readFiles = new Map<string, ReadFile>();
const READ_FILES_REMEMBERED = 1024;

function rememberReadFile(path: string, file: ReadFile): void {
  readFiles.delete(path);
  readFiles.set(path, file);
  if (readFiles.size > READ_FILES_REMEMBERED) readFiles.delete(readFiles.keys().next().value!);
}

/** What DuckDB says when a Parquet file's footer, page headers or pages do not decode. */
const CORRUPT_PARQUET =
  /No magic bytes found|too small to be a Parquet file|not a Parquet file|TProtocolException|Invalid Parquet|Corrupt|Invalid data|(snappy|zstd|gzip|lz4|brotli).*(decompress|fail)|decompress/i;

/** How many remembered files a failed query's corrupt file is looked for among. */
const PROBED_FILES = 256;

/**
 * A DuckDB error that says a Parquet file is unreadable, as a non-retryable `corrupt` FloeError
 * naming the file's location and table; undefined for any other error. When DuckDB's message names
 * no file (a page header that does not decode), the files the latest plans read are each read in
 * full with `readsCleanly` until the broken one is found.
 */
export async function corruptParquetError(
  error: unknown,
  readsCleanly: (localPath: string) => Promise<boolean>,
): Promise<FloeError | undefined> {
  if (!(error instanceof Error) || FloeError.is(error) || !CORRUPT_PARQUET.test(error.message)) return undefined;
  const reason = duckdbErrorReason(error);
  const candidates = [...readFiles.entries()].reverse().slice(0, PROBED_FILES);
  let found = candidates.find(([path]) => error.message.includes(path));
  if (found === undefined) {
    for (const candidate of candidates) {
      if (!(await readsCleanly(candidate[0]))) {
        found = candidate;
        break;
      }
    }
  }
  const expected =
    'expected a Parquet file with the PAR1 magic, a readable footer and decodable pages; it is corrupt or truncated, and reading it again will not help';
  if (found === undefined) {
    return new FloeError('corrupt', `A Parquet file read by the query is unreadable (${stripPaths(reason)}): ${expected}`, {
      cause: error,
      retryable: false,
    });
  }
  const [, file] = found;
  const owner = file.table === undefined ? '' : ` of table ${file.table}`;
  return new FloeError(
    'corrupt',
    `Data file ${file.location}${owner} is not a readable Parquet file (${stripPaths(reason)}): ${expected}`,
    {
      context: { table: file.table, file: file.location },
      cause: error,
      retryable: false,
    },
  );
}

/** DuckDB's reason without its "LINE 1: <sql>" part or the local cache paths of other files. */
function stripPaths(reason: string): string {
  let text = reason;
  for (const [path, file] of readFiles) text = text.split(path).join(file.location);
  return text;
}
