/**
 * Single values of primitive types: the spec's binary single-value serialization (Appendix D, used
 * for bounds), its JSON single-value serialization, and the order bounds are compared in.
 */
import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { FloeError } from '../errors.js';
import { decimalParams, fixedLength } from './type-params.js';
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
import type { PrimitiveType, PrimitiveValue } from './types.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------------------------------------
// Checking in-memory values

function invalidValue(type: PrimitiveType, value: unknown, expected: string): FloeError {
  return new FloeError('invalid-input', `A value of type ${type} must be ${expected}, got ${describe(value)}`, { context: { type } });
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

/** A bigint-valued type's value; integral numbers are accepted too, as callers often hold them. */
export function asBigint(type: PrimitiveType, value: PrimitiveValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw invalidValue(type, value, 'a bigint');
}

export function asInteger(type: PrimitiveType, value: PrimitiveValue, min: number, max: number): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw invalidValue(type, value, `an integer in [${min}, ${max}]`);
  return n;
}

function asNumber(type: PrimitiveType, value: PrimitiveValue): number {
  if (typeof value !== 'number') throw invalidValue(type, value, 'a number');
  return value;
}

function asString(type: PrimitiveType, value: PrimitiveValue): string {
  if (typeof value !== 'string') throw invalidValue(type, value, 'a string');
  return value;
}

function asBytes(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidValue(type, value, 'a Uint8Array');
  return value;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

export function asLong(type: PrimitiveType, value: PrimitiveValue): bigint {
  const n = asBigint(type, value);
  if (n < LONG_MIN || n > LONG_MAX) throw invalidValue(type, value, 'a signed 64-bit integer');
  return n;
}

// ---------------------------------------------------------------------------------------------
// UUIDs and decimals as bytes

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function uuidToBytes(text: string): Uint8Array {
  if (!UUID_PATTERN.test(text)) throw invalidValue('uuid', text, 'a UUID like f79c3e09-677c-4bbd-a479-3f349cb785e7');
  return hexToBytes(text.replaceAll('-', ''), 'uuid');
}

export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16)
    throw new FloeError('corrupt', `A uuid value must be 16 bytes, got ${bytes.length}`, { context: { type: 'uuid' } });
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function hexToBytes(hex: string, type: PrimitiveType): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw invalidValue(type, hex, 'a hexadecimal string');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** The minimal two's-complement big-endian bytes of an integer (spec: decimal serialization). */
export function minimalBigEndian(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    bytes.unshift(byte);
    rest >>= 8n;
    // Done once the remaining bits are only the sign extension of the byte just written.
    if ((rest === 0n && byte < 0x80) || (rest === -1n && byte >= 0x80)) break;
  }
  return Uint8Array.from(bytes);
}

export function fromBigEndian(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return BigInt.asIntN(bytes.length * 8, value);
}

// ---------------------------------------------------------------------------------------------
// Appendix D: binary single-value serialization

export function toBinary(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalidValue(type, value, 'a boolean');
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setInt32(0, asInteger(type, value, INT_MIN, INT_MAX), true);
      return bytes;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, asLong(type, value), true);
      return bytes;
    }
    case 'float': {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setFloat32(0, asNumber(type, value), true);
      return bytes;
    }
    case 'double': {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, asNumber(type, value), true);
      return bytes;
    }
    case 'string':
      return utf8Encoder.encode(asString(type, value));
    case 'uuid':
      return uuidToBytes(asString(type, value));
    case 'binary':
      return asBytes(type, value).slice();
    case 'unknown':
      throw new FloeError('unsupported', 'Values of type unknown have no binary serialization', { context: { type } });
    default:
      return toBinaryParameterized(type, value);
  }
}

function toBinaryParameterized(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
  if (decimalParams(type)) return minimalBigEndian(asBigint(type, value));
  const length = fixedLength(type);
  if (length !== undefined) {
    const bytes = asBytes(type, value);
    if (bytes.length !== length) throw invalidValue(type, value, `exactly ${length} bytes`);
    return bytes.slice();
  }
  throw new FloeError('unsupported', `Unknown primitive type ${type}`, { context: { type } });
}

