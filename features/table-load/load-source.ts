import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation } from '../../engine/describe.js';
import { duckdbErrorReason, quoteLiteral } from '../../engine/sql.js';
import { icebergTypeOf } from '../../engine/types.js';
import type { IcebergType } from '../../iceberg/spec/types.js';

export type LoadFormat = 'parquet' | 'csv';

export interface SourceColumn {
  readonly name: string;
  readonly duckdbType: DuckDBType;
  /**
   * The Iceberg type of the values as the file holds them, or undefined when none holds them.
   * `timestamptz_ns` for Parquet's `timestamp[ns, tz=UTC]` (at the top or inside a list, map or
   * struct), though DuckDB hands those over as microseconds already.
   */
  readonly type: IcebergType | undefined;
}

/** A file to load, as DuckDB reads it. */
export interface LoadSource {
  /** The file as it was given, for messages. */
  readonly file: string;
  readonly format: LoadFormat;
  /** SQL reading its rows. */
  readonly relation: string;
  readonly columns: readonly SourceColumn[];
}

const FORMATS: Readonly<Record<string, LoadFormat>> = { '.parquet': 'parquet', '.csv': 'csv' };

/** The format of a file to load, from its extension; a missing file is `not-found`. */
export async function loadFormatOf(file: string): Promise<LoadFormat> {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (format === undefined)
    throw new FloeError('invalid-input', `${file}: floe table load reads .parquet and .csv files`, { context: { file } });
  try {
    await access(file);
  } catch {
    throw new FloeError('not-found', `${file}: no such file`, { context: { file } });
  }
  return format;
}

/** The hex SHA-256 of a file's bytes: what makes a load of the same file the same load. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Opens a Parquet or CSV file with DuckDB and describes its columns. A CSV's column types are
 * DuckDB's sniffing, except for the columns `declaredTypes` names (DuckDB type SQL by column):
 * those are parsed as that type, so a value that is not one is refused with its line.
 */
export async function openLoadSource(
  connection: DuckDBConnection,
  file: string,
  format: LoadFormat,
  declaredTypes: ReadonlyMap<string, string> = new Map(),
): Promise<LoadSource> {
  const absolute = path.resolve(file);
  try {
    if (format === 'parquet') {
      const relation = `read_parquet(${quoteLiteral(absolute)})`;
      const nanoseconds = await zonedNanosecondLeaves(connection, absolute);
      const described = await describeRelation(connection, `SELECT * FROM ${relation}`, `file ${file}`);
      return { file, format, relation, columns: described.map((column) => sourceColumn(column, nanoseconds.get(column.name) ?? [])) };
    }
    const sniffed = await describeRelation(connection, `SELECT * FROM read_csv(${quoteLiteral(absolute)})`, `file ${file}`);
    const declared = sniffed.filter((column) => declaredTypes.has(column.name));
    const types = declared.map((column) => `${quoteLiteral(column.name)}: ${quoteLiteral(declaredTypes.get(column.name)!)}`);
    const relation = `read_csv(${quoteLiteral(absolute)}${types.length === 0 ? '' : `, types = {${types.join(', ')}}`})`;
    const described = declared.length === 0 ? sniffed : await describeRelation(connection, `SELECT * FROM ${relation}`, `file ${file}`);
    return { file, format, relation, columns: described.map((column) => sourceColumn(column, [])) };
  } catch (error) {
    throw unreadable(file, format, error);
  }
}

/** A DuckDB error met reading the file, as one naming it. */
function unreadable(file: string, format: LoadFormat, error: unknown): FloeError {
  if (FloeError.is(error) && error.context['file'] !== undefined) return error;
  const message = FloeError.is(error) ? error.detail : error instanceof Error ? error.message : String(error);
  return new FloeError('invalid-input', `${file} cannot be read as ${format}: ${duckdbReadingReason(message)}`, {
    context: { file },
    cause: error,
  });
}

/**
 * What DuckDB says went wrong reading a file: its first line, and for a CSV value it could not
 * convert, the line naming the column and value (the first only says which line of the file).
 */
export function duckdbReadingReason(message: string): string {
  const converting = /^Error when converting column .*$/m.exec(message)?.[0];
  const first = duckdbErrorReason(
    message.replace(/^(DuckDB cannot plan the [^:]*|The rows to write do not fit the table's column types): /, ''),
  );
  return converting === undefined ? first : `${first}: ${converting}`;
}

function sourceColumn(column: { name: string; type: DuckDBType }, zonedNanosecondLeaves: readonly boolean[]): SourceColumn {
  if (zonedNanosecondLeaves[0] === true && column.type.typeId === DuckDBTypeId.TIMESTAMP_TZ)
    return { name: column.name, duckdbType: column.type, type: 'timestamptz_ns' };
  let type: IcebergType | undefined;
  try {
    type = icebergTypeOf(column.type, column.name);
  } catch (error) {
    if (!FloeError.is(error, 'unsupported')) throw error;
  }
  if (type !== undefined && typeof type !== 'string' && zonedNanosecondLeaves.includes(true))
    type = markZonedNanoseconds(type, [...zonedNanosecondLeaves]);
  return { name: column.name, duckdbType: column.type, type };
}

/**
 * A nested type whose timestamptz leaves the file holds as nanoseconds (`leaves`: one flag per
 * primitive leaf, in the Parquet schema's depth-first order, which is the type's own) made
 * timestamptz_ns, so the load can say it truncates them as it says so of a top-level column.
 */
function markZonedNanoseconds(type: IcebergType, leaves: boolean[]): IcebergType {
  if (typeof type === 'string') return leaves.shift() === true && type === 'timestamptz' ? 'timestamptz_ns' : type;
  switch (type.type) {
    case 'list':
      return { ...type, element: markZonedNanoseconds(type.element, leaves) };
    case 'map': {
      const key = markZonedNanoseconds(type.key, leaves);
      return { ...type, key, value: markZonedNanoseconds(type.value, leaves) };
    }
    case 'struct':
      return { ...type, fields: type.fields.map((field) => ({ ...field, type: markZonedNanoseconds(field.type, leaves) })) };
  }
}

/**
 * Per top-level column of a Parquet file, which of its primitive leaves (depth-first) are zoned
 * nanosecond timestamps (what pandas and pyarrow write for `timestamp[ns, tz=UTC]`). DuckDB reads
 * them as TIMESTAMPTZ, microseconds, so only the file's own schema tells them from microsecond ones.
 */
async function zonedNanosecondLeaves(connection: DuckDBConnection, file: string): Promise<Map<string, boolean[]>> {
  const rows = (
    await connection.runAndReadAll(`SELECT name, num_children, logical_type FROM parquet_schema(${quoteLiteral(file)})`)
  ).getRowObjectsJS();
  const found = new Map<string, boolean[]>();
  // Depth-first: the root, then each top-level column followed by its subtree.
  const walk = (index: number, leaves: boolean[]): number => {
    const children = Number(rows[index]?.['num_children'] ?? 0);
    if (children === 0) {
      const logical = String(rows[index]?.['logical_type'] ?? '');
      leaves.push(/isAdjustedToUTC=(1|true)/i.test(logical) && /NANOS=NanoSeconds/.test(logical));
      return index + 1;
    }
    let next = index + 1;
    for (let child = 0; child < children; child++) next = walk(next, leaves);
    return next;
  };
  for (let index = 1; index < rows.length;) {
    const leaves: boolean[] = [];
    const next = walk(index, leaves);
    found.set(String(rows[index]!['name']), leaves);
    index = next;
  }
  return found;
}
