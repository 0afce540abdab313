import { compareUnsignedBytes, compareValues } from './value-order.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';

/**
 * A predicate on one value (a column's, or a partition field's). It is what a transform projects:
 * a predicate on a source column becomes one on the partition value (spec: "Scan Planning").
 */
export type ValuePredicate =
  | { readonly op: 'isNull' | 'notNull' | 'isNan' | 'notNan' }
  | { readonly op: 'lt' | 'lte' | 'gt' | 'gte' | 'eq' | 'notEq' | 'startsWith' | 'notStartsWith'; readonly value: PrimitiveValue }
  | { readonly op: 'in' | 'notIn'; readonly values: readonly PrimitiveValue[] };

export type ValuePredicateOp = ValuePredicate['op'];

/** Whether a value (null for a null) satisfies a predicate, with SQL's rule that null matches only isNull. */
export function evaluatePredicate(type: PrimitiveType, predicate: ValuePredicate, value: PrimitiveValue | null): boolean {
  switch (predicate.op) {
    case 'isNull':
      return value === null;
    case 'notNull':
      return value !== null;
    case 'isNan':
      return typeof value === 'number' && Number.isNaN(value);
    case 'notNan':
      return !(typeof value === 'number' && Number.isNaN(value));
    default:
      break;
  }
  if (value === null) return false;
  switch (predicate.op) {
    case 'lt':
      return compareValues(type, value, predicate.value) < 0;
    case 'lte':
      return compareValues(type, value, predicate.value) <= 0;
    case 'gt':
      return compareValues(type, value, predicate.value) > 0;
    case 'gte':
      return compareValues(type, value, predicate.value) >= 0;
    case 'eq':
      return compareValues(type, value, predicate.value) === 0;
    case 'notEq':
      return compareValues(type, value, predicate.value) !== 0;
    case 'startsWith':
      return startsWith(value, predicate.value);
    case 'notStartsWith':
      return !startsWith(value, predicate.value);
    case 'in':
      return predicate.values.some((candidate) => compareValues(type, value, candidate) === 0);
    case 'notIn':
      return predicate.values.every((candidate) => compareValues(type, value, candidate) !== 0);
  }
}

function startsWith(value: PrimitiveValue, prefix: PrimitiveValue): boolean {
  if (typeof value === 'string' && typeof prefix === 'string') return value.startsWith(prefix);
  if (value instanceof Uint8Array && prefix instanceof Uint8Array) {
    return value.length >= prefix.length && compareUnsignedBytes(value.subarray(0, prefix.length), prefix) === 0;
  }
  return false;
}
