import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  listValue,
} from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { FloeError } from '../../core/errors.js';
import { arrowBytes, holdsDuckDBBytes } from './arrow-fixed-columns.js';
import { IN_PLACE, setChunkColumnBytes } from '../../engine/chunk-columns.js';

/**
 * Arrow tables into DuckDB without an Arrow extension (none is bundled, and nothing may be
 * downloaded): entity rows are appended a chunk at a time into a temporary table. Timestamps travel
 * as their raw integers, never through JS numbers of milliseconds, so microseconds survive. The way
 * back, DuckDB results as Arrow, is arrow-io.ts.
 */

type ColumnKind = 'boolean' | 'int' | 'bigint' | 'float' | 'double' | 'string' | 'date' | 'timestamp' | 'timestamptz' | 'binary' | 'list';

interface ColumnPlan {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly sqlType: string;
  /** For timestamps: the Arrow column's unit. */
  readonly unitScale: 'second' | 'milli' | 'micro' | 'nano';
  /** For a list: its items' kind (a number, string or boolean: a list request field's). */
  readonly itemKind?: ListItemKind;
}

type ListItemKind = 'boolean' | 'int' | 'bigint' | 'float' | 'double' | 'string';
const LIST_ITEM_KINDS: ReadonlySet<ColumnKind> = new Set<ListItemKind>(['boolean', 'int', 'bigint', 'float', 'double', 'string']);

