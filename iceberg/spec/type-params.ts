import { FloeError } from '../../core/errors.js';
import type { IcebergType, PrimitiveType } from './types.js';

/** Precision and scale of a `decimal(P, S)` type, or undefined for any other type. */
export function decimalParams(type: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string') return undefined;
  const match = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/.exec(type);
  if (!match) return undefined;
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

/** Length of a `fixed[L]` type, or undefined for any other type. */
export function fixedLength(type: IcebergType): number | undefined {
  if (typeof type !== 'string') return undefined;
  const match = /^fixed\[\s*(\d+)\s*\]$/.exec(type);
  return match ? Number(match[1]) : undefined;
}

export function isPrimitive(type: IcebergType): type is PrimitiveType {
  return typeof type === 'string';
}

export function requirePrimitive(type: IcebergType, what: string): PrimitiveType {
  if (typeof type !== 'string') {
    throw new FloeError('invalid-input', `${what} must have a primitive type, not ${type.type}`);
  }
  return type;
}

/** The primitive types whose in-memory value is a bigint (see PrimitiveValue). */
export function isBigintValued(type: PrimitiveType): boolean {
  return (
    type === 'long' ||
    type === 'time' ||
    type === 'timestamp' ||
    type === 'timestamptz' ||
    type === 'timestamp_ns' ||
    type === 'timestamptz_ns' ||
    decimalParams(type) !== undefined
  );
}

export function isTimestamp(type: PrimitiveType): type is 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns' {
  return type === 'timestamp' || type === 'timestamptz' || type === 'timestamp_ns' || type === 'timestamptz_ns';
}

export function isNanosecondTimestamp(type: PrimitiveType): boolean {
  return type === 'timestamp_ns' || type === 'timestamptz_ns';
}

/** Bytes needed to store any unscaled value of `precision` decimal digits (Avro fixed size). */
export function decimalRequiredBytes(precision: number): number {
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) < 10n ** BigInt(precision)) bytes += 1;
  return bytes;
}
