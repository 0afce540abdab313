import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBUUIDValue,
} from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import { FloeError } from '../core/errors.js';
import type { IcebergType, IcebergValue, PrimitiveType, PrimitiveValue } from '../iceberg/spec/types.js';
import { typeText } from '../iceberg/spec/types.js';
import { decimalParams } from '../iceberg/spec/type-params.js';

/**
 * A DuckDB value as Floe holds a value of the Iceberg primitive type (see `PrimitiveValue`):
 * long and time/timestamps as bigint (µs; ns for the _ns types), dates as days, decimals as the
 * unscaled bigint at the type's scale, uuids as canonical text, binary as bytes.
 */
export function toPrimitiveValue(value: DuckDBValue, type: PrimitiveType): PrimitiveValue | null {
  if (value === null) return null;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : unexpectedValue(value, type);
    case 'int':
      return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : unexpectedValue(value, type);
    case 'long':
      return typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : unexpectedValue(value, type);
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : unexpectedValue(value, type);
    case 'date':
      return value instanceof DuckDBDateValue ? value.days : unexpectedValue(value, type);
    case 'time':
      return value instanceof DuckDBTimeValue ? value.micros : unexpectedValue(value, type);
    case 'timestamp':
    case 'timestamptz':
      return timestampMicros(value) ?? unexpectedValue(value, type);
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return value instanceof DuckDBTimestampNanosecondsValue
        ? value.nanos
        : (timestampMicros(value) ?? unexpectedValue(value, type)) * 1000n;
    case 'string':
      return typeof value === 'string' ? value : unexpectedValue(value, type);
    case 'uuid':
      return value instanceof DuckDBUUIDValue ? value.toString() : unexpectedValue(value, type);
    case 'binary':
      return value instanceof DuckDBBlobValue ? plainBytes(value.bytes) : unexpectedValue(value, type);
    case 'unknown':
      return unexpectedValue(value, type);
  }
  if (type.startsWith('fixed[')) return value instanceof DuckDBBlobValue ? plainBytes(value.bytes) : unexpectedValue(value, type);
  const decimal = decimalParams(type);
  if (decimal && value instanceof DuckDBDecimalValue) return rescale(value.value, value.scale, decimal.scale);
  return unexpectedValue(value, type);
}

/**
 * A DuckDB value as Floe holds a value of the Iceberg type (see `IcebergValue`): primitives as
 * toPrimitiveValue gives them, lists as arrays, structs and string-keyed maps as objects.
 */
export function toIcebergValue(value: DuckDBValue, type: IcebergType): IcebergValue | null {
  if (typeof type === 'string') return toPrimitiveValue(value, type);
  if (value === null) return null;
  switch (type.type) {
    case 'list':
      if (!(value instanceof DuckDBListValue) && !(value instanceof DuckDBArrayValue)) return unexpectedValue(value, 'list');
      return value.items.map((item) => toIcebergValue(item, type.element));
    case 'struct': {
      if (!(value instanceof DuckDBStructValue)) return unexpectedValue(value, 'struct');
      const entries = value.entries;
      return Object.fromEntries(type.fields.map((field) => [field.name, toIcebergValue(entries[field.name] ?? null, field.type)]));
    }
    case 'map':
      if (!(value instanceof DuckDBMapValue)) return unexpectedValue(value, 'map');
      if (type.key !== 'string')
        throw new FloeError(
          'unsupported',
          `A map with ${typeText(type.key)} keys has no value form in Floe; only maps with string keys are read`,
        );
      return Object.fromEntries(value.entries.map((entry) => [entry.key as string, toIcebergValue(entry.value, type.value)]));
  }
}

/** Not a closure made per call of toPrimitiveValue: that runs for every value read, and tsx names each closure it makes. */
function unexpectedValue(value: DuckDBValue, type: PrimitiveType | 'list' | 'struct' | 'map'): never {
  throw new FloeError('internal', `DuckDB returned ${describe(value)} where an Iceberg ${type} value was expected`);
}

/** A copy as a plain Uint8Array: the binding hands out Node Buffers that may share a larger allocation. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}

/** Microseconds since the epoch for any of DuckDB's µs/ms/s timestamp values. */
function timestampMicros(value: DuckDBValue): bigint | undefined {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return value.micros;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1000n;
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000n;
  return undefined;
}

function rescale(unscaled: bigint, fromScale: number, toScale: number): bigint {
  if (fromScale === toScale) return unscaled;
  if (toScale > fromScale) return unscaled * 10n ** BigInt(toScale - fromScale);
  const divisor = 10n ** BigInt(fromScale - toScale);
  if (unscaled % divisor !== 0n) throw new FloeError('internal', `Decimal ${unscaled}e-${fromScale} does not fit scale ${toScale}`);
  return unscaled / divisor;
}

function describe(value: DuckDBValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'object') return `a ${value.constructor.name} (${String(value)})`;
  return `a ${typeof value} (${String(value)})`;
}
