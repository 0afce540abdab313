/**
 * Single values of primitive types: checking an in-memory value against its type, and the spec's
 * binary single-value serialization (Appendix D, used for bounds). Their JSON form is in
 * value-json.ts, the order bounds are compared in is in value-order.ts.
 */
import { FloeError } from '../../core/errors.js';
import { decimalParams, fixedLength } from './type-params.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------------------------------------
// Checking in-memory values

export function invalidValue(type: PrimitiveType, value: unknown, expected: string): FloeError {
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

export function asNumber(type: PrimitiveType, value: PrimitiveValue): number {
  if (typeof value !== 'number') throw invalidValue(type, value, 'a number');
  return value;
}

export function asString(type: PrimitiveType, value: PrimitiveValue): string {
  if (typeof value !== 'string') throw invalidValue(type, value, 'a string');
  return value;
}

export function asBytes(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidValue(type, value, 'a Uint8Array');
  return value;
}

export const INT_MIN = -(2 ** 31);
export const INT_MAX = 2 ** 31 - 1;
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

export function asLong(type: PrimitiveType, value: PrimitiveValue): bigint {
  const n = asBigint(type, value);
  if (n < LONG_MIN || n > LONG_MAX) throw invalidValue(type, value, 'a signed 64-bit integer');
  return n;
}

// ---------------------------------------------------------------------------------------------
// UUIDs and decimals as bytes

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

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

export function hexToBytes(hex: string, type: PrimitiveType): Uint8Array {
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

export function toBinaryParameterized(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
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
