import { DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import { FloeError } from '../core/errors.js';
import type { Schema } from '../iceberg/spec/schema.js';
import type { IcebergType, NestedField, PrimitiveType } from '../iceberg/spec/types.js';
import { quoteIdentifier } from './sql.js';

const DECIMAL_PATTERN = /^decimal\((\d+),\s*(\d+)\)$/;
const FIXED_PATTERN = /^fixed\[(\d+)\]$/;

/**
 * The DuckDB type (as SQL text) that holds an Iceberg type's values.
 *
 * DuckDB has no zoned nanosecond timestamp: `timestamptz_ns` reads as TIMESTAMP_NS holding the
 * UTC instant. `unknown` (always null) reads as DuckDB's NULL type. `fixed[L]` reads as BLOB.
 */
export function duckdbType(type: IcebergType): string {
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'struct':
        return `STRUCT(${type.fields.map((field) => `${quoteIdentifier(field.name)} ${duckdbType(field.type)}`).join(', ')})`;
      case 'list':
        return `${duckdbType(type.element)}[]`;
      case 'map':
        return `MAP(${duckdbType(type.key)}, ${duckdbType(type.value)})`;
    }
  }
  return primitiveDuckdbType(type);
}

function primitiveDuckdbType(type: PrimitiveType): string {
  switch (type) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int':
      return 'INTEGER';
    case 'long':
      return 'BIGINT';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return 'TIMESTAMP_NS';
    case 'string':
      return 'VARCHAR';
    case 'uuid':
      return 'UUID';
    case 'binary':
      return 'BLOB';
    case 'unknown':
      return '"NULL"';
  }
  const decimal = DECIMAL_PATTERN.exec(type);
  if (decimal) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  if (FIXED_PATTERN.test(type)) return 'BLOB';
  throw new FloeError('unsupported', `Iceberg type ${JSON.stringify(type)} has no DuckDB equivalent`);
}

export interface ColumnShape {
  readonly name: string;
  readonly type: DuckDBType;
}

export interface SchemaFromColumnsOptions {
  /** Top-level columns that may not hold nulls (entity keys, event timestamps). Others are optional. */
  readonly requiredColumns?: readonly string[];
  /** Top-level columns that identify a row: they become the schema's identifier fields (and required). */
  readonly identifierColumns?: readonly string[];
  /** Names the source of the columns in error messages, e.g. the feature view. */
  readonly source?: string;
}

/**
 * An Iceberg schema shaped like a DuckDB query result, with fresh field ids: top-level columns
 * get 1..n in order, then nested fields are numbered breadth-first, as Iceberg's own
 * `assignFreshIds` does. Used to create an online table from a query's shape.
 */
export function schemaFromColumns(columns: readonly ColumnShape[], options: SchemaFromColumnsOptions = {}): Schema {
  const source = options.source ?? 'query result';
  const names = new Set<string>();
  for (const column of columns) {
    if (names.has(column.name)) {
      throw new FloeError(
        'invalid-input',
        `Column ${JSON.stringify(column.name)} appears twice in ${source}; Iceberg column names must be unique`,
        { context: { column: column.name } },
      );
    }
    names.add(column.name);
  }
  const required = new Set([...(options.requiredColumns ?? []), ...(options.identifierColumns ?? [])]);
  for (const name of required) {
    if (!names.has(name)) {
      throw new FloeError('invalid-input', `Column ${JSON.stringify(name)} is not in ${source}; its columns are ${[...names].join(', ')}`, {
        context: { column: name },
      });
    }
  }
  let nextId = 1;
  const takeId = (): number => nextId++;
  const topIds = columns.map(() => takeId());
  const fields: NestedField[] = columns.map((column, index) => ({
    id: topIds[index] as number,
    name: column.name,
    required: required.has(column.name),
    type: icebergType(column.type, takeId, `${source} column ${JSON.stringify(column.name)}`),
  }));
  const identifierFieldIds = (options.identifierColumns ?? []).map((name) => fields.find((field) => field.name === name)?.id as number);
  return { schemaId: 0, identifierFieldIds, fields };
}

/**
 * The Iceberg type holding a DuckDB column's values (nested fields numbered from 1), or a FloeError
 * of kind `unsupported` naming `where` when none holds them exactly.
 */
export function icebergTypeOf(type: DuckDBType, where: string): IcebergType {
  let nextId = 1;
  return icebergType(type, () => nextId++, where);
}

/** The Iceberg type for a DuckDB type, taking ids for nested fields from `takeId`. */
function icebergType(type: DuckDBType, takeId: () => number, where: string): IcebergType {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const elementId = takeId();
      return { type: 'list', elementId, element: icebergType(type.valueType, takeId, `${where} element`), elementRequired: false };
    }
    case DuckDBTypeId.MAP: {
      const keyId = takeId();
      const valueId = takeId();
      return {
        type: 'map',
        keyId,
        key: icebergType(type.keyType, takeId, `${where} key`),
        valueId,
        value: icebergType(type.valueType, takeId, `${where} value`),
        valueRequired: false,
      };
    }
    case DuckDBTypeId.STRUCT: {
      const ids = type.entryNames.map(() => takeId());
      return {
        type: 'struct',
        fields: type.entryNames.map((name, index) => ({
          id: ids[index] as number,
          name,
          required: false,
          type: icebergType(type.entryTypes[index] as DuckDBType, takeId, `${where} field ${JSON.stringify(name)}`),
        })),
      };
    }
    default: {
      const primitive = primitiveTypeOf(type);
      if (primitive) return primitive;
      throw new FloeError(
        'unsupported',
        `${where} has DuckDB type ${type.toString()}, which no Iceberg type holds exactly; cast it in the query (e.g. to BIGINT, DOUBLE, DECIMAL(38, s) or VARCHAR)`,
      );
    }
  }
}

/**
 * The Iceberg primitive type whose values a DuckDB type holds, for values handed to JS (scalar
 * functions). Narrow integers count as int and UINTEGER as long: both widen without loss.
 */
export function primitiveTypeOf(type: DuckDBType): PrimitiveType | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return 'int';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return 'long';
    case DuckDBTypeId.FLOAT:
      return 'float';
    case DuckDBTypeId.DOUBLE:
      return 'double';
    case DuckDBTypeId.DECIMAL:
      return `decimal(${type.width}, ${type.scale})`;
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIME:
      return 'time';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
      return 'timestamp';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamptz';
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'timestamp_ns';
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return 'string';
    case DuckDBTypeId.UUID:
      return 'uuid';
    case DuckDBTypeId.BLOB:
      return 'binary';
    default:
      return undefined;
  }
}
