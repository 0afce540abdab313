/**
 * An Iceberg schema as DuckDB writes it to Parquet: which types it stores as the spec asks, and the
 * `FIELD_IDS` option that gives every column, nested ones included, its Iceberg field id.
 */
import { FloeError } from '../../core/errors.js';
import type { IcebergType, NestedField } from '../../iceberg/spec/types.js';
import { quoteLiteral } from '../sql.js';

/** Types whose DuckDB Parquet form is what the Iceberg spec asks for. */
export function assertWritable(type: IcebergType, name: string): void {
  if (typeof type === 'string') {
    if (type === 'timestamptz_ns' || type.startsWith('fixed[') || type === 'unknown') {
      throw new FloeError(
        'unsupported',
        `Column ${JSON.stringify(name)} has type ${type}, which DuckDB cannot write as the Iceberg spec stores it`,
        { context: { column: name } },
      );
    }
    return;
  }
  if (type.type === 'struct') for (const field of type.fields) assertWritable(field.type, `${name}.${field.name}`);
  else if (type.type === 'list') assertWritable(type.element, `${name}.element`);
  else {
    assertWritable(type.key, `${name}.key`);
    assertWritable(type.value, `${name}.value`);
  }
}

/** `FIELD_IDS {name: id, struct: {__duckdb_field_id: id, child: id}, list: {…, element: …}, map: {…, key: …, value: …}}`. */
export function fieldIdsLiteral(fields: readonly NestedField[]): string {
  return `{${fields.map((field) => `${quoteLiteral(field.name)}: ${fieldIdsFor(field.id, field.type)}`).join(', ')}}`;
}

function fieldIdsFor(id: number, type: IcebergType): string {
  if (typeof type === 'string') return String(id);
  const own = `__duckdb_field_id: ${id}`;
  switch (type.type) {
    case 'struct':
      return `{${[own, ...type.fields.map((field) => `${quoteLiteral(field.name)}: ${fieldIdsFor(field.id, field.type)}`)].join(', ')}}`;
    case 'list':
      return `{${own}, element: ${fieldIdsFor(type.elementId, type.element)}}`;
    case 'map':
      return `{${own}, key: ${fieldIdsFor(type.keyId, type.key)}, value: ${fieldIdsFor(type.valueId, type.value)}}`;
  }
}
