import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { DuckDBArrayValue, DuckDBListValue, DuckDBMapValue, DuckDBStructValue } from '@duckdb/node-api';
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
} from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { FloeError } from '../../core/errors.js';
import { arrowBytes, holdsDuckDBBytes } from './arrow-fixed-columns.js';
import { IN_PLACE, setChunkColumnBytes } from '../../engine/chunk-columns.js';

/**
 * Arrow tables in and out of DuckDB without an Arrow extension (none is bundled, and nothing may be
 * downloaded): entity rows are appended a chunk at a time into a temporary table; results are read
 * back column by column into Arrow vectors (or, to be sent, into IPC messages: arrow-ipc-stream.ts).
 * Timestamps travel as their raw integers, never through JS numbers of milliseconds, so
 * microseconds survive both ways.
 */

type ColumnKind = 'boolean' | 'int' | 'bigint' | 'float' | 'double' | 'string' | 'date' | 'timestamp' | 'timestamptz' | 'binary';

interface ColumnPlan {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly sqlType: string;
  /** For timestamps: the Arrow column's unit. */
  readonly unitScale: 'second' | 'milli' | 'micro' | 'nano';
}

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
  throw new FloeError(
    'invalid-input',
    `Entity column ${JSON.stringify(field.name)} has Arrow type ${String(type)}, which Floe does not read; cast it to a number, string, boolean, date or timestamp`,
    {
      context: { column: field.name },
    },
  );
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

/** Runs a query and returns its result as an Arrow table (the whole result is in memory: it is what was asked for). */
export async function queryToArrow(connection: DuckDBConnection, sql: string): Promise<arrow.Table> {
  const reader = await connection.runAndReadAll(sql);
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const columns = reader.getColumns();
  const vectors: Record<string, arrow.Vector> = {};
  names.forEach((name, index) => {
    vectors[name] = toArrowVector(columns[index] ?? [], types[index]!);
  });
  return new arrow.Table(vectors);
}

/** DuckDB values of one column as an Arrow vector of the type Floe gives that DuckDB type (queryToArrow, arrow-ipc-stream.ts). */
export function toArrowVector(values: readonly unknown[], type: DuckDBType): arrow.Vector {
  const length = values.length;
  // Fixed-width values written straight into their buffer and validity bitmap: Arrow's builders
  // (vectorFromArray) take several times as long, and a training set streams millions of them.
  const fixed = <T extends number | bigint>(
    arrowType: arrow.DataType,
    data: { [index: number]: T; readonly length: number },
    toValue: (value: unknown) => T,
  ): arrow.Vector => {
    const validity = new Uint8Array(Math.ceil(length / 8));
    let nullCount = 0;
    for (let index = 0; index < length; index++) {
      const value = values[index];
      if (value === null || value === undefined) nullCount++;
      else {
        data[index] = toValue(value);
        validity[index >> 3]! |= 1 << (index & 7);
      }
    }
    return arrow.makeVector(
      arrow.makeData({ type: arrowType as arrow.Int64, length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data } as never),
    );
  };
  const fixed64 = (arrowType: arrow.DataType, toBigint: (value: unknown) => bigint): arrow.Vector =>
    fixed(arrowType, new BigInt64Array(length), toBigint);
  const number = (value: unknown): number => value as number;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return arrow.vectorFromArray(values as (boolean | null)[], new arrow.Bool());
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return fixed(new arrow.Int32(), new Int32Array(length), number);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return fixed64(new arrow.Int64(), (value) => BigInt(value as bigint | number));
    case DuckDBTypeId.FLOAT:
      return fixed(new arrow.Float32(), new Float32Array(length), number);
    case DuckDBTypeId.DOUBLE:
      return fixed(new arrow.Float64(), new Float64Array(length), number);
    case DuckDBTypeId.VARCHAR:
      return arrow.vectorFromArray(values as (string | null)[], new arrow.Utf8());
    case DuckDBTypeId.BLOB:
      return arrow.vectorFromArray(
        values.map((value) => (value instanceof DuckDBBlobValue ? value.bytes : null)),
        new arrow.Binary(),
      );
    case DuckDBTypeId.DATE:
      return arrow.vectorFromArray(
        values.map((value) => (value instanceof DuckDBDateValue ? new Date(value.days * 86_400_000) : null)),
        new arrow.DateDay(),
      );
    case DuckDBTypeId.TIMESTAMP_TZ:
      return fixed64(new arrow.TimestampMicrosecond('UTC'), (value) => (value as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.TIMESTAMP:
      return fixed64(new arrow.TimestampMicrosecond(), (value) => (value as DuckDBTimestampValue).micros);
    default: {
      const nested = nestedArrowType(type, 'built');
      if (nested !== undefined) {
        const built = arrow.vectorFromArray(
          values.map((value) => nestedArrowValue(value, type)),
          nested,
        );
        return arrow.makeVector(built.data.map((data) => retyped(data, nestedArrowType(type, 'final')!)));
      }
      // Anything else (decimals, UUIDs, nested values holding them) as DuckDB prints it: lossless, if not typed.
      return arrow.vectorFromArray(
        values.map((value) => (value === null || value === undefined ? null : String(value))),
        new arrow.Utf8(),
      );
    }
  }
}

/**
 * The Arrow type of a list, struct or map whose leaves Arrow's builders take exactly (booleans,
 * integers, floats, text, bytes, dates, timestamps); undefined otherwise (decimals and UUIDs inside
 * keep the column as text). Arrow's builders take timestamps as JS milliseconds, which would lose
 * microseconds, so a nested value is `built` with Int64 microseconds where its timestamps are and
 * then given its `final` type over the same buffers (retyped).
 */
function nestedArrowType(type: DuckDBType, stage: 'built' | 'final'): arrow.DataType | undefined {
  const child = (of: DuckDBType) => nestedArrowType(of, stage) ?? leafArrowType(of, stage);
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = child(type.valueType);
      return element === undefined ? undefined : new arrow.List(new arrow.Field('item', element, true));
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.entryTypes.map((entry, index) => {
        const entryType = child(entry);
        return entryType === undefined ? undefined : new arrow.Field(type.entryNames[index]!, entryType, true);
      });
      return fields.every((field) => field !== undefined) ? new arrow.Struct(fields as arrow.Field[]) : undefined;
    }
    case DuckDBTypeId.MAP: {
      const key = leafArrowType(type.keyType, stage);
      const value = child(type.valueType);
      if (key === undefined || value === undefined) return undefined;
      const entries = new arrow.Struct([new arrow.Field('key', key, false), new arrow.Field('value', value, true)]);
      return new arrow.Map_(
        new arrow.Field('entries', entries, false) as arrow.Field<arrow.Struct<{ key: arrow.DataType; value: arrow.DataType }>>,
      );
    }
    default:
      return undefined;
  }
}

