/**
 * Values as Java Iceberg prints them in partition paths (Transform.toHumanString): java.time's
 * toString for dates and times, Base64 for bytes, BigDecimal's toString, Java's Float/Double.
 */
import { decimalParams, fixedLength } from './type-params.js';
import { formatDate, formatTimeOfDayLikeJava, floorDiv, floorMod, MICROS_PER_DAY, NANOS_PER_MICRO } from './temporal.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';
import { formatDecimal } from './value-json.js';

const NANOS_PER_DAY = MICROS_PER_DAY * NANOS_PER_MICRO;

export function humanString(type: PrimitiveType, value: PrimitiveValue): string {
  switch (type) {
    case 'date':
      return formatDate(Number(value));
    case 'time':
      return formatTimeOfDayLikeJava(BigInt(value as bigint) * NANOS_PER_MICRO);
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const nanos = type.endsWith('_ns') ? BigInt(value as bigint) : BigInt(value as bigint) * NANOS_PER_MICRO;
      const text = `${formatDate(Number(floorDiv(nanos, NANOS_PER_DAY)))}T${formatTimeOfDayLikeJava(floorMod(nanos, NANOS_PER_DAY))}`;
      return type.startsWith('timestamptz') ? `${text}Z` : text;
    }
    case 'binary':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'float':
    case 'double':
      return javaFloatingString(Number(value), type === 'float');
    default: {
      const decimal = decimalParams(type);
      if (decimal) return formatDecimal(BigInt(value as bigint), decimal.scale);
      if (fixedLength(type) !== undefined) return Buffer.from(value as Uint8Array).toString('base64');
      return String(value);
    }
  }
}

/** Java's Float.toString / Double.toString: shortest digits, `1.0`, `1.0E10`, `1.0E-5`. */
export function javaFloatingString(value: number, isFloat: boolean): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  let digits = String(value);
  if (isFloat) {
    for (let precision = 1; precision <= 9; precision += 1) {
      const candidate = Number(value.toPrecision(precision));
      if (Math.fround(candidate) === value) {
        digits = String(candidate);
        break;
      }
    }
  }
  const magnitude = Math.abs(Number(digits));
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    return digits.includes('.') ? digits : `${digits}.0`;
  }
  const [mantissa = '', exponent = '0'] = Number(digits).toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}
