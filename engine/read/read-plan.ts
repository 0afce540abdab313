import { FloeError } from '../../core/errors.js';
import type { BoundExpression, BoundReference } from '../../iceberg/expressions/bound.js';
import { metricsResidual } from '../../iceberg/expressions/metrics-residual.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { filterSql } from './filter-sql.js';
import { fieldIdColumn, parquetSchemaArgument } from './parquet-schema-map.js';
import {
  cardinalityArgument,
  dataIndexSql,
  fileGroups,
  filterOnlyFields,
  internalName,
  requireParquet,
  whereClause,
} from './file-groups.js';
import { holdsBits } from '../deletes/deleted-rows-form.js';
import { deletionVectorKey } from '../deletes/deletion-vectors.js';
import type { FileGroup, ReadShape } from './file-groups.js';
import { mergeOnReadSql } from './merge-on-read.js';
import { ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from './read-plan-options.js';
import type { ReadPlanOptions } from './read-plan-options.js';
import { requireReadableColumns } from './readable-columns.js';
import { emptyRowLineageColumns, requireLineageNamesFree, rowLineageColumns, STORED_ROW_LINEAGE_FIELDS } from './row-lineage.js';
import { quoteIdentifier as q, quoteLiteralList } from '../sql.js';
import { duckdbType } from '../types.js';

export { ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from './read-plan-options.js';
export type { ReadPlanOptions } from './read-plan-options.js';

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
 * encode partition scoping) and checked against those rules. A v3 deletion vector is a position
 * delete too: its positions, decoded by localizePlan (engine/deletes/deletion-vectors.ts), are
 * anti-joined like a position delete file's, and it replaces the data file's position delete files.
 *
 * The plan's bound filter (ScanPlan.filter) is applied to every row, before the projection, so
 * its columns are read even when the plan does not project them (filter-sql.ts gives its meaning).
 * A file's rows are filtered by what its metrics leave of the filter (metrics-residual.ts): a
 * day-partitioned file inside a time range is read without the time test or the time column.
 *
 * Limits: DuckDB matches top-level columns by field id but fields inside a struct by name, so a
 * struct field renamed after a file was written reads as NULL from that file (or fails the cast
 * when no field of the struct still matches). Equality deletes on struct fields are refused.
 * Data and delete files must be Parquet (no Avro/ORC), or Puffin deletion vectors.
 */
export function readPlanSql(plan: ScanPlan, options: ReadPlanOptions): string {
  const outputs = plan.schema.fields.map((field) => ({ field, internal: internalName(field.id) }));
  if (outputs.length === 0 && !options.rowPositions && !options.rowLineage) {
    throw new FloeError('invalid-input', 'The scan plan projects no columns; ask for at least one column', {
      context: { snapshotId: plan.snapshotId ?? undefined },
    });
  }
  const filter = plan.filter !== undefined && plan.filter.op !== 'true' ? plan.filter : undefined;
  const read: ReadShape = { fields: [...plan.schema.fields], filter };
  if (filter) read.fields.push(...filterOnlyFields(filter, plan.schema, options.tableSchema));
  requireReadableColumns(read.fields, options.table);
  if (options.rowLineage) {
    requireLineageNamesFree(plan.schema, options.table);
    read.fields.push(...STORED_ROW_LINEAGE_FIELDS);
  }
  const hasDeletes = plan.tasks.some((task) => task.positionDeletes.length > 0 || task.equalityDeletes.length > 0);
  // Without deletes, one Parquet scan with the whole filter: DuckDB writes a UNION ALL of scans
  // (CREATE TABLE AS, COPY) on one thread, twice the time of one scan on bench pit's views.
  const groups = hasDeletes
    ? fileGroups(plan.tasks, read, (vector) => holdsBits(options.localPath(deletionVectorKey(vector))))
    : [{ tasks: plan.tasks, offset: 0, where: whereClause(read, ''), positionDeletes: 'none' as const }];
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
      ...(options.rowLineage
        ? rowLineageColumns(ordered.tasks, (field) => `${alias}${q(internalName(field.id))}`, `${alias}${q('file_row_number')}`, dataIndex)
        : []),
    ].join(', ');
  let body: string;
  if (plan.tasks.length === 0) {
    const nulls = [
      ...plan.schema.fields.map((field) => `CAST(NULL AS ${duckdbType(field.type)}) AS ${q(field.name)}`),
      ...(options.rowPositions
        ? [`CAST(NULL AS VARCHAR) AS ${q(ROW_FILE_PATH_COLUMN)}`, `CAST(NULL AS BIGINT) AS ${q(ROW_POSITION_COLUMN)}`]
        : []),
      ...(options.rowLineage ? emptyRowLineageColumns() : []),
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

/** No delete applies: one Parquet scan of every file, with the plan's filter. */
function copyOnWriteSql(group: FileGroup, options: ReadPlanOptions, read: ReadShape, projection: (dataIndex: string) => string): string {
  const columns = read.fields.map((field) => fieldIdColumn(field, internalName(field.id)));
  // Positions need file_row_number; a plan that reads no column at all still needs one to scan.
  const rowNumbers = options.rowPositions || options.rowLineage ? ', file_row_number = true' : '';
  const schemaArgument = columns.length === 0 ? '' : `, ${parquetSchemaArgument(columns)}`;
  const paths = group.tasks.map((task) => options.localPath(task.dataFile.filePath));
  const files = group.tasks.map((task) => task.dataFile);
  return `SELECT ${projection(dataIndexSql(group, 'file_index'))} FROM read_parquet(${quoteLiteralList(paths)}${schemaArgument}${rowNumbers}${cardinalityArgument(files)})${group.where}`;
}
