import { FloeError } from '../../core/errors.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import { LAST_UPDATED_SEQUENCE_NUMBER_FIELD, ROW_ID_FIELD } from '../../iceberg/spec/row-lineage-fields.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { quoteIdentifier as q } from '../sql.js';

/** With `rowLineage`: the v3 row lineage columns, under the spec's names, after the plan's columns. */
export const ROW_ID_COLUMN = ROW_ID_FIELD.name;
export const LAST_UPDATED_SEQUENCE_NUMBER_COLUMN = LAST_UPDATED_SEQUENCE_NUMBER_FIELD.name;

/** The lineage values a data file may store itself (rows a rewrite carried over), read by field id like any column. */
export const STORED_ROW_LINEAGE_FIELDS: readonly NestedField[] = [ROW_ID_FIELD, LAST_UPDATED_SEQUENCE_NUMBER_FIELD];

/** A table column under a lineage column's name would make the output ambiguous: refused by name. */
export function requireLineageNamesFree(schema: Schema, table: string | undefined): void {
  for (const name of [ROW_ID_COLUMN, LAST_UPDATED_SEQUENCE_NUMBER_COLUMN]) {
    if (schema.fields.some((field) => field.name === name)) {
      throw new FloeError(
        'invalid-input',
        `Table ${table ?? '(unnamed)'} has a column named ${name}, the name of a row lineage metadata column; read it without row lineage`,
        { context: { table, column: name } },
      );
    }
  }
}

/**
 * The row lineage output columns (spec: "Row Lineage"): a row's stored value when its file has one,
 * else `_row_id` = the file's first_row_id + the row's position in the file (null when the file
 * has no first_row_id: written before the table was v3), and `_last_updated_sequence_number` =
 * the file's data sequence number. Positions count every row of the file, deleted ones too.
 *
 * @param tasks the plan's tasks, in the order `dataIndex` (0-based) indexes them
 * @param stored SQL of a stored lineage field as read from the file (null when the file lacks it)
 * @param position SQL of the row's position in its file
 */
export function rowLineageColumns(
  tasks: readonly ScanTask[],
  stored: (field: NestedField) => string,
  position: string,
  dataIndex: string,
): string[] {
  const firstRowIds = bigintList(tasks.map((task) => task.dataFile.firstRowId ?? null));
  const sequenceNumbers = bigintList(tasks.map((task) => BigInt(task.dataSequenceNumber)));
  return [
    `COALESCE(${stored(ROW_ID_FIELD)}, ${firstRowIds}[${dataIndex} + 1] + CAST(${position} AS BIGINT)) AS ${q(ROW_ID_COLUMN)}`,
    `COALESCE(${stored(LAST_UPDATED_SEQUENCE_NUMBER_FIELD)}, ${sequenceNumbers}[${dataIndex} + 1]) AS ${q(LAST_UPDATED_SEQUENCE_NUMBER_COLUMN)}`,
  ];
}

/** The lineage columns of a plan without files: typed, never a row. */
export function emptyRowLineageColumns(): string[] {
  return [`CAST(NULL AS BIGINT) AS ${q(ROW_ID_COLUMN)}`, `CAST(NULL AS BIGINT) AS ${q(LAST_UPDATED_SEQUENCE_NUMBER_COLUMN)}`];
}

function bigintList(values: readonly (bigint | null)[]): string {
  return `CAST([${values.map((value) => (value === null ? 'NULL' : value.toString())).join(', ')}] AS BIGINT[])`;
}