function corruptBinary(type: PrimitiveType, bytes: Uint8Array, expected: string): FloeError {
  return new FloeError('corrupt', `A serialized ${type} value must be ${expected}, got ${bytes.length} bytes`, { context: { type } });
}

/**
 * Reads an Appendix D value. Like Java, a 4-byte long or a 4-byte double is read as the int or
 * float it was written as before the column's type was promoted.
 */
export function fromBinary(type: PrimitiveType, bytes: Uint8Array): PrimitiveValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case 'boolean':
      if (bytes.length !== 1) throw corruptBinary(type, bytes, '1 byte');
      return bytes[0] !== 0;
    case 'int':
    case 'date':
      if (bytes.length !== 4) throw corruptBinary(type, bytes, '4 bytes');
      return view.getInt32(0, true);
    case 'long':
      if (bytes.length === 4) return BigInt(view.getInt32(0, true));
      if (bytes.length !== 8) throw corruptBinary(type, bytes, '8 bytes');
      return view.getBigInt64(0, true);
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      if (bytes.length !== 8) throw corruptBinary(type, bytes, '8 bytes');
      return view.getBigInt64(0, true);
    case 'float':
      if (bytes.length !== 4) throw corruptBinary(type, bytes, '4 bytes');
      return view.getFloat32(0, true);
    case 'double':
      if (bytes.length === 4) return view.getFloat32(0, true);
      if (bytes.length !== 8) throw corruptBinary(type, bytes, '8 bytes');
      return view.getFloat64(0, true);
    case 'string':
      try {
        return utf8Decoder.decode(bytes);
      } catch (cause) {
        throw new FloeError('corrupt', 'A serialized string value is not valid UTF-8', { context: { type }, cause });
      }
    case 'uuid':
      return uuidFromBytes(bytes);
    case 'binary':
      return bytes.slice();
    case 'unknown':
      throw new FloeError('unsupported', 'Values of type unknown have no binary serialization', { context: { type } });
    default: {
      if (decimalParams(type)) return fromBigEndian(bytes);
      const length = fixedLength(type);
      if (length !== undefined) {
        if (bytes.length !== length) throw corruptBinary(type, bytes, `${length} bytes`);
        return bytes.slice();
      }
      throw new FloeError('unsupported', `Unknown primitive type ${type}`, { context: { type } });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ordering of bounds

/**
 * Compares two values of one type in the order Iceberg's bounds use: numbers numerically (with
 * −0.0 before +0.0 and NaN last, as IEEE 754 totalOrder for the values that can be bounds),
 * strings by Unicode code point (the order of their UTF-8 bytes), binary, fixed and uuid by
 * unsigned bytes, false before true.
 */
export function compareValues(type: PrimitiveType, a: PrimitiveValue, b: PrimitiveValue): number {
  switch (type) {
    case 'boolean':
      return Number(a) - Number(b);
    case 'int':
    case 'date':
      return compareNumbers(asNumber(type, a), asNumber(type, b));
    case 'float':
    case 'double':
      return compareFloats(asNumber(type, a), asNumber(type, b));
    case 'string':
      return compareByCodePoint(asString(type, a), asString(type, b));
    case 'uuid':
      return compareUnsignedBytes(uuidToBytes(asString(type, a)), uuidToBytes(asString(type, b)));
    case 'binary':
      return compareUnsignedBytes(asBytes(type, a), asBytes(type, b));
    default:
      if (fixedLength(type) !== undefined) return compareUnsignedBytes(asBytes(type, a), asBytes(type, b));
      return compareBigints(asBigint(type, a), asBigint(type, b));
  }
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareFloats(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  if (a === 0 && b === 0) return Number(Object.is(b, -0)) - Number(Object.is(a, -0));
  return compareNumbers(a, b);
}

export function compareByCodePoint(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return Number(!x.done) - Number(!y.done);
    const diff = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
}

export function compareUnsignedBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const diff = a[i]! - b[i]!;
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

// ---------------------------------------------------------------------------------------------
// JSON single-value serialization

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
