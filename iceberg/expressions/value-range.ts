/**
 * "Might a value in this range satisfy the predicate?" — the one question every evaluator asks,
 * of a manifest's partition summary, a data file's column metrics, or one exact partition value.
 * The answer may be a false "yes" (a file is read for nothing), never a false "no" (rows lost).
 *
 * Row semantics (see expression.ts): null matches only isNull, except that a null is taken to
 * possibly match the negated predicates (notEq, notIn, notStartsWith, notNaN), which engines
 * disagree on; NaN is above every number (so it satisfies gt and gtEq) and equal to no literal;
 * -0.0 equals 0.0.
 */
import { truncateCodePoints } from '../spec/transforms.js';
import { decimalParams, fixedLength } from '../spec/type-params.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';
import type { ValuePredicate } from '../spec/value-predicate.js';
import { compareByCodePoint, compareUnsignedBytes, compareValues } from '../spec/value-order.js';
import { fromBinary } from '../spec/values.js';

/** What is known of a set of values. `undefined` means unknown, which never prunes. */
export interface ValueRange {
  readonly hasNull: boolean | undefined;
  readonly hasNaN: boolean | undefined;
  /** Whether some value is neither null nor NaN. */
  readonly hasValue: boolean | undefined;
  /** Bounds of the values that are neither null nor NaN; they may be looser than min and max (truncated strings). */
  readonly lower: PrimitiveValue | undefined;
  readonly upper: PrimitiveValue | undefined;
}

const isFalse = (fact: boolean | undefined): boolean => fact === false;

export function isFloating(type: PrimitiveType): boolean {
  return type === 'float' || type === 'double';
}

export function isNaNValue(value: PrimitiveValue | null | undefined): boolean {
  return typeof value === 'number' && Number.isNaN(value);
}