/** Copies an Arrow table into a new temporary DuckDB table, with `ordinalColumn` numbering the rows 0..n-1 in order. */
export async function loadArrowTable(connection: DuckDBConnection, table: arrow.Table, name: string, ordinalColumn: string): Promise<void> {
  const plans = table.schema.fields.map((field) => columnPlan(field));
  const columns = [...plans.map((plan) => `${q(plan.name)} ${plan.sqlType}`), `${q(ordinalColumn)} BIGINT`];
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${q(name)} (${columns.join(', ')})`);
  const appender = await connection.createAppender(name, 'main', 'temp');
  try {
    const types = Array.from({ length: appender.columnCount }, (_, index) => appender.columnType(index));
    const asBytes = table.schema.fields.map((field) => holdsDuckDBBytes(field.type as arrow.DataType));
    let first = 0;
    for (const batch of table.batches) {
      const readers = plans.map((plan, column) => (asBytes[column] ? undefined : valueReader(plan, batch.getChildAt(column)!)));
      // A chunk of rows at a time: a value appended alone is a call into DuckDB, ~3 µs each.
      for (let offset = 0; offset < batch.numRows; offset += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, batch.numRows - offset);
        const chunk = DuckDBDataChunk.create(types, count);
        plans.forEach((_, column) => {
          const read = readers[column];
          if (read === undefined) {
            const { data, valid } = arrowBytes(batch.getChildAt(column)!.data[0]!, offset, count);
            setChunkColumnBytes(chunk, column, data, valid);
          } else
            chunk.setColumnValues(
              column,
              Array.from({ length: count }, (_, row) => read(offset + row)),
            );
        });
        setChunkColumnBytes(chunk, plans.length, ordinalBytes(first + offset, count), null);
        appender.appendDataChunk(chunk);
      }
      first += batch.numRows;
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** DuckDB's vector size: the rows of one data chunk. */
const CHUNK_ROWS = 2_048;

/** `count` row numbers from `first` as a BIGINT column's bytes: on little-endian machines without making a BigInt of each. */
function ordinalBytes(first: number, count: number): Uint8Array {
  const ordinals = new BigInt64Array(count);
  if (IN_PLACE) {
    const halves = new Uint32Array(ordinals.buffer);
    for (let row = 0; row < count; row++) {
      halves[row * 2] = (first + row) % TWO_32;
      halves[row * 2 + 1] = Math.floor((first + row) / TWO_32);
    }
  } else for (let row = 0; row < count; row++) ordinals[row] = BigInt(first + row);
  return new Uint8Array(ordinals.buffer);
}

const TWO_32 = 4_294_967_296;

function columnPlan(field: arrow.Field): ColumnPlan {
  const type = field.type as arrow.DataType;
  if (arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) {
    const item = columnPlan(type.children[0]!);
    if (LIST_ITEM_KINDS.has(item.kind))
      return { name: field.name, kind: 'list', sqlType: `${item.sqlType}[]`, unitScale: 'micro', itemKind: item.kind as ListItemKind };
    throw unreadColumn(field);
  }
  const plan = (kind: ColumnKind, sqlType: string, unitScale: ColumnPlan['unitScale'] = 'micro'): ColumnPlan => ({
    name: field.name,
    kind,
    sqlType,
    unitScale,
  });
  if (arrow.DataType.isBool(type)) return plan('boolean', 'BOOLEAN');
  if (arrow.DataType.isInt(type))
    return type.bitWidth === 64 || (!type.isSigned && type.bitWidth === 32)
      ? plan('bigint', type.isSigned ? 'BIGINT' : 'UBIGINT')
      : plan('int', 'BIGINT');
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.DOUBLE ? plan('double', 'DOUBLE') : plan('float', 'FLOAT');
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return plan('string', 'VARCHAR');
  if (arrow.DataType.isDictionary(type) && (arrow.DataType.isUtf8(type.dictionary) || arrow.DataType.isLargeUtf8(type.dictionary)))
    return plan('string', 'VARCHAR');
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type)) return plan('binary', 'BLOB');
  if (arrow.DataType.isDate(type)) return plan('date', 'DATE');
  if (arrow.DataType.isTimestamp(type)) {
    const scale = (
      {
        [arrow.TimeUnit.SECOND]: 'second',
        [arrow.TimeUnit.MILLISECOND]: 'milli',
        [arrow.TimeUnit.MICROSECOND]: 'micro',
        [arrow.TimeUnit.NANOSECOND]: 'nano',
      } as const
    )[type.unit];
    // Nanoseconds keep their precision here; the join floors them to µs like every other input.
    const sqlType = type.unit === arrow.TimeUnit.NANOSECOND ? 'TIMESTAMP_NS' : type.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    return plan(type.timezone ? 'timestamptz' : 'timestamp', sqlType, scale);
  }
  throw unreadColumn(field);
}

function unreadColumn(field: arrow.Field): FloeError {
  return new FloeError(
    'invalid-input',
    `Entity column ${JSON.stringify(field.name)} has Arrow type ${String(field.type)}, which Floe does not read; cast it to a number, string, boolean, date or timestamp, or a list of numbers, strings or booleans`,
    { context: { column: field.name } },
  );
}

/** A list item as DuckDB's list value takes it for the list's item type. */
function listItem(kind: ListItemKind, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'boolean':
      return Boolean(value);
    case 'int':
    case 'bigint':
      return BigInt(value as number | bigint);
    case 'float':
    case 'double':
      return Number(value);
    case 'string':
      return String(value);
  }
}

function valueReader(plan: ColumnPlan, vector: arrow.Vector): (row: number) => DuckDBValue {
  const valid = (row: number): boolean => vector.isValid(row);
  switch (plan.kind) {
    case 'boolean':
      return (row) => (valid(row) ? Boolean(vector.get(row)) : null);
    case 'int':
      return (row) => (valid(row) ? BigInt(vector.get(row) as number) : null);
    case 'bigint':
      return (row) => (valid(row) ? BigInt(vector.get(row) as number | bigint) : null);
    case 'float':
    case 'double':
      return (row) => (valid(row) ? (vector.get(row) as number) : null);
    case 'string':
      return (row) => (valid(row) ? String(vector.get(row)) : null);
    case 'binary':
      return (row) => (valid(row) ? new DuckDBBlobValue(vector.get(row) as Uint8Array) : null);
    case 'list': {
      const kind = plan.itemKind!;
      return (row) => (valid(row) ? listValue([...(vector.get(row) as Iterable<unknown>)].map((item) => listItem(kind, item))) : null);
    }
    case 'date':
      // Arrow JS gives dates as milliseconds since the epoch (a whole number of days).
      return (row) => (valid(row) ? new DuckDBDateValue(Math.floor((vector.get(row) as number) / 86_400_000)) : null);
    case 'timestamp':
    case 'timestamptz': {
      const raw = rawInt64(vector);
      if (plan.unitScale === 'nano') return (row) => (valid(row) ? new DuckDBTimestampNanosecondsValue(raw(row)) : null);
      const scale = { second: 1_000_000n, milli: 1_000n, micro: 1n }[plan.unitScale];
      return plan.kind === 'timestamptz'
        ? (row) => (valid(row) ? new DuckDBTimestampTZValue(raw(row) * scale) : null)
        : (row) => (valid(row) ? new DuckDBTimestampValue(raw(row) * scale) : null);
    }
  }
}

/** A 64-bit column's raw integers by row, across the vector's chunks (sliced chunks' values start at their offset already). */
export function rawInt64(vector: arrow.Vector): (row: number) => bigint {
  const starts: number[] = [];
  let start = 0;
  for (const data of vector.data) {
    starts.push(start);
    start += data.length;
  }
  let chunk = 0;
  return (row) => {
    if (row < starts[chunk]! || row >= starts[chunk]! + vector.data[chunk]!.length) chunk = starts.findLastIndex((value) => value <= row);
    const values = vector.data[chunk]!.values as unknown as BigInt64Array | Int32Array;
    const value = values[row - starts[chunk]!]!;
    return typeof value === 'bigint' ? value : BigInt(value);
  };
}
