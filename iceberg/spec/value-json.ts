/**
 * The spec's JSON single-value serialization (Appendix D): partition values and bounds in JSON
 * metadata, REST requests, default values.
 */
import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { FloeError } from '../../core/errors.js';
import {
  MICROS_PER_DAY,
  NANOS_PER_MICRO,
  floorDiv,
  floorMod,
  formatDate,
  formatTimeOfDay,
  parseDate,
  parseDateTime,
  parseTimeOfDay,
} from './temporal.js';
import { decimalParams, fixedLength } from './type-params.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';
import {
  asBigint,
  asBytes,
  asInteger,
  asLong,
  asNumber,
  asString,
  bytesToHex,
  hexToBytes,
  INT_MAX,
  INT_MIN,
  invalidValue,
  LONG_MAX,
  LONG_MIN,
  toBinaryParameterized,
  UUID_PATTERN,
  uuidFromBytes,
  uuidToBytes,
} from './values.js';

/**
 * The spec's JSON form of a value. Longs beyond ±2^53 come back as a lossless-json LosslessNumber,
 * so that lossless-json's stringify writes every digit; NaN and ±Infinity, which JSON cannot
 * hold, are written as the strings Jackson writes for them.
 */
export function toJsonValue(type: PrimitiveType, value: PrimitiveValue): unknown {
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalidValue(type, value, 'a boolean');
      return value;
    case 'int':
      return asInteger(type, value, INT_MIN, INT_MAX);
    case 'long': {
      const n = asLong(type, value);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : new LosslessNumber(n.toString());
    }
    case 'float':
    case 'double': {
      const n = asNumber(type, value);
      return Number.isFinite(n) ? n : String(n);
    }
    case 'date':
      return formatDate(asInteger(type, value, INT_MIN, INT_MAX));
    case 'time': {
      const micros = asLong(type, value);
      if (micros < 0n || micros >= MICROS_PER_DAY) throw invalidValue(type, value, 'microseconds from midnight, in [0, 86400000000)');
      return formatTimeOfDay(micros * NANOS_PER_MICRO, 6);
    }
    case 'timestamp':
    case 'timestamptz':
      return formatTimestamp(asLong(type, value) * NANOS_PER_MICRO, 6, type === 'timestamptz');
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return formatTimestamp(asLong(type, value), 9, type === 'timestamptz_ns');
    case 'string':
      return asString(type, value);
    case 'uuid':
      return uuidFromBytes(uuidToBytes(asString(type, value)));
    case 'binary':
      return bytesToHex(asBytes(type, value));
    case 'unknown':
      throw new FloeError('unsupported', 'Values of type unknown have no JSON serialization; they are always null', { context: { type } });
    default: {
      const decimal = decimalParams(type);
      if (decimal) return formatDecimal(asBigint(type, value), decimal.scale);
      if (fixedLength(type) !== undefined) return bytesToHex(toBinaryParameterized(type, value));
      throw new FloeError('unsupported', `Unknown primitive type ${type}`, { context: { type } });
    }
  }
}

function formatTimestamp(nanos: bigint, fractionDigits: 6 | 9, withZone: boolean): string {
  const nanosPerDay = MICROS_PER_DAY * NANOS_PER_MICRO;
  const days = Number(floorDiv(nanos, nanosPerDay));
  const text = `${formatDate(days)}T${formatTimeOfDay(floorMod(nanos, nanosPerDay), fractionDigits)}`;
  return withZone ? `${text}+00:00` : text;
}

/** Java's BigDecimal.toString for a scale ≥ 0 (plain) and the spec's scientific form for < 0. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  const sign = negative ? '-' : '';
  if (scale === 0) return `${sign}${digits}`;
  if (scale > 0) {
    const padded = digits.padStart(scale + 1, '0');
    return `${sign}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  }
  const exponent = digits.length - 1 - scale;
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  return `${sign}${mantissa}E+${exponent}`;
}

/** Parses a decimal string into its unscaled value and the scale it was written with. */
export function parseDecimal(text: string): { unscaled: bigint; scale: number } | undefined {
  const match = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[3] ?? '';
  const unscaled = BigInt(`${match[1] ?? ''}${match[2] ?? ''}${fraction}`);
  const scale = fraction.length - Number(match[4] ?? '0');
  return { unscaled, scale };
}

function invalidJson(type: PrimitiveType, json: unknown, expected: string): FloeError {
  let shown: string;
  try {
    shown = typeof json === 'bigint' ? `${json}` : isLosslessNumber(json) ? json.value : (JSON.stringify(json) ?? String(json));
  } catch {
    shown = String(json);
  }
  return new FloeError('invalid-input', `The JSON value ${shown} is not a valid ${type}: expected ${expected}`, { context: { type } });
}

