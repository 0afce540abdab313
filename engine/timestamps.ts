import { DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import { FloeError } from '../core/errors.js';

/**
 * SQL giving a timestamp column's instant as microseconds since the Unix epoch (BIGINT), the one
 * scale Floe compares event times on, whatever the column's type:
 * - TIMESTAMPTZ: the instant itself, independent of any session time zone;
 * - TIMESTAMP (and _S, _MS): wall time read as UTC, as Iceberg's `timestamp` is stored;
 * - TIMESTAMP_NS: floored to the microsecond (toward the past, as Iceberg's own ns → µs
 *   conversion does), so 1969-12-31 23:59:59.9999995 is …59.999999, not the epoch;
 * - DATE: midnight UTC.
 */
export function utcMicrosSql(expression: string, type: DuckDBType, where: string): string {
  switch (type.typeId) {
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
      return `epoch_us(${expression})`;
    case DuckDBTypeId.TIMESTAMP_NS:
      // epoch_us(TIMESTAMP_NS) truncates toward zero; subtract the non-negative remainder first.
      return `((epoch_ns(${expression}) - (((epoch_ns(${expression}) % 1000) + 1000) % 1000)) // 1000)`;
    case DuckDBTypeId.DATE:
      return `epoch_us(CAST(${expression} AS TIMESTAMP))`;
    default:
      throw new FloeError('invalid-input', `${where} must be a timestamp or date, not ${type.toString()}`);
  }
}

/** A duration or instant given by a caller, checked to be a whole number of microseconds. */
export function microsLiteral(value: bigint, what: string): string {
  if (typeof value !== 'bigint') throw new FloeError('invalid-input', `${what} must be a bigint of microseconds`);
  return `${value.toString()}::BIGINT`;
}

/** The instant `micros` (SQL for a BIGINT of microseconds since the epoch) as a TIMESTAMPTZ, whatever the session's time zone. */
export function instantFromMicrosSql(micros: string): string {
  return `(TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${micros}))`;
}
