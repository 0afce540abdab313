import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation } from '../../engine/describe.js';
import { csvHeaderProblem, INTEGER_TEXT_PATTERN, readCsvSql } from '../../engine/csv.js';
import { duckdbErrorReason, quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { duckdbType, icebergTypeOf } from '../../engine/types.js';
import { decimalParams } from '../../iceberg/spec/type-params.js';
import type { IcebergType } from '../../iceberg/spec/types.js';
import { typeText } from '../../iceberg/spec/types.js';

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
 * Opens a Parquet or CSV file with DuckDB and describes its columns. A CSV column is read as the
 * type `declaredTypes` names for it (the table's type by column), else as the type DuckDB's sniffing
 * takes it for; either way a value the type cannot hold as written is refused naming its column and
 * the value, never silently changed on the way (see csvReading).
 */
export async function openLoadSource(
  connection: DuckDBConnection,
  file: string,
  format: LoadFormat,
  declaredTypes: ReadonlyMap<string, IcebergType> = new Map(),
): Promise<LoadSource> {
  const absolute = path.resolve(file);
  try {
    if (format === 'parquet') {
      const relation = `read_parquet(${quoteLiteral(absolute)})`;
      const nanoseconds = await zonedNanosecondLeaves(connection, absolute);
      const described = await describeRelation(connection, `SELECT * FROM ${relation}`, `file ${file}`);
      return { file, format, relation, columns: described.map((column) => sourceColumn(column, nanoseconds.get(column.name) ?? [])) };
    }
    const sniffed = await describeRelation(connection, `SELECT * FROM ${readCsvSql(absolute)}`, `file ${file}`);
    const headerProblem = await csvHeaderProblem(connection, absolute);
    if (headerProblem !== undefined)
      throw new FloeError('invalid-input', `${file} cannot be read as csv: ${headerProblem}`, { context: { file } });
    // The sample DuckDB sniffs types from is not every row, and its parse of what it took for a
    // double, timestamp or date rounds, overflows or cuts as it does for a declared type.
    const readings = sniffed.flatMap((column) => {
      const declared = declaredTypes.get(column.name);
      const type = declared ?? sourceColumn(column, []).type;
      return type === undefined ? [] : [{ name: column.name, ...csvReading(column.name, type, declared === undefined) }];
    });
    const read = readCsvSql(absolute, new Map(readings.map((column) => [column.name, column.readAs])));
    // Each checked column's text is parsed once, into a column of its own, which the checks and the value then read.
    const checked = readings.flatMap((column, index) =>
      column.checked === undefined ? [] : [{ ...column.checked, name: column.name, parsed: q(`__floe_parsed_${index}`) }],
    );
    const relation =
      checked.length === 0
        ? read
        : `(SELECT * EXCLUDE (${checked.map((column) => column.parsed).join(', ')}) REPLACE (${checked.map((column) => `${column.value(column.parsed)} AS ${q(column.name)}`).join(', ')}) FROM (SELECT *, ${checked.map((column) => `${column.parse} AS ${column.parsed}`).join(', ')} FROM ${read}))`;
    const described = await describeRelation(connection, `SELECT * FROM ${relation}`, `file ${file}`);
    return { file, format, relation, columns: described.map((column) => sourceColumn(column, [])) };
  } catch (error) {
    throw unreadable(file, format, error);
  }
}

/** How a CSV column is read as a table's type (see csvReading). */
interface CsvReading {
  /** The DuckDB type read_csv parses the column's text as. */
  readonly readAs: string;
  /** For a column read as text and checked: the SQL parsing it (once a row), and the column's value given the SQL naming that parse. */
  readonly checked?: { readonly parse: string; readonly value: (parsed: string) => string };
}

/**
 * How a CSV column is read as a table's type: the type DuckDB parses its text as, and the SQL that
 * turns that into the column's value where DuckDB's parse alone would change it. Its parse of an
 * integer rounds (7.5 as 8), of a float or double turns a number past the type's range into
 * infinity, of a date drops a time of day and a zone, of a time its zone, of a timestamp the digits
 * past its precision and, into TIMESTAMP, the offset (10:00+09:00 read as 10:00); of a decimal it
 * rounds the digits past the scale (1.005 as 1.01 in a decimal(9, 2), 7.95e-138 as 0.01). So
 * those columns are read as text, and each value is cast only when its type holds it as written,
 * and otherwise refused naming the column and the value. A `sniffed` type is DuckDB's choice, not
 * the table's: a double it chose for whole numbers past the long range also refuses those it rounds.
 */
function csvReading(name: string, type: IcebergType, sniffed: boolean): CsvReading {
  const column = q(name);
  const unlike = (pattern: string) => `NOT regexp_full_match(${column}, ${quoteLiteral(pattern)})`;
  /**
   * The text parsed as `as`: refused, naming column and value, where one of the checks (SQL of the
   * text and the parse) holds, else `value` of the parse.
   */
  const checked = (
    as: string,
    checks: (parsed: string) => readonly (readonly [problem: string, refusal: string])[],
    value = (parsed: string) => parsed,
  ): CsvReading => ({
    readAs: 'VARCHAR',
    checked: {
      parse: `TRY_CAST(trim(${column}) AS ${as})`,
      value: (parsed) => {
        const refusals = checks(parsed).map(
          ([problem, refusal]) =>
            `WHEN ${problem} THEN error(${quoteLiteral(`column ${name}: `)} || ${column} || ${quoteLiteral(refusal)})`,
        );
        return `CASE WHEN ${column} IS NULL THEN NULL ${refusals.join(' ')} ELSE ${value(parsed)} END`;
      },
    },
  });
  const instant = (digits: 6 | 9, as: string, value?: (parsed: string) => string) =>
    checked(
      as,
      (parsed) => [
        [
          `regexp_matches(${column}, ${quoteLiteral(String.raw`\.\d{${digits}}\d*[1-9]`)})`,
          ` has more than ${digits} fraction digits, which a ${typeText(type)} cannot hold`,
        ],
        [`${parsed} IS NULL`, ` is not a ${typeText(type)}`],
      ],
      value,
    );
  switch (type) {
    case 'int':
    case 'long':
      // Past the pattern, a fraction is zeros, which DuckDB's cast drops.
      return checked(duckdbType(type), (parsed) => [
        [unlike(INTEGER_TEXT_PATTERN), ' is not a whole number as written (a fraction other than .0 would be rounded)'],
        [`${parsed} IS NULL`, ` is out of range for ${type}`],
      ]);
    case 'float':
    case 'double':
      return checked(duckdbType(type), (parsed) => [
        [`${parsed} IS NULL`, ' is not a number'],
        [`isinf(${parsed}) AND NOT regexp_matches(${column}, 'inf', 'i')`, ` is out of range for ${type}`],
        // DuckDB takes a column of whole numbers past the long range for double; a table declaring double asked for that.
        ...(sniffed
          ? [
              [
                `abs(${parsed}) > ${2 ** 53} AND regexp_full_match(${column}, ${quoteLiteral(INTEGER_TEXT_PATTERN)})`,
                ' is a whole number past ±2^53, which the double DuckDB takes the column for would round; load it into a table whose column is a decimal or a string',
              ] as const,
            ]
          : []),
      ]);
    case 'date':
      return checked('DATE', (parsed) => [
        [
          `${unlike(String.raw`\s*\d{4}-\d{2}-\d{2}([ T]00:00(:00(\.0*)?)?)?\s*`)} OR ${parsed} IS NULL`,
          ' is not a date as written (YYYY-MM-DD; a time of day or a zone would be dropped)',
        ],
      ]);
    case 'time':
      return checked('TIME', (parsed) => [
        [
          `${unlike(String.raw`\s*\d{2}:\d{2}(:\d{2}(\.\d{0,6}0*)?)?\s*`)} OR ${parsed} IS NULL`,
          ' is not a time as written (HH:MM:SS with at most 6 fraction digits, no zone)',
        ],
      ]);
    // TIMESTAMPTZ parses in the engine's UTC: a time without a zone is UTC, an offset is honoured.
    case 'timestamp':
      return instant(6, 'TIMESTAMPTZ', (parsed) => `CAST(${parsed} AS TIMESTAMP)`);
    case 'timestamptz':
      return instant(6, 'TIMESTAMPTZ');
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return instant(9, 'TIMESTAMP_NS');
  }
  const decimal = decimalParams(type);
  if (decimal === undefined) return { readAs: duckdbType(type) };
  const wholeDigits = decimal.precision - decimal.scale;
  const written = String.raw`\s*[-+]?0*${wholeDigits > 0 ? String.raw`\d{0,${wholeDigits}}` : ''}(\.\d{0,${decimal.scale}}0*)?\s*`;
  return checked(duckdbType(type), () => [
    [
      `${unlike(written)} OR NOT regexp_matches(${column}, ${quoteLiteral(String.raw`\d`)})`,
      ` is not a ${typeText(type)} as written: at most ${wholeDigits} digits before the point and ${decimal.scale} after it (more would be rounded), no exponent`,
    ],
  ]);
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
 * convert, the line naming the column and value (the first only says which line of the file). A
 * refusal of csvReading's is its own words, without the class DuckDB's error() gives it.
 */
export function duckdbReadingReason(message: string): string {
  const converting = /^Error when converting column .*$/m.exec(message)?.[0];
  const first = duckdbErrorReason(
    message.replace(
      /^((DuckDB cannot plan the [^:]*|The rows to write do not fit the table's column types): )?(Invalid Input Error: (?=column ))?/,
      '',
    ),
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
