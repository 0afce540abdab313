import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Engine } from '../../engine/duckdb.js';
import { csvHeaderProblem, csvIntegerSql, readCsvSql } from '../../engine/csv.js';
import { duckdbErrorReason, quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { decimalParams } from '../../iceberg/spec/type-params.js';
import type { IcebergType, NestedField } from '../../iceberg/spec/types.js';
import { FloeError } from '../../core/errors.js';
import { parseExactJson } from '../../core/exact-json.js';
import { isRecord } from '../../core/is-record.js';
import type { PushColumns } from './push-rows.js';

/** DuckDB's readers of the files it reads; JSON lines are parsed as push bodies are (readJsonLines). */
const READERS: Readonly<Record<string, (file: string) => string>> = {
  '.parquet': (file) => `read_parquet(${quoteLiteral(file)})`,
  '.csv': (file) => readCsvSql(file),
};
const JSON_LINES = new Set(['.jsonl', '.ndjson']);

/** DuckDB types read as JS values as they are; every other column (timestamps, dates, decimals …) is read as its text. */
const NATIVE_TYPES = new Set([
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'FLOAT',
  'DOUBLE',
  'VARCHAR',
]);

/** A list, map or struct column (`INTEGER[]`, `STRUCT(…)`, `MAP(…)`), read as JSON. */
function isNested(type: string): boolean {
  return type.endsWith(']') || type.startsWith('STRUCT') || type.startsWith('MAP');
}

const TEXT_TYPES = new Set(['string', 'uuid', 'int', 'long', 'date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

/**
 * Iceberg types whose CSV text goes to the push's checks as written rather than as DuckDB detects
 * it: detection reads a string column of 1.10 as the double 1.1, and a decimal, or a long column
 * with a 7.0 in it, as doubles, which round 12345678901234567890.01 and 9007199254740993.
 */
function readAsText(type: IcebergType | undefined): boolean {
  return typeof type === 'string' && (TEXT_TYPES.has(type) || decimalParams(type) !== undefined);
}

/**
 * The rows of a Parquet, CSV or JSON-lines file as push columns, checked then like those of
 * `POST /push`. DuckDB reads Parquet and CSV: timestamps as ISO text, lists, maps and structs as
 * JSON parsed with their numbers exact (a long inside stays a long), and a CSV's values of the
 * table's (`columns`) strings, integers, decimals, dates and timestamps as their text, an
 * integer's without the zero fraction pandas writes for an integer column with gaps (7.0).
 */
export async function readPushFile(engine: Engine, file: string, columns: readonly NestedField[] = []): Promise<PushColumns> {
  const extension = path.extname(file).toLowerCase();
  const reader = READERS[extension];
  if (reader === undefined && !JSON_LINES.has(extension))
    throw new FloeError('invalid-input', `${file}: push reads .parquet, .csv and .jsonl (or .ndjson) files`, { context: { file } });
  try {
    await access(file);
  } catch {
    throw new FloeError('not-found', `${file}: no such file`, { context: { file } });
  }
  if (reader === undefined) return readJsonLines(file);
  const absolute = path.resolve(file);
  const typeOf = new Map(columns.map((field) => [field.name, field.type]));
  try {
    return await engine.withConnection(async (connection) => {
      const describe = async (relation: string) => (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjectsJS();
      let relation = reader(absolute);
      let described = await describe(relation);
      const headerProblem = extension === '.csv' ? await csvHeaderProblem(connection, absolute) : undefined;
      if (headerProblem !== undefined)
        throw new FloeError('invalid-input', `${file}: cannot be read as csv: ${headerProblem}`, { context: { file } });
      const textColumns = new Set(
        extension === '.csv' ? described.map((column) => String(column.column_name)).filter((name) => readAsText(typeOf.get(name))) : [],
      );
      if (textColumns.size > 0) {
        relation = readCsvSql(absolute, new Map([...textColumns].map((name) => [name, 'VARCHAR'])));
        described = await describe(relation);
      }
      const projection = described.map(({ column_name: name, column_type: type }) => {
        const column = q(String(name));
        const fieldType = typeOf.get(String(name));
        if (textColumns.has(String(name)) && (fieldType === 'int' || fieldType === 'long')) return `${csvIntegerSql(column)} AS ${column}`;
        if (NATIVE_TYPES.has(String(type))) return column;
        if (isNested(String(type))) return `to_json(${column}) AS ${column}`;
        if (String(type).startsWith('TIMESTAMP')) {
          const fraction = String(type) === 'TIMESTAMP_NS' ? '%n' : '%f';
          return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.${fraction}') || ${String(type).includes('TIME ZONE') ? "'Z'" : "''"} AS ${column}`;
        }
        return `CAST(${column} AS VARCHAR) AS ${column}`;
      });
      const values: Record<string, unknown[]> = (
        await connection.runAndReadAll(`SELECT ${projection.join(', ')} FROM ${relation}`)
      ).getColumnsObjectJS();
      for (const { column_name: name, column_type: type } of described)
        if (isNested(String(type)))
          values[String(name)] = values[String(name)]!.map((value) => (value === null ? null : parseExactJson(String(value))));
      return values;
    });
  } catch (error) {
    if (FloeError.is(error)) throw error;
    throw new FloeError('invalid-input', `${file}: cannot be read as ${path.extname(file).slice(1)}: ${duckdbErrorReason(error)}`, {
      context: { file },
    });
  }
}

/**
 * A JSON-lines file's rows as push columns: each line an object of column values, parsed as a
 * `POST /push` body is (every number exact: DuckDB's read_json takes a decimal's digits as a
 * double), a column a line lacks null there. A line that is no JSON object is refused by number.
 */
async function readJsonLines(file: string): Promise<PushColumns> {
  const columns = new Map<string, unknown[]>();
  let rows = 0;
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = parseExactJson(line);
    } catch (error) {
      throw new FloeError('invalid-input', `${file}: line ${lineNumber} is not JSON: ${(error as Error).message}`, { context: { file } });
    }
    if (!isRecord(row))
      throw new FloeError('invalid-input', `${file}: line ${lineNumber} is not a JSON object of column values`, { context: { file } });
    for (const [name, value] of Object.entries(row)) {
      const values = columns.get(name) ?? new Array<unknown>(rows).fill(null);
      columns.set(name, values);
      values.push(value);
    }
    rows++;
    for (const values of columns.values()) if (values.length < rows) values.push(null);
  }
  return Object.fromEntries(columns);
}
