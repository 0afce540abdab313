/**
 * A row filter bound to a schema: columns resolved to field ids and primitive types, literals
 * converted to the column's type (as PrimitiveValue holds it), `not` pushed down into the
 * predicates, constants folded. What the evaluators prune with and the engine filters rows by.
 */
import type { ValuePredicate } from '../spec/value-predicate.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';
import type { ComparisonOp, SetOp, UnaryOp } from './expression.js';
import { describeLiteral } from './expression.js';

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

export type BoundExpression =
  | { readonly op: 'true' }
  | { readonly op: 'false' }
  | { readonly op: 'and'; readonly args: readonly BoundExpression[] }
  | { readonly op: 'or'; readonly args: readonly BoundExpression[] }
  | BoundPredicate;

export const TRUE: BoundExpression = { op: 'true' };
export const FALSE: BoundExpression = { op: 'false' };

export function isPredicate(expression: BoundExpression): expression is BoundPredicate {
  return 'term' in expression;
}

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

/** Folds constants and flattens nested and/or: `and()` is true, `or()` is false. */
export function andAll(args: readonly BoundExpression[]): BoundExpression {
  return combine('and', args);
}

export function orAll(args: readonly BoundExpression[]): BoundExpression {
  return combine('or', args);
}

function combine(op: 'and' | 'or', args: readonly BoundExpression[]): BoundExpression {
  const identity = op === 'and' ? 'true' : 'false';
  const absorbing = op === 'and' ? 'false' : 'true';
  const kept: BoundExpression[] = [];
  for (const arg of args) {
    if (arg.op === absorbing) return arg;
    if (arg.op === identity) continue;
    if (arg.op === op) kept.push(...arg.args);
    else kept.push(arg);
  }
  if (kept.length === 0) return op === 'and' ? TRUE : FALSE;
  if (kept.length === 1) return kept[0]!;
  return { op, args: kept };
}

const SYMBOLS: Readonly<Record<string, string>> = {
  eq: '=',
  notEq: '!=',
  lt: '<',
  ltEq: '<=',
  gt: '>',
  gtEq: '>=',
  startsWith: 'STARTS WITH',
  notStartsWith: 'NOT STARTS WITH',
  isNull: 'IS NULL',
  notNull: 'IS NOT NULL',
  isNaN: 'IS NAN',
  notNaN: 'IS NOT NAN',
  in: 'IN',
  notIn: 'NOT IN',
};

/** A bound filter for errors and logs, with literals as held in memory (µs, days, unscaled). */
export function describeBound(expression: BoundExpression): string {
  switch (expression.op) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'and':
    case 'or':
      return expression.args.map((arg) => (arg.op === 'and' || arg.op === 'or' ? `(${describeBound(arg)})` : describeBound(arg))).join(expression.op === 'and' ? ' AND ' : ' OR ');
    default: {
      const head = `${expression.term.column} ${SYMBOLS[expression.op]}`;
      if ('values' in expression) return `${head} (${expression.values.map(describeLiteral).join(', ')})`;
      if ('value' in expression) return `${head} ${describeLiteral(expression.value)}`;
      return head;
    }
  }
}
