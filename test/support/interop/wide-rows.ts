/**
 * One wide row set of many Iceberg types, written by pyiceberg or Floe in the interop tests.
 * Values probe the edges a reader gets wrong: longs beyond 2^53, pre-epoch dates and timestamps,
 * negative decimals, non-ASCII and quote-holding strings, nulls in partition source columns.
 */
import { quoteIdentifier, quoteLiteral } from '../../../engine/sql.js';
import { duckdbType } from '../../../engine/types.js';
import { jsonRoot } from '../../../iceberg/spec/json.js';
import { parsePrimitiveType } from '../../../iceberg/spec/schema-json.js';

export const WIDE_COLUMNS = {
  id: 'long',
  big: 'long',
  i: 'int',
  name: 'string',
  price: 'decimal(12, 3)',
  d: 'date',
  ts: 'timestamp',
  tstz: 'timestamptz',
  payload: 'binary',
  u: 'uuid',
  f: 'float',
  dbl: 'double',
  flag: 'boolean',
} as const;

export type WideColumn = keyof typeof WIDE_COLUMNS;

/** The schema as Iceberg JSON (field ids 1…13 in column order; id required). */
export function wideSchemaJson(): Record<string, unknown> {
  return {
    type: 'struct',
    'schema-id': 0,
    fields: Object.entries(WIDE_COLUMNS).map(([name, type], index) => ({ id: index + 1, name, type, required: name === 'id' })),
  };
}

export const wideFieldId = (column: WideColumn): number => Object.keys(WIDE_COLUMNS).indexOf(column) + 1;

const NAMES = ['alpha', 'beta', 'gamma', "o'quote; x", 'ünïcödé', 'alphabet', null, 'be'];
const DATES = ['1969-12-31', '1970-01-01', '2024-02-29', '1999-12-31', '2000-01-01', null, '1900-03-01', '2038-01-19'];
const TIMES = [
  '1969-12-31T23:59:59.999999',
  '1970-01-01T00:00:00.000000',
  '2024-03-10T01:02:03.123456',
  '2024-03-10T23:59:59.000001',
  '1999-12-31T12:00:00.500000',
  null,
  '1950-06-15T06:30:00.000000',
  '2024-07-01T00:00:00.000000',
];

/** Rows `from` … `to - 1`, JSON cells as the oracle's `append` takes them (and prints them back). */
export function wideRows(from: number, to: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let n = from; n < to; n++) {
    const k = n % 8;
    const time = TIMES[k] ?? null;
    rows.push({
      id: String(n),
      big: String((n % 2 === 0 ? 1n : -1n) * (9007199254740993n + BigInt(n) * 1_000_003n)),
      i: n % 5 === 4 ? null : ((n * 37) % 200) - 100,
      name: NAMES[k] ?? null,
      price: n % 6 === 5 ? null : `${n % 3 === 0 && n > 0 ? '-' : ''}${n * 13}.${String((n * 7) % 1000).padStart(3, '0')}`,
      d: DATES[k] ?? null,
      ts: time,
      tstz: time === null ? null : `${time}Z`,
      payload: n % 4 === 3 ? null : Buffer.from([n, 0, 255, (n * 3) % 256]).toString('base64'),
      u: n % 7 === 6 ? null : `${String(n).padStart(8, '0')}-0000-4000-8000-${String(n * 11).padStart(12, '0')}`,
      f: n % 9 === 8 ? null : n / 4,
      dbl: n % 9 === 7 ? null : n * 1.5 - 10,
      flag: n % 3 === 2 ? null : n % 2 === 0,
    });
  }
  return rows;
}

/** How the oracles print a row that wideRows made (timestamps with Z, µs kept). */
export function wideRowsAsRead(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => ({
    ...row,
    ts: row.ts === null ? null : `${String(row.ts)}Z`,
    tstz: row.tstz,
  }));
}

/** A DuckDB query producing `rows` (wideRows' JSON cells) with the columns' Iceberg types. */
export function rowsQuery(rows: readonly Record<string, unknown>[], columns: Readonly<Record<string, string>> = WIDE_COLUMNS): string {
  const names = Object.keys(columns);
  const cell = (name: string, value: unknown): string => {
    const icebergType = columns[name]!;
    const duckType = duckdbType(parsePrimitiveType(icebergType, jsonRoot('rowsQuery')));
    if (value === null || value === undefined) return `CAST(NULL AS ${duckType})`;
    if (icebergType === 'binary') return `from_base64(${quoteLiteral(String(value))})`;
    if (icebergType === 'boolean') return value === true ? 'true' : 'false';
    return `CAST(${quoteLiteral(String(value))} AS ${duckType})`;
  };
  const tuples = rows.map((row) => `(${names.map((name) => cell(name, row[name])).join(', ')})`);
  return `SELECT * FROM (VALUES ${tuples.join(', ')}) AS ${quoteIdentifier('rows')}(${names.map((name) => quoteIdentifier(name)).join(', ')})`;
}

/** One or two partition fields per case; the source columns span the wide types. */
export const TRANSFORM_CASES: Record<string, { source: WideColumn; transform: string }[]> = {
  identity: [
    { source: 'name', transform: 'identity' },
    { source: 'd', transform: 'identity' },
  ],
  bucket: [
    { source: 'big', transform: 'bucket[8]' },
    { source: 'name', transform: 'bucket[4]' },
  ],
  truncate: [
    { source: 'name', transform: 'truncate[3]' },
    { source: 'i', transform: 'truncate[10]' },
  ],
  year: [{ source: 'd', transform: 'year' }],
  month: [{ source: 'tstz', transform: 'month' }],
  day: [{ source: 'ts', transform: 'day' }],
  hour: [{ source: 'tstz', transform: 'hour' }],
  void: [{ source: 'i', transform: 'void' }],
};

/** The partition spec of a case as Iceberg JSON. */
export const partitionSpecJson = (fields: readonly { source: WideColumn; transform: string }[]): Record<string, unknown> => ({
  'spec-id': 0,
  fields: fields.map((field, index) => ({
    'source-id': wideFieldId(field.source),
    'field-id': 1000 + index,
    transform: field.transform,
    name: `${field.source}_${field.transform.replace(/\[.*$/, '')}`,
  })),
});