function jsonInteger(type: PrimitiveType, json: unknown): bigint | undefined {
  if (typeof json === 'number' && Number.isSafeInteger(json)) return BigInt(json);
  if (typeof json === 'bigint') return json;
  if (isLosslessNumber(json) && /^-?\d+$/.test(json.value)) return BigInt(json.value);
  void type;
  return undefined;
}

export function fromJsonValue(type: PrimitiveType, json: unknown): PrimitiveValue {
  switch (type) {
    case 'boolean':
      if (typeof json !== 'boolean') throw invalidJson(type, json, 'true or false');
      return json;
    case 'int': {
      const n = jsonInteger(type, json);
      if (n === undefined || n < BigInt(INT_MIN) || n > BigInt(INT_MAX)) throw invalidJson(type, json, 'a 32-bit integer');
      return Number(n);
    }
    case 'long': {
      const n = jsonInteger(type, json);
      if (n === undefined || n < LONG_MIN || n > LONG_MAX) throw invalidJson(type, json, 'a 64-bit integer');
      return n;
    }
    case 'float':
    case 'double': {
      if (typeof json === 'number') return type === 'float' ? Math.fround(json) : json;
      if (isLosslessNumber(json)) return Number(json.value);
      if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') return Number(json);
      throw invalidJson(type, json, 'a number');
    }
    case 'date': {
      const days = typeof json === 'string' ? parseDate(json) : undefined;
      if (days === undefined) throw invalidJson(type, json, 'an ISO-8601 date like "2017-11-16"');
      return days;
    }
    case 'time': {
      const nanos = typeof json === 'string' ? parseTimeOfDay(json) : undefined;
      if (nanos === undefined) throw invalidJson(type, json, 'an ISO-8601 time like "22:31:08.123456"');
      return nanos / NANOS_PER_MICRO;
    }
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return parseTimestampJson(type, json);
    case 'string':
      if (typeof json !== 'string') throw invalidJson(type, json, 'a string');
      return json;
    case 'uuid':
      if (typeof json !== 'string' || !UUID_PATTERN.test(json)) throw invalidJson(type, json, 'a UUID string');
      return json.toLowerCase();
    case 'binary':
      if (typeof json !== 'string') throw invalidJson(type, json, 'a hexadecimal string');
      return hexToBytes(json, type);
    case 'unknown':
      throw new FloeError('unsupported', 'Values of type unknown have no JSON serialization; they are always null', { context: { type } });
    default:
      return fromJsonParameterized(type, json);
  }
}

function fromJsonParameterized(type: PrimitiveType, json: unknown): PrimitiveValue {
  const decimal = decimalParams(type);
  if (decimal) {
    const parsed = typeof json === 'string' ? parseDecimal(json) : undefined;
    if (!parsed) throw invalidJson(type, json, 'a decimal string like "14.20"');
    if (parsed.scale !== decimal.scale) throw invalidJson(type, json, `a decimal with scale ${decimal.scale}`);
    return parsed.unscaled;
  }
  const length = fixedLength(type);
  if (length !== undefined) {
    if (typeof json !== 'string') throw invalidJson(type, json, 'a hexadecimal string');
    const bytes = hexToBytes(json, type);
    if (bytes.length !== length) throw invalidJson(type, json, `${length} bytes of hexadecimal`);
    return bytes;
  }
  throw new FloeError('unsupported', `Unknown primitive type ${type}`, { context: { type } });
}

function parseTimestampJson(type: 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns', json: unknown): bigint {
  const withZone = type === 'timestamptz' || type === 'timestamptz_ns';
  const example = type.endsWith('_ns') ? '2017-11-16T22:31:08.123456789' : '2017-11-16T22:31:08.123456';
  const parsed = typeof json === 'string' ? parseDateTime(json) : undefined;
  const expected = withZone
    ? `a timestamp with a zone offset like "${example}+00:00"`
    : `a timestamp without a zone offset like "${example}"`;
  if (!parsed || (parsed.offsetMinutes !== undefined) !== withZone) throw invalidJson(type, json, expected);
  const nanosPerDay = MICROS_PER_DAY * NANOS_PER_MICRO;
  const offsetNanos = BigInt(parsed.offsetMinutes ?? 0) * 60_000_000_000n;
  const nanos = BigInt(parsed.days) * nanosPerDay + parsed.nanosOfDay - offsetNanos;
  if (type.endsWith('_ns')) return nanos;
  if (nanos % NANOS_PER_MICRO !== 0n) throw invalidJson(type, json, 'at most microsecond precision');
  return nanos / NANOS_PER_MICRO;
}
