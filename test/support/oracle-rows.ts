/**
 * Floe's rows in the oracles' JSON form, so a DuckDB read compares with pyiceberg's and Java's
 * replies as they are: longs as strings, ints as numbers, timestamps ISO-8601 UTC with µs (ns for
 * the _ns types) and a trailing Z, dates YYYY-MM-DD, times HH:MM:SS.ffffff, decimals as Python's
 * str(Decimal), binary and fixed as base64, uuids canonical, NaN and infinities as strings.
 *
 *   const rows = await readFloeRows(engine, table, { snapshotId })   // scanTable → DuckDB → JSON
 *   assert.deepEqual(sortOracleRows(rows), sortOracleRows(oracle.rows))
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Engine } from '../../engine/duckdb.js';
import { scanTable, type TableScan, type TableScanOptions } from '../../engine/read/table-reader.js';
import { toPrimitiveValue } from '../../engine/values.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';

export type OracleRow = Record<string, unknown>;

/** Reads one snapshot of `table` through scanTable and DuckDB; rows in the oracles' JSON form. */
export async function readFloeRows(
  engine: Engine,
  table: LoadedTable,
  options: TableScanOptions = {},
): Promise<{ rows: OracleRow[]; scan: TableScan }> {
  const scan = await scanTable(table, options);
  const rows = await engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(scan.sql);
    return reader.getRowObjects();
  });
  return { rows: rows.map((row) => oracleRow(row, scan.plan.schema)), scan };
}

/** One DuckDB row (by column name) as the oracles print it, typed by the Iceberg schema. */
export function oracleRow(row: Readonly<Record<string, DuckDBValue>>, schema: Schema): OracleRow {
  const out: OracleRow = {};
  for (const field of schema.fields) {
    if (typeof field.type !== 'string') throw new Error(`oracleRow: column ${field.name} is nested; only primitive columns are normalized`);
    const value = row[field.name];
    out[field.name] = value === undefined || value === null ? null : oracleValue(field.type, toPrimitiveValue(value, field.type));
  }
  return out;
}

/** One Floe in-memory value (see PrimitiveValue) in the oracles' JSON form. */
export function oracleValue(type: PrimitiveType, value: PrimitiveValue | null): unknown {
  if (value === null) return null;
  switch (type) {
    case 'long':
      return String(value);
    case 'int':
    case 'boolean':
    case 'string':
    case 'uuid':
      return value;
    case 'float':
    case 'double':
      return floatJson(value as number);
    case 'date':
      return isoDate(Number(value));
    case 'time':
      return isoTime(value as bigint);
    case 'timestamp':
    case 'timestamptz':
      return isoTimestamp(value as bigint, 6);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return isoTimestamp(value as bigint, 9);
    case 'binary':
      return Buffer.from(value as Uint8Array).toString('base64');
  }
  if (type.startsWith('fixed[')) return Buffer.from(value as Uint8Array).toString('base64');
  const decimal = /^decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal?.[1] !== undefined) return pythonDecimalString(value as bigint, Number(decimal[1]));
  throw new Error(`oracleValue: no JSON form for type ${type}`);
}

function floatJson(value: number): unknown {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

const pad = (n: bigint | number, width: number): string => String(n).padStart(width, '0');

function isoDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

function isoTime(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(micros % 1_000_000n, 6)}`;
}

/** µs (digits 6) or ns (digits 9) since the epoch as `YYYY-MM-DDTHH:MM:SS.fffffff…Z`. */
function isoTimestamp(units: bigint, digits: 6 | 9): string {
  const perSecond = 10n ** BigInt(digits);
  let seconds = units / perSecond;
  let fraction = units % perSecond;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += perSecond;
  }
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${pad(fraction, digits)}Z`;
}

/** Python's str(Decimal) for an unscaled value at a scale (what pyarrow's decimals print as). */
export function pythonDecimalString(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString();
  const exponent = -scale;
  const adjusted = exponent + digits.length - 1;
  if (exponent <= 0 && adjusted >= -6) {
    if (scale === 0) return sign + digits;
    const padded = digits.padStart(scale + 1, '0');
    return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
}

/** Rows in a stable order for comparison: by the given columns, then by their JSON text. */
export function sortOracleRows(rows: readonly OracleRow[], by: readonly string[] = []): OracleRow[] {
  const key = (row: OracleRow): string => JSON.stringify([...by.map((column) => row[column]), row]);
  return [...rows].sort((a, b) => {
    for (const column of by) {
      const [x, y] = [a[column], b[column]];
      if (typeof x === 'string' && typeof y === 'string' && /^-?\d+$/.test(x) && /^-?\d+$/.test(y)) {
        const [bx, by2] = [BigInt(x), BigInt(y)];
        if (bx !== by2) return bx < by2 ? -1 : 1;
      }
    }
    const [kx, ky] = [key(a), key(b)];
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
}
