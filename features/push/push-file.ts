import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../../engine/duckdb.js';
import { duckdbErrorReason, quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { FloeError } from '../../core/errors.js';
import { parseExactJson } from '../../core/exact-json.js';
import type { PushColumns } from './push-rows.js';

const READERS: Readonly<Record<string, (file: string) => string>> = {
  '.parquet': (file) => `read_parquet(${quoteLiteral(file)})`,
  '.csv': (file) => `read_csv(${quoteLiteral(file)})`,
  '.jsonl': (file) => `read_json(${quoteLiteral(file)}, format = 'newline_delimited')`,
  '.ndjson': (file) => `read_json(${quoteLiteral(file)}, format = 'newline_delimited')`,
};

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

/**
 * The rows of a Parquet, CSV or JSON-lines file as push columns, read by DuckDB: timestamps as
 * ISO text, lists, maps and structs as JSON parsed with their numbers exact (a long inside stays
 * a long), so they are checked like those of `POST /push`.
 */
export async function readPushFile(engine: Engine, file: string): Promise<PushColumns> {
  const reader = READERS[path.extname(file).toLowerCase()];
  if (reader === undefined)
    throw new FloeError('invalid-input', `${file}: push reads .parquet, .csv and .jsonl (or .ndjson) files`, { context: { file } });
  try {
    await access(file);
  } catch {
    throw new FloeError('not-found', `${file}: no such file`, { context: { file } });
  }
  const relation = reader(path.resolve(file));
  try {
    return await engine.withConnection(async (connection) => {
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)).getRowObjectsJS();
      const projection = described.map(({ column_name: name, column_type: type }) => {
        const column = q(String(name));
        if (NATIVE_TYPES.has(String(type))) return column;
        if (isNested(String(type))) return `to_json(${column}) AS ${column}`;
        if (String(type).startsWith('TIMESTAMP')) {
          const fraction = String(type) === 'TIMESTAMP_NS' ? '%n' : '%f';
          return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.${fraction}') || ${String(type).includes('TIME ZONE') ? "'Z'" : "''"} AS ${column}`;
        }
        return `CAST(${column} AS VARCHAR) AS ${column}`;
      });
      const columns: Record<string, unknown[]> = (
        await connection.runAndReadAll(`SELECT ${projection.join(', ')} FROM ${relation}`)
      ).getColumnsObjectJS();
      // A JSON-lines column of mixed values is typed JSON: its values as they were written, so a wrong one is reported as such.
      for (const { column_name: name, column_type: type } of described)
        if (type === 'JSON' || isNested(String(type)))
          columns[String(name)] = columns[String(name)]!.map((value) => (value === null ? null : parseExactJson(String(value))));
      return columns;
    });
  } catch (error) {
    if (FloeError.is(error)) throw error;
    throw new FloeError('invalid-input', `${file}: cannot be read as ${path.extname(file).slice(1)}: ${duckdbErrorReason(error)}`, {
      context: { file },
    });
  }
}
