/**
 * A row filter bound to a schema: columns resolved to field ids and primitive types, literals
 * converted to the column's type (as PrimitiveValue holds it), `not` pushed down into the
 * predicates, constants folded. What the evaluators prune with and the engine filters rows by.
 */
import type { ValuePredicate } from '../spec/value-predicate.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';
import type { ComparisonOp, SetOp, UnaryOp } from './expression.js';
import { describePredicate } from './expression.js';
import { visit } from './visitor.js';
import type { LogicalExpression } from './visitor.js';

export interface BoundReference {
  readonly fieldId: number;
  /** The column's name in the schema bound against; a dotted path for a field inside structs. */
  readonly column: string;
  /** Each name of the path from the top-level column down to the field. */
  readonly path: readonly string[];
  readonly type: PrimitiveType;
}

export type BoundPredicate =
  | { readonly op: UnaryOp; readonly term: BoundReference }
  | { readonly op: ComparisonOp; readonly term: BoundReference; readonly value: PrimitiveValue }
  | { readonly op: SetOp; readonly term: BoundReference; readonly values: readonly PrimitiveValue[] };

export type BoundExpression = LogicalExpression<BoundPredicate>;

export const TRUE: BoundExpression = { op: 'true' };
export const FALSE: BoundExpression = { op: 'false' };

/** The same predicate as the transforms' ValuePredicate, whose op names differ (lte, isNan, …). */
export function toValuePredicate(predicate: BoundPredicate): ValuePredicate {
  switch (predicate.op) {
    case 'isNull':
    case 'notNull':
      return { op: predicate.op };
    case 'isNaN':
      return { op: 'isNan' };
    case 'notNaN':
      return { op: 'notNan' };
    case 'in':
    case 'notIn':
      return { op: predicate.op, values: predicate.values };
    case 'ltEq':
      return { op: 'lte', value: predicate.value };
    case 'gtEq':
      return { op: 'gte', value: predicate.value };
    default:
      return { op: predicate.op, value: predicate.value };
  }
}

/** A bound filter for errors and logs, with literals as held in memory (µs, days, unscaled). */
export function describeBound(expression: BoundExpression): string {
  const joined = (args: readonly { text: string; connective: boolean }[], separator: string) => ({
    text: args.map((arg) => (arg.connective ? `(${arg.text})` : arg.text)).join(separator),
    connective: true,
  });
  return visit<BoundPredicate, { text: string; connective: boolean }>(expression, {
    alwaysTrue: () => ({ text: 'TRUE', connective: false }),
    alwaysFalse: () => ({ text: 'FALSE', connective: false }),
    and: (args) => joined(args, ' AND '),
    or: (args) => joined(args, ' OR '),
    leaf: (predicate) => ({ text: describePredicate(predicate.term.column, predicate), connective: false }),
  }).text;
}
