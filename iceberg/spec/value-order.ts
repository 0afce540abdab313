/**
 * The order Iceberg compares single values in: bounds in manifests and data files, and the
 * predicates evaluated against them.
 */
import { fixedLength } from './type-params.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';
import { asBigint, asBytes, asNumber, asString, uuidToBytes } from './values.js';

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