function leafArrowType(type: DuckDBType, stage: 'built' | 'final'): arrow.DataType | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new arrow.Bool();
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
      return new arrow.Int32();
    case DuckDBTypeId.BIGINT:
      return new arrow.Int64();
    case DuckDBTypeId.FLOAT:
      return new arrow.Float32();
    case DuckDBTypeId.DOUBLE:
      return new arrow.Float64();
    case DuckDBTypeId.VARCHAR:
      return new arrow.Utf8();
    case DuckDBTypeId.BLOB:
      return new arrow.Binary();
    case DuckDBTypeId.DATE:
      return new arrow.DateDay();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return stage === 'built' ? new arrow.Int64() : new arrow.TimestampMicrosecond('UTC');
    case DuckDBTypeId.TIMESTAMP:
      return stage === 'built' ? new arrow.Int64() : new arrow.TimestampMicrosecond();
    default:
      return undefined;
  }
}

/** Built Arrow data given another type of the same shape and buffers (Int64 microseconds as timestamps), its children too. */
function retyped(data: arrow.Data, type: arrow.DataType): arrow.Data {
  const children = data.children.map((child, index) => retyped(child, type.children[index]!.type as arrow.DataType));
  return new arrow.Data(type, data.offset, data.length, data.nullCount, data.buffers, children);
}

/** A DuckDB value of a type nestedArrowType accepted, as Arrow's builders take it (a map as a JS Map). */
function nestedArrowValue(value: unknown, type: DuckDBType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return (value as DuckDBListValue | DuckDBArrayValue).items.map((item) => nestedArrowValue(item, type.valueType));
    case DuckDBTypeId.STRUCT: {
      const entries = (value as DuckDBStructValue).entries;
      return Object.fromEntries(type.entryNames.map((name, index) => [name, nestedArrowValue(entries[name], type.entryTypes[index]!)]));
    }
    case DuckDBTypeId.MAP:
      return new Map(
        (value as DuckDBMapValue).entries.map((entry) => [
          nestedArrowValue(entry.key, type.keyType),
          nestedArrowValue(entry.value, type.valueType),
        ]),
      );
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue ? value.bytes : null;
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue ? new Date(value.days * 86_400_000) : null;
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
      // Built as Int64 microseconds (nestedArrowType's 'built' stage).
      return (value as DuckDBTimestampTZValue | DuckDBTimestampValue).micros;
    default:
      return value;
  }
}
