/**
 * The inclusive projection of a bound row filter onto one partition spec (spec: "Scan Planning"):
 * a filter over partition values that every partition holding a matching row satisfies. Each
 * predicate becomes the AND of its projections through every partition field of its column;
 * a predicate no field can narrow becomes true. `not` is already gone (see bind), and and/or
 * are monotone, so projecting leaf by leaf stays inclusive.
 */
import type { PartitionSpec } from '../spec/partition.js';
import { parseTransform } from '../spec/transforms.js';
import type { BoundTransform } from '../spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';
import type { ValuePredicate } from '../spec/value-predicate.js';
import { toValuePredicate } from './bound.js';
import type { BoundExpression, BoundPredicate } from './bound.js';
import { combine, evaluator, visit } from './visitor.js';
import type { LogicalExpression } from './visitor.js';

export interface PartitionPredicate {
  readonly op: 'partition';
  /** Index of the partition field in the spec, and so in a file's partition tuple and a manifest's summaries. */
  readonly position: number;
  /** The partition field's type: the transform's result type. */
  readonly type: PrimitiveType;
  readonly predicate: ValuePredicate;
}

export type ProjectedExpression = LogicalExpression<PartitionPredicate>;

const TRUE: ProjectedExpression = { op: 'true' };
const FALSE: ProjectedExpression = { op: 'false' };

export function projectInclusive(filter: BoundExpression, spec: PartitionSpec): ProjectedExpression {
  return visit<BoundPredicate, ProjectedExpression>(filter, {
    alwaysTrue: () => TRUE,
    alwaysFalse: () => FALSE,
    and: (args) => combine('and', args),
    or: (args) => combine('or', args),
    leaf: (predicate) => combine('and', projectPredicate(predicate, spec)),
  });
}

function projectPredicate(predicate: BoundPredicate, spec: PartitionSpec): PartitionPredicate[] {
  const valuePredicate = toValuePredicate(predicate);
  const projected: PartitionPredicate[] = [];
  spec.fields.forEach((field, position) => {
    if (field.sourceId !== predicate.term.fieldId) return;
    const transform = bindOrUndefined(field.transform, predicate.term.type);
    if (!transform) return;
    let result: ValuePredicate | null;
    try {
      result = transform.projectInclusive(valuePredicate);
    } catch {
      // A literal at the edge of the type's range (`< INT_MIN`) cannot step past it: do not narrow.
      result = null;
    }
    if (result)
      projected.push({ op: 'partition', position, type: transform.resultType, predicate: widenForTruncatingWriters(transform, result) });
  });
  return projected;
}

/**
 * Writers of the past (Java before 0.11, iceberg-rust 0.10 for some instants) truncated temporal
 * transforms toward zero, filing an instant of a period k < 0 under k + 1. Java's reader keeps
 * such files (ProjectionUtil.fixInclusiveTimeProjection), and so do we: a projected period below
 * zero also admits the one after it. day of a date is the date itself and cannot be wrong.
 */
function widenForTruncatingWriters(transform: BoundTransform, predicate: ValuePredicate): ValuePredicate {
  const kind = transform.transform.kind;
  const temporal = kind === 'year' || kind === 'month' || kind === 'hour' || (kind === 'day' && transform.sourceType !== 'date');
  if (!temporal) return predicate;
  const negative = (value: PrimitiveValue): value is number => typeof value === 'number' && value < 0;
  switch (predicate.op) {
    case 'lte':
      return negative(predicate.value) ? { op: 'lte', value: predicate.value + 1 } : predicate;
    case 'lt':
      return negative(predicate.value) ? { op: 'lt', value: predicate.value + 1 } : predicate;
    case 'eq':
      return negative(predicate.value) ? { op: 'in', values: [predicate.value, predicate.value + 1] } : predicate;
    case 'in': {
      if (!predicate.values.some(negative)) return predicate;
      const values = new Set<number>(predicate.values as number[]);
      for (const value of predicate.values) if (negative(value)) values.add(value + 1);
      return { op: 'in', values: [...values] };
    }
    default:
      return predicate;
  }
}

/** The field's transform for the column's current type; undefined when it cannot be (then it narrows nothing). */
function bindOrUndefined(text: string, type: PrimitiveType): BoundTransform | undefined {
  try {
    const transform = parseTransform(text);
    return transform.canTransform(type) ? transform.bind(type) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For a spec id, the filter's inclusive projection onto that spec as a test of an input (a
 * manifest, a partition tuple) with `leaf` judging each partition predicate; made the first time
 * the spec is asked for, and undefined for a spec not in `specs`.
 */
export function projectionEvaluators<Input>(
  filter: BoundExpression,
  specs: readonly PartitionSpec[],
  leaf: (predicate: PartitionPredicate) => (input: Input) => boolean,
): (specId: number) => ((input: Input) => boolean) | undefined {
  const made = new Map<number, ((input: Input) => boolean) | undefined>();
  return (specId) => {
    if (!made.has(specId)) {
      const spec = specs.find((candidate) => candidate.specId === specId);
      made.set(specId, spec && evaluator(projectInclusive(filter, spec), leaf));
    }
    return made.get(specId);
  };
}
