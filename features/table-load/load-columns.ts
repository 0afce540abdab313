/**
 * How a file's columns go into an Iceberg table: matched by name to the table's columns, each of
 * the table's type or of one that widens to it without loss (int → long, float → double, a decimal
 * to one of more precision and the same scale: Iceberg's type promotions), and
 * nanosecond timestamps (at the top or inside a list, map or struct) truncated to the microseconds
 * Iceberg v2 holds, each such column named. A struct whose fields share one type goes into a
 * map<string, that type> column, its field names the keys: how pandas writes a dict column, such
 * as Feast's template's Map feature.
 */
import { FloeError } from '../../core/errors.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { duckdbType } from '../../engine/types.js';
import type { IcebergType } from '../../iceberg/spec/types.js';
import { decimalParams } from '../../iceberg/spec/type-params.js';
import { typeText } from '../../iceberg/spec/types.js';
import type { LoadSource, SourceColumn } from './load-source.js';

/** A column whose nanosecond timestamps are written as microseconds (truncated). */
export interface TruncatedColumn {
  readonly column: string;
  readonly from: string;
  readonly to: string;
}

export interface LoadColumns {
  /** SQL of the rows to append: the table's columns by name (null for an optional column the file lacks). */
  readonly query: string;
  readonly truncated: readonly TruncatedColumn[];
}

/** What a file type may be appended to besides itself. */
const WIDENS_TO: Readonly<Record<string, string>> = {
  int: 'long',
  float: 'double',
  timestamp_ns: 'timestamp',
  timestamptz_ns: 'timestamptz',
};

/** The microsecond type a new table gets for a file's nanosecond timestamps. */
const MICROSECONDS: Readonly<Record<string, string>> = { timestamp_ns: 'timestamp', timestamptz_ns: 'timestamptz' };

/**
 * The file's rows as a new table's columns would hold them: nanosecond timestamps cast to
 * microseconds (zoned ones DuckDB reads as microseconds already). A column no Iceberg type holds
 * is refused, naming the file and column.
 */
export function newTableQuery(source: LoadSource, asMaps: ReadonlySet<string> = new Set()): string {
  const unsupported = source.columns.find((column) => column.type === undefined);
  if (unsupported !== undefined)
    throw new FloeError(
      'invalid-input',
      `${source.file}: column ${unsupported.name} is DuckDB type ${unsupported.duckdbType.toString()}, which no Iceberg type holds exactly; write it as another type (a long, double, decimal or string)`,
      { context: { file: source.file, column: unsupported.name } },
    );
  for (const name of asMaps) {
    const column = source.columns.find((candidate) => candidate.name === name);
    if (column === undefined || structAsMapType(column.type!) === undefined)
      throw new FloeError(
        'invalid-input',
        `${source.file}: --map ${name} asks for a map of a struct column whose fields share one type, but ${column === undefined ? `the file has no column ${name}` : `its column ${name} is ${typeText(column.type!)}`}`,
        { context: { file: source.file, column: name, field: '--map' } },
      );
  }
  const projection = source.columns.map((column) => {
    const type = column.type!;
    if (asMaps.has(column.name)) return `${structAsMap(column.name, type, structAsMapType(type)!)} AS ${q(column.name)}`;
    const microseconds = inMicroseconds(type);
    return typeText(microseconds) === typeText(type)
      ? q(column.name)
      : `CAST(${q(column.name)} AS ${duckdbType(microseconds)}) AS ${q(column.name)}`;
  });
  return `SELECT ${projection.join(', ')} FROM ${source.relation}`;
}

/** A type with every nanosecond timestamp in it (at the top or inside) made a microsecond one. */
export function inMicroseconds(type: IcebergType): IcebergType {
  if (typeof type === 'string') return (MICROSECONDS[type] as IcebergType | undefined) ?? type;
  switch (type.type) {
    case 'list':
      return { ...type, element: inMicroseconds(type.element) };
    case 'map':
      return { ...type, key: inMicroseconds(type.key), value: inMicroseconds(type.value) };
    case 'struct':
      return { ...type, fields: type.fields.map((field) => ({ ...field, type: inMicroseconds(field.type) })) };
  }
}

/** The map<string, T> a struct whose fields are all of type T (in microseconds) becomes, or undefined when it is no such struct. */
function structAsMapType(type: IcebergType): IcebergType | undefined {
  if (typeof type === 'string' || type.type !== 'struct' || type.fields.length === 0) return undefined;
  const [first] = type.fields.map((field) => typeText(inMicroseconds(field.type)));
  if (!type.fields.every((field) => typeText(inMicroseconds(field.type)) === first)) return undefined;
  return { type: 'map', keyId: 0, key: 'string', valueId: 0, value: inMicroseconds(type.fields[0]!.type), valueRequired: false };
}

/** SQL of a struct column as a map of its field names to their values, a field that is null left out (as Feast writes a Map). */
function structAsMap(name: string, struct: IcebergType, map: IcebergType): string {
  if (typeof struct === 'string' || struct.type !== 'struct' || typeof map === 'string' || map.type !== 'map')
    throw new Error('structAsMap of a struct and a map');
  const entries = struct.fields.map(
    (field) => `{'key': ${quoteLiteral(field.name)}, 'value': CAST(${q(name)}.${q(field.name)} AS ${duckdbType(map.value)})}`,
  );
  return `CASE WHEN ${q(name)} IS NULL THEN NULL ELSE map_from_entries(list_filter([${entries.join(', ')}], entry -> entry.value IS NOT NULL)) END`;
}

