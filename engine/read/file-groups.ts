/** How a read plan reads its data files: the columns, the filter, and the files grouped by what is left of it. */
import { FloeError } from '../../core/errors.js';
import type { BoundExpression, BoundReference } from '../../iceberg/expressions/bound.js';
import { metricsResidual } from '../../iceberg/expressions/metrics-residual.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import { isDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { IcebergType, NestedField } from '../../iceberg/spec/types.js';
import { filterSql } from './filter-sql.js';
import { quoteIdentifier as q } from '../sql.js';

/** What the data files are read for: the projected columns plus those only the filter needs, and the filter. */
export interface ReadShape {
  readonly fields: NestedField[];
  readonly filter: BoundExpression | undefined;
}

/**
 * Data files that share a residual filter (metrics-residual.ts): what is left of the plan's filter
 * once each file's metrics have ruled. Each group is one Parquet scan with its own WHERE, so a file
 * whose rows all match is read without the filter (and without the columns only it needed).
 */
export interface FileGroup {
  readonly tasks: readonly ScanTask[];
  /** The index of its first task in the plan's tasks taken group after group. */
  readonly offset: number;
  /** ` WHERE <residual>` over the columns as read, or '' when every row of its files matches. */
  readonly where: string;
  /** How position deletes apply to its files. */
  readonly positionDeletes: PositionDeletes;
}

/** How a group's rows are deleted by position: none are, anti-joined positions, or deletion vectors' bits. */
export type PositionDeletes = 'none' | 'positions' | 'bits';

/** `vectorHoldsBits` says whether a deletion vector is kept as bits or as positions (deletion-vectors.ts). */
export function fileGroups(tasks: readonly ScanTask[], read: ReadShape, vectorHoldsBits: (vector: DataFile) => boolean): FileGroup[] {
  const byKey = new Map<string, { where: string; positionDeletes: PositionDeletes; tasks: ScanTask[] }>();
  for (const task of tasks) {
    const residual = read.filter === undefined ? undefined : metricsResidual(read.filter, task.dataFile);
    const where = residual === undefined || residual.op === 'true' ? '' : whereClause({ ...read, filter: residual }, '');
    const positionDeletes = positionDeletesOf(task, vectorHoldsBits);
    const key = `${positionDeletes}:${where}`;
    const group = byKey.get(key);
    if (group) group.tasks.push(task);
    else byKey.set(key, { where, positionDeletes, tasks: [task] });
  }
  let offset = 0;
  return [...byKey.values()].map((group) => {
    const placed = { ...group, offset };
    offset += group.tasks.length;
    return placed;
  });
}

function positionDeletesOf(task: ScanTask, vectorHoldsBits: (vector: DataFile) => boolean): PositionDeletes {
  const [first] = task.positionDeletes;
  if (first === undefined) return 'none';
  return isDeletionVector(first.file) && vectorHoldsBits(first.file) ? 'bits' : 'positions';
}

/** `file_index` of a group's scan as an index into the plan's tasks. */
export function dataIndexSql(group: FileGroup, fileIndex: string): string {
  return group.offset === 0 ? `CAST(${fileIndex} AS BIGINT)` : `(CAST(${fileIndex} AS BIGINT) + ${group.offset})`;
}

/** ` WHERE <filter>` over the columns as read (under internal names), or nothing. */
export function whereClause(read: ReadShape, alias: string): string {
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
export function filterOnlyFields(filter: BoundExpression, schema: Schema, tableSchema: Schema | undefined): NestedField[] {
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

/**
 * The files' row count from the manifests, for DuckDB's optimizer: reading by field id
 * (`schema = MAP`) leaves it without an estimate (it sees a handful of rows), so it would build
 * joins' hash tables on the largest side, such as a table's data files against its deletes.
 */
export function cardinalityArgument(files: readonly DataFile[]): string {
  const rows = files.reduce((sum, file) => sum + file.recordCount, 0);
  return rows > 0 ? `, explicit_cardinality = ${rows}` : '';
}

export function requireParquet(file: DataFile, what: string): void {
  if (file.fileFormat !== 'PARQUET') {
    throw new FloeError('unsupported', `Floe reads ${what} files in Parquet only, not ${file.fileFormat}`, {
      context: { file: file.filePath },
    });
  }
}

/** Columns travel under internal names inside the query, so users' names can never collide with ours. */
export function internalName(fieldId: number): string {
  return `__floe_c${fieldId}`;
}
