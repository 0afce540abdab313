import type { DuckDBConnection, DuckDBType, DuckDBTimestampTZValue, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBArrayValue, DuckDBListValue, DuckDBMapValue, DuckDBStructValue } from '@duckdb/node-api';
import { DuckDBBlobValue, DuckDBDateValue, DuckDBTypeId } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';

/**
 * DuckDB results as Arrow without an Arrow extension (none is bundled, and nothing may be
 * downloaded): read back column by column into Arrow vectors (or, to be sent, into IPC messages:
 * arrow-ipc-stream.ts). Timestamps travel as their raw integers, never through JS numbers of
 * milliseconds, so microseconds survive. The way in, entity rows into DuckDB, is arrow-load.ts.
 */

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
