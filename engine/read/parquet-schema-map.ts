import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { initialDefaultText } from './initial-defaults.js';
import { quoteIdentifier, quoteLiteral } from '../sql.js';
import { duckdbType } from '../types.js';

/** One column DuckDB should find in Parquet files by Iceberg field id, under an internal name. */
export interface FieldIdColumn {
  readonly fieldId: number;
  /** The name the column gets in DuckDB's output. */
  readonly name: string;
  /** DuckDB type text: file values are cast to it (int → long, float → double, decimal widening). */
  readonly type: string;
  /** SQL for the value when a file has no column with this id (a column added later); NULL by default. */
  readonly defaultValue?: string;
}

/**
 * The `schema = MAP {…}` argument of `read_parquet`, which matches file columns by the field id
 * written in the Parquet schema rather than by name: a renamed column still reads, an added one
 * reads as its default, a dropped one is simply not asked for. DuckDB matches only top-level
 * columns by id; fields inside a struct are matched by name.
 */
export function parquetSchemaArgument(columns: readonly FieldIdColumn[]): string {
  if (columns.length === 0) throw new FloeError('internal', 'read_parquet needs at least one column to read');
  const entries = columns.map(
    (column) =>
      `${column.fieldId}: {name: ${quoteLiteral(column.name)}, type: ${quoteLiteral(column.type)}, default_value: ${column.defaultValue ?? 'NULL::VARCHAR'}}`,
  );
  return `schema = MAP {${entries.join(', ')}}`;
}

/** The field's column as read from data files: its v3 initial default fills files written before it existed. */
export function fieldIdColumn(field: NestedField, name: string): FieldIdColumn {
  const column: FieldIdColumn = { fieldId: field.id, name, type: duckdbType(field.type) };
  const initialDefault = initialDefaultText(field);
  // As VARCHAR, cast by DuckDB to the column's type: every entry of the schema MAP has one value type.
  return initialDefault === undefined ? column : { ...column, defaultValue: `${quoteLiteral(initialDefault)}::VARCHAR` };
}

/**
 * Whether a Parquet file reads the same by column name as by field id: each of `fields` is a
 * top-level column of the file under its own name and id, and DuckDB reads it by name as the type
 * the field-id read gives. A file written before a rename, under another id, or with a type that
 * the field-id read would cast is not. Reading by name skips DuckDB's id mapping, about a sixth
 * of a point read of one row group (online-table-reader.ts asks once per file).
 */
export async function readsByName(connection: DuckDBConnection, localPath: string, fields: readonly NestedField[]): Promise<boolean> {
  if (fields.length === 0) return false;
  const file = quoteLiteral(localPath);
  const elements = (await connection.runAndReadAll(`SELECT name, field_id, num_children FROM parquet_schema(${file})`)).getRows();
  const ids = new Map<string, number | null>();
  // Depth-first rows: the root, then each top-level column followed by its subtree.
  const subtreeEnd = (index: number): number => {
    let next = index + 1;
    for (let child = 0; child < Number(elements[index]?.[2] ?? 0); child++) next = subtreeEnd(next);
    return next;
  };
  for (let index = 1; index < elements.length; index = subtreeEnd(index)) {
    const [name, fieldId] = elements[index]!;
    ids.set(String(name), fieldId === null ? null : Number(fieldId));
  }
  if (!fields.every((field) => ids.get(field.name) === field.id)) return false;
  const typesOf = async (sql: string): Promise<string[]> =>
    (await connection.runAndReadAll(`DESCRIBE ${sql}`)).getRows().map(([, type]) => String(type));
  const byName = await typesOf(`SELECT ${fields.map((field) => quoteIdentifier(field.name)).join(', ')} FROM read_parquet(${file})`);
  const byId = await typesOf(
    `SELECT * FROM read_parquet(${file}, ${parquetSchemaArgument(fields.map((field) => fieldIdColumn(field, `c${field.id}`)))})`,
  );
  return byName.length === byId.length && byName.every((type, index) => type === byId[index]);
}