/**
 * The file's columns matched to the table's schema by name. Refuses (naming the file, table,
 * column and both types) a column the table does not have, a required column the file lacks, and
 * a column of another type than the table's that does not widen to it.
 */
export function loadColumns(source: LoadSource, schema: Schema, table: string): LoadColumns {
  const byName = new Map(source.columns.map((column) => [column.name, column]));
  const problems: string[] = [];
  let firstColumn: string | undefined;
  const problem = (column: string, text: string): void => {
    firstColumn ??= column;
    problems.push(text);
  };
  for (const column of source.columns)
    if (!schema.fields.some((field) => field.name === column.name))
      problem(column.name, `column ${column.name} (${sourceTypeText(column)}) is not a column of ${table}`);
  const truncated: TruncatedColumn[] = [];
  const projection: string[] = [];
  for (const field of schema.fields) {
    const column = byName.get(field.name);
    const wanted = typeText(field.type);
    if (column === undefined) {
      if (field.required) problem(field.name, `it has no column ${field.name}, which ${table} requires (${wanted})`);
      projection.push(`NULL AS ${q(field.name)}`);
      continue;
    }
    const given = sourceTypeText(column);
    const nested = column.type !== undefined && typeof column.type !== 'string';
    const inMicros = column.type === undefined ? given : typeText(inMicroseconds(column.type));
    const asMap = column.type === undefined ? undefined : structAsMapType(column.type);
    if (asMap !== undefined && typeof field.type !== 'string' && field.type.type === 'map' && typeText(asMap) === wanted) {
      projection.push(`${structAsMap(column.name, column.type!, field.type)} AS ${q(column.name)}`);
      if (inMicros !== given) truncated.push({ column: column.name, from: given, to: wanted });
      continue;
    }
    const widenedDecimal = column.type !== undefined && widensDecimal(column.type, field.type);
    projection.push(
      (nested && inMicros !== given) || widenedDecimal
        ? `CAST(${q(column.name)} AS ${duckdbType(field.type)}) AS ${q(column.name)}`
        : q(column.name),
    );
    if (given === 'timestamptz_ns' && wanted === 'timestamptz_ns')
      problem(
        column.name,
        `column ${column.name} is timestamptz_ns in the file and in ${table}, but DuckDB reads zoned nanosecond Parquet timestamps as microseconds, so they load into a timestamptz column only`,
      );
    else if (nested && wanted.includes('_ns'))
      problem(
        column.name,
        `column ${column.name} is ${given} in the file and ${wanted} in ${table}, but nanosecond timestamps inside a list, map or struct load into microsecond ones only`,
      );
    else if (given !== wanted && WIDENS_TO[given] !== wanted && !widenedDecimal && !(nested && inMicros === wanted))
      problem(column.name, `column ${column.name} is ${given} in the file and ${wanted} in ${table}`);
    else if (given !== wanted && (MICROSECONDS[given] === wanted || inMicros === wanted))
      truncated.push({ column: column.name, from: given, to: wanted });
  }
  if (problems.length > 0)
    throw new FloeError(
      'invalid-input',
      `${source.file} cannot be appended to ${table}: ${problems.join('; ')}. A column must have the table's type, or one that widens to it (int → long, float → double, decimal(P, S) → decimal(P', S) with P' > P, timestamp_ns → timestamp, timestamptz_ns → timestamptz, also inside lists, maps and structs; a struct whose fields share a type T → map<string,T>); ${table}'s columns are ${schema.fields.map((field) => `${field.name} ${typeText(field.type)}`).join(', ')}`,
      { context: { file: source.file, table, column: firstColumn } },
    );
  return { query: `SELECT ${projection.join(', ')} FROM ${source.relation}`, truncated };
}

/** Differences between the table a file would create and the one there: empty when they match (names and types, in any order). */
export function schemaDifferences(wanted: Schema, existing: Schema): string[] {
  const differences: string[] = [];
  for (const field of wanted.fields) {
    const found = existing.fields.find((candidate) => candidate.name === field.name);
    if (found === undefined) differences.push(`it has no column ${field.name}`);
    else if (typeText(found.type) !== typeText(field.type))
      differences.push(`its column ${field.name} is ${typeText(found.type)}, the file's ${typeText(field.type)}`);
  }
  for (const field of existing.fields)
    if (!wanted.fields.some((candidate) => candidate.name === field.name)) differences.push(`the file has no column ${field.name}`);
  return differences;
}

/** A file's decimal column into a table's decimal of more precision and the same scale: every value fits as it is. */
function widensDecimal(given: IcebergType, wanted: IcebergType): boolean {
  const from = decimalParams(given);
  const to = decimalParams(wanted);
  return from !== undefined && to !== undefined && to.scale === from.scale && to.precision > from.precision;
}

function sourceTypeText(column: SourceColumn): string {
  return column.type === undefined ? `DuckDB ${column.duckdbType.toString()}` : typeText(column.type);
}
