/**
 * Inclusive projection through partition transforms (spec: "Scan Planning"): a predicate on a
 * source column becomes one on the partition values, which manifests and files are pruned by.
 */
import type { PrimitiveType, PrimitiveValue } from './types.js';
import type { ValuePredicate } from './value-predicate.js';

/** What projecting needs of a transform: its kind (`bucket`, `truncate`, `day`, …) and N or W. */
export interface ProjectedTransform {
  readonly kind: string;
  readonly parameter?: number;
}

/**
 * The inclusive projection of a predicate on a source value through `transform` (see
 * BoundTransform.projectInclusive), given the bound transform's function; null when it cannot narrow.
 */
export function projectInclusive(
  transform: ProjectedTransform,
  source: PrimitiveType,
  apply: (value: PrimitiveValue) => PrimitiveValue | null,
  predicate: ValuePredicate,
): ValuePredicate | null {
  if (predicate.op === 'isNull' || predicate.op === 'notNull') return transform.kind === 'void' ? null : predicate;
  switch (transform.kind) {
    case 'identity':
      return predicate;
    case 'void':
      return null;
    case 'bucket':
      if (predicate.op === 'eq') return { op: 'eq', value: apply(predicate.value)! };
      if (predicate.op === 'in') return { op: 'in', values: distinct(predicate.values.map((v) => apply(v)!)) };
      return null;
    case 'truncate':
      if (source === 'string' || source === 'binary') return projectTruncatedPrefix(source, transform.parameter ?? 0, apply, predicate);
      return projectOrdered(source, apply, predicate);
    default:
      return projectOrdered(source, apply, predicate);
  }
}

/**
 * For transforms that map ordered integers to ordered integers (integer truncation and the
 * temporal transforms): `x < v` ⇒ `t(x) ≤ t(v − 1)`, `x > v` ⇒ `t(x) ≥ t(v + 1)`.
 */
function projectOrdered(
  source: PrimitiveType,
  apply: (value: PrimitiveValue) => PrimitiveValue | null,
  predicate: ValuePredicate,
): ValuePredicate | null {
  const step = (value: PrimitiveValue, delta: -1 | 1): PrimitiveValue =>
    typeof value === 'bigint' ? value + BigInt(delta) : Number(value) + delta;
  switch (predicate.op) {
    case 'lt':
      return { op: 'lte', value: apply(step(predicate.value, -1))! };
    case 'lte':
      return { op: 'lte', value: apply(predicate.value)! };
    case 'gt':
      return { op: 'gte', value: apply(step(predicate.value, 1))! };
    case 'gte':
      return { op: 'gte', value: apply(predicate.value)! };
    case 'eq':
      return { op: 'eq', value: apply(predicate.value)! };
    case 'in':
      return { op: 'in', values: distinct(predicate.values.map((v) => apply(v)!)) };
    default:
      void source;
      return null;
  }
}

function projectTruncatedPrefix(
  source: 'string' | 'binary',
  width: number,
  apply: (value: PrimitiveValue) => PrimitiveValue | null,
  predicate: ValuePredicate,
): ValuePredicate | null {
  switch (predicate.op) {
    case 'lt':
    case 'lte':
      return { op: 'lte', value: apply(predicate.value)! };
    case 'gt':
    case 'gte':
      return { op: 'gte', value: apply(predicate.value)! };
    case 'eq':
      return { op: 'eq', value: apply(predicate.value)! };
    case 'in':
      return { op: 'in', values: distinct(predicate.values.map((v) => apply(v)!)) };
    case 'startsWith': {
      const length = source === 'string' ? [...String(predicate.value)].length : (predicate.value as Uint8Array).length;
      // A prefix no longer than W is kept by truncation; a longer one fixes the whole partition value.
      return length <= width ? predicate : { op: 'eq', value: apply(predicate.value)! };
    }
    case 'notStartsWith': {
      const length = source === 'string' ? [...String(predicate.value)].length : (predicate.value as Uint8Array).length;
      return length <= width ? predicate : null;
    }
    default:
      return null;
  }
}

function distinct(values: readonly PrimitiveValue[]): PrimitiveValue[] {
  const seen = new Set<string>();
  const out: PrimitiveValue[] = [];
  for (const value of values) {
    const key = value instanceof Uint8Array ? `b:${Buffer.from(value).toString('hex')}` : `${typeof value}:${String(value)}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(value);
    }
  }
  return out;
}
