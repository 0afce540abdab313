import * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { PushColumns } from '../../features/push/push-rows.js';
import { rawInt64 } from '../../features/historical/arrow-load.js';

/** Pandas' index, which `pa.Table.from_pandas` adds as columns when it is not a plain range: not a column of the rows. */
const PANDAS_INDEX = /^__index_level_\d+__$/;

const NANOS_PER_UNIT: Readonly<Record<arrow.TimeUnit, bigint>> = {
  [arrow.TimeUnit.SECOND]: 1_000_000_000n,
  [arrow.TimeUnit.MILLISECOND]: 1_000_000n,
  [arrow.TimeUnit.MICROSECOND]: 1_000n,
  [arrow.TimeUnit.NANOSECOND]: 1n,
};

/**
 * Rows Feast sent as Arrow (its `offline_write_batch` table) as the columns of values a push takes
 * (features/push/push-rows.ts checks them against the table): integers exact (64-bit ones as
 * bigints), timestamps as ISO 8601 text in UTC with every digit of their unit (Feast's naive
 * timestamps are UTC), dates as `YYYY-MM-DD`, lists and structs as arrays and objects. A column of
 * a type no push takes is refused by name, with the types that are.
 */
export function arrowPushColumns(table: arrow.Table, what: string): PushColumns {
  const columns: Record<string, unknown[]> = {};
  for (const field of table.schema.fields) {
    if (PANDAS_INDEX.test(field.name)) continue;
    const vector = table.getChild(field.name) as arrow.Vector;
    const read = valueReader(field, vector, what);
    const values = new Array<unknown>(table.numRows);
    for (let row = 0; row < table.numRows; row++) values[row] = vector.isValid(row) ? read(row) : null;
    columns[field.name] = values;
  }
  return columns;
}

function valueReader(field: arrow.Field, vector: arrow.Vector, what: string): (row: number) => unknown {
  const type = field.type as arrow.DataType;
  if (arrow.DataType.isTimestamp(type)) {
    const raw = rawInt64(vector);
    const scale = NANOS_PER_UNIT[type.unit];
    return (row) => isoNanos(raw(row) * scale);
  }
  if (arrow.DataType.isDate(type)) return (row) => new Date(vector.get(row) as number).toISOString().slice(0, 10);
  if (arrow.DataType.isInt(type) && (type.bitWidth === 64 || (!type.isSigned && type.bitWidth === 32)))
    return (row) => BigInt(vector.get(row) as number | bigint);
  if (
    arrow.DataType.isBool(type) ||
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isUtf8(type) ||
    arrow.DataType.isLargeUtf8(type) ||
    arrow.DataType.isBinary(type) ||
    arrow.DataType.isLargeBinary(type) ||
    arrow.DataType.isDictionary(type)
  )
    return (row) => vector.get(row);
  if (arrow.DataType.isList(type) || arrow.DataType.isStruct(type))
    // Nested values as plain arrays and objects; their inner values are checked by the push as JSON's are.
    return (row) => plain(vector.get(row));
  throw new FloeError(
    'invalid-input',
    `${what}: column ${field.name} has Arrow type ${String(type)}, which Floe cannot append; send numbers, strings, booleans, binary, dates, timestamps, lists or structs`,
    { context: { column: field.name } },
  );
}

/** An Arrow row value (a nested vector or struct row) as plain JS arrays and objects. */
function plain(value: unknown): unknown {
  if (value instanceof arrow.Vector) return [...(value as Iterable<unknown>)].map(plain);
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Uint8Array) &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  )
    return Object.fromEntries(
      Object.entries((value as { toJSON(): Record<string, unknown> }).toJSON()).map(([key, item]) => [key, plain(item)]),
    );
  return value;
}

/** Nanoseconds since the epoch as ISO 8601 in UTC, with the fraction's digits only as many as it needs (up to 9). */
export function isoNanos(nanos: bigint): string {
  const seconds = nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n);
  const fraction = nanos - seconds * 1_000_000_000n;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${whole}Z`;
  return `${whole}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}