/** Order for pruning: compareValues, except that floats compare numerically so -0.0 equals 0.0. */
export function compareForPruning(type: PrimitiveType, a: PrimitiveValue, b: PrimitiveValue): number {
  if (isFloating(type)) {
    const [x, y] = [Number(a), Number(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareValues(type, a, b);
}

/**
 * Whether a value has the in-memory form of `type`. A long column's old int values are numbers;
 * a value written under another type (a date partition of a column now a timestamp) is not
 * comparable, and then nothing is pruned.
 */
export function hasFormOf(type: PrimitiveType, value: PrimitiveValue): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'int':
    case 'date':
    case 'float':
    case 'double':
      return typeof value === 'number';
    case 'long':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
    case 'string':
    case 'uuid':
      return typeof value === 'string';
    case 'binary':
      return value instanceof Uint8Array;
    default:
      if (fixedLength(type) !== undefined) return value instanceof Uint8Array;
      if (decimalParams(type) !== undefined) return typeof value === 'bigint';
      return typeof value === 'bigint'; // time and the timestamps
  }
}

export function rangeMightMatch(type: PrimitiveType, predicate: ValuePredicate, range: ValueRange): boolean {
  const { hasNull, hasNaN, hasValue, lower, upper } = range;
  switch (predicate.op) {
    case 'isNull':
      return !isFalse(hasNull);
    case 'notNull':
      return !(isFalse(hasValue) && isFalse(hasNaN));
    case 'isNan':
      return !isFalse(hasNaN);
    case 'notNan':
      return !(isFalse(hasValue) && isFalse(hasNull));
    case 'notEq':
    case 'notIn':
      return !(isFalse(hasValue) && isFalse(hasNaN) && isFalse(hasNull));
    default:
      break;
  }
  if (predicate.op === 'gt' || predicate.op === 'gte') {
    if (!isFalse(hasNaN)) return true;
    if (isFalse(hasValue)) return false;
    if (upper === undefined) return true;
    const c = compareForPruning(type, upper, predicate.value);
    return predicate.op === 'gt' ? c > 0 : c >= 0;
  }
  if (predicate.op === 'notStartsWith') return notStartsWithMightMatch(predicate.value, range);
  if (isFalse(hasValue)) return false;
  switch (predicate.op) {
    case 'lt':
      return lower === undefined || compareForPruning(type, lower, predicate.value) < 0;
    case 'lte':
      return lower === undefined || compareForPruning(type, lower, predicate.value) <= 0;
    case 'eq':
      return within(type, predicate.value, lower, upper);
    case 'in':
      return predicate.values.some((value) => within(type, value, lower, upper));
    case 'startsWith':
      return startsWithMightMatch(predicate.value, lower, upper);
  }
}

function within(type: PrimitiveType, value: PrimitiveValue, lower: PrimitiveValue | undefined, upper: PrimitiveValue | undefined): boolean {
  return (
    (lower === undefined || compareForPruning(type, lower, value) <= 0) &&
    (upper === undefined || compareForPruning(type, value, upper) <= 0)
  );
}

/**
 * Must every value in this range satisfy the predicate? The strict question (Java's
 * StrictMetricsEvaluator), answered yes only on known facts: no null (nothing but isNull matches
 * a null), no NaN, and bounds of a type whose bounds are exact values. String and binary bounds
 * may be truncated, so they never prove a comparison; unknown facts always answer no.
 */
export function rangeMustMatch(type: PrimitiveType, predicate: ValuePredicate, range: ValueRange): boolean {
  const { hasNull, hasNaN, hasValue, lower, upper } = range;
  switch (predicate.op) {
    case 'isNull':
      return hasNull === true && isFalse(hasValue) && isFalse(hasNaN);
    case 'notNull':
      return isFalse(hasNull);
    case 'notNan':
      return isFalse(hasNull) && isFalse(hasNaN);
    case 'isNan':
    case 'startsWith':
    case 'notStartsWith':
      return false;
    default:
      break;
  }
  if (!isFalse(hasNull) || !isFalse(hasNaN) || hasValue !== true || !hasExactBounds(type)) return false;
  if (lower === undefined || upper === undefined) return false;
  switch (predicate.op) {
    case 'lt':
      return compareForPruning(type, upper, predicate.value) < 0;
    case 'lte':
      return compareForPruning(type, upper, predicate.value) <= 0;
    case 'gt':
      return compareForPruning(type, lower, predicate.value) > 0;
    case 'gte':
      return compareForPruning(type, lower, predicate.value) >= 0;
    case 'eq':
      return onlyValue(type, predicate.value, lower, upper);
    case 'notEq':
      return outside(type, predicate.value, lower, upper);
    case 'in':
      return predicate.values.some((value) => onlyValue(type, value, lower, upper));
    case 'notIn':
      return predicate.values.every((value) => outside(type, value, lower, upper));
  }
}

function outside(type: PrimitiveType, value: PrimitiveValue, lower: PrimitiveValue, upper: PrimitiveValue): boolean {
  return compareForPruning(type, value, lower) < 0 || compareForPruning(type, value, upper) > 0;
}

/** Whether the bounds hold `value` and nothing else. */
function onlyValue(type: PrimitiveType, value: PrimitiveValue, lower: PrimitiveValue, upper: PrimitiveValue): boolean {
  return compareForPruning(type, lower, value) === 0 && compareForPruning(type, upper, value) === 0;
}

/** Types whose metrics bounds are the minimum and maximum themselves (never truncated). */
function hasExactBounds(type: PrimitiveType): boolean {
  switch (type) {
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return true;
    default:
      return decimalParams(type) !== undefined;
  }
}

/** Truncation keeps order, so a lower bound whose prefix is past `prefix` rules every value out (and likewise above). */
function startsWithMightMatch(prefix: PrimitiveValue, lower: PrimitiveValue | undefined, upper: PrimitiveValue | undefined): boolean {
  if (typeof prefix !== 'string') return true;
  const length = [...prefix].length;
  if (typeof lower === 'string' && compareByCodePoint(truncateCodePoints(lower, length), prefix) > 0) return false;
  if (typeof upper === 'string' && compareByCodePoint(truncateCodePoints(upper, length), prefix) < 0) return false;
  return true;
}

/** Only when no value is null and both bounds start with the prefix does every value (they lie between). */
function notStartsWithMightMatch(prefix: PrimitiveValue, range: ValueRange): boolean {
  if (isFalse(range.hasValue) && isFalse(range.hasNull) && isFalse(range.hasNaN)) return false;
  if (!isFalse(range.hasNull) || typeof prefix !== 'string') return true;
  const { lower, upper } = range;
  return !(typeof lower === 'string' && typeof upper === 'string' && lower.startsWith(prefix) && upper.startsWith(prefix));
}

/** The same rules for one exact value, such as a file's partition value. */
export function valueMightMatch(type: PrimitiveType, predicate: ValuePredicate, value: PrimitiveValue | null): boolean {
  if (value !== null && !hasFormOf(type, value)) return true;
  if (value === null || isNaNValue(value)) {
    const nan = value !== null;
    switch (predicate.op) {
      case 'isNull':
        return !nan;
      case 'notNull':
      case 'isNan':
        return nan;
      case 'gt':
      case 'gte':
        return nan;
      case 'notNan':
        return !nan;
      case 'notEq':
      case 'notIn':
        return true;
      case 'notStartsWith':
        return !nan;
      default:
        return false;
    }
  }
  switch (predicate.op) {
    case 'isNull':
    case 'isNan':
      return false;
    case 'notNull':
    case 'notNan':
      return true;
    case 'lt':
      return compareForPruning(type, value, predicate.value) < 0;
    case 'lte':
      return compareForPruning(type, value, predicate.value) <= 0;
    case 'gt':
      return compareForPruning(type, value, predicate.value) > 0;
    case 'gte':
      return compareForPruning(type, value, predicate.value) >= 0;
    case 'eq':
      return compareForPruning(type, value, predicate.value) === 0;
    case 'notEq':
      return compareForPruning(type, value, predicate.value) !== 0;
    case 'in':
      return predicate.values.some((candidate) => compareForPruning(type, value, candidate) === 0);
    case 'notIn':
      return predicate.values.every((candidate) => compareForPruning(type, value, candidate) !== 0);
    case 'startsWith':
      return hasPrefix(value, predicate.value) ?? true;
    case 'notStartsWith':
      return !(hasPrefix(value, predicate.value) ?? false);
  }
}

/** undefined when the value and prefix are not both strings or both bytes. */
function hasPrefix(value: PrimitiveValue, prefix: PrimitiveValue): boolean | undefined {
  if (typeof value === 'string' && typeof prefix === 'string') return value.startsWith(prefix);
  if (value instanceof Uint8Array && prefix instanceof Uint8Array) {
    return value.length >= prefix.length && compareUnsignedBytes(value.subarray(0, prefix.length), prefix) === 0;
  }
  return undefined;
}

/** A bound as a value of `type`; undefined (no pruning by it) when absent, NaN, or written under a type it cannot be read as. */
export function decodeBound(type: PrimitiveType, bytes: Uint8Array | null | undefined): PrimitiveValue | undefined {
  if (!bytes) return undefined;
  const known = decodedBounds.get(bytes);
  if (known?.type === type) return known.value;
  let value: PrimitiveValue | undefined;
  try {
    value = fromBinary(type, bytes);
  } catch {
    value = undefined;
  }
  if (value !== undefined && (isNaNValue(value) || !hasFormOf(type, value))) value = undefined;
  decodedBounds.set(bytes, { type, value });
  return value;
}

/** Bounds already decoded, by their bytes: a cached manifest's files are planned again and again. */
const decodedBounds = new WeakMap<Uint8Array, { readonly type: PrimitiveType; readonly value: PrimitiveValue | undefined }>();
