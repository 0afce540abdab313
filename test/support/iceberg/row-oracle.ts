/**
 * An independent oracle for what a row filter means, written without any of Floe's expression
 * code: literals are already values of the column's type (bigint µs, day numbers, unscaled
 * decimals), and the two null semantics engines use are both spelled out.
 *
 * - 'sql': three-valued logic, as DuckDB applies the filter: a comparison with null is unknown,
 *   NOT unknown is unknown, and a row matches only when the filter is true.
 * - 'negated-nulls': as Java's and pyiceberg's row evaluators after NOT is pushed down: a null
 *   fails every positive predicate and satisfies every negated one (notEq, notIn, notStartsWith, notNaN).
 *
 * In both, NaN is equal to no literal and sorts above every other number (DuckDB's order), and
 * -0.0 equals 0.0.
 */
import type { PredicateOp } from '../../../iceberg/expressions/expression.js';
import type { PrimitiveValue } from '../../../iceberg/spec/types.js';

export type Semantics = 'sql' | 'negated-nulls';

export type OracleFilter =
  | { readonly op: 'true' }
  | { readonly op: 'false' }
  | { readonly op: 'and' | 'or'; readonly args: readonly OracleFilter[] }
  | { readonly op: 'not'; readonly arg: OracleFilter }
  | OracleLeaf;

export interface OracleLeaf {
  readonly op: PredicateOp;
  readonly column: string;
  readonly value?: PrimitiveValue;
  readonly values?: readonly PrimitiveValue[];
}

export type Row = Readonly<Record<string, PrimitiveValue | null>>;

export function matches(filter: OracleFilter, row: Row, semantics: Semantics): boolean {
  return semantics === 'sql' ? sql(filter, row) === true : negatedNulls(filter, row, false);
}

/** Either semantics: what pruning must never lose. */
export function matchesEither(filter: OracleFilter, row: Row): boolean {
  return matches(filter, row, 'sql') || matches(filter, row, 'negated-nulls');
}

function sql(filter: OracleFilter, row: Row): boolean | null {
  switch (filter.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and': {
      const results = filter.args.map((arg) => sql(arg, row));
      if (results.includes(false)) return false;
      return results.includes(null) ? null : true;
    }
    case 'or': {
      const results = filter.args.map((arg) => sql(arg, row));
      if (results.includes(true)) return true;
      return results.includes(null) ? null : false;
    }
    case 'not': {
      const result = sql(filter.arg, row);
      return result === null ? null : !result;
    }
    default: {
      const value = row[filter.column] ?? null;
      if (filter.op === 'isNull') return value === null;
      if (filter.op === 'notNull') return value !== null;
      // x IN () is an empty OR and x NOT IN () an empty AND, whatever x is.
      if (filter.values?.length === 0) return filter.op === 'notIn';
      if (value === null) return null;
      return leaf(filter.op, filter, value);
    }
  }
}

const NEGATION: Readonly<Record<PredicateOp, PredicateOp>> = {
  isNull: 'notNull',
  notNull: 'isNull',
  isNaN: 'notNaN',
  notNaN: 'isNaN',
  eq: 'notEq',
  notEq: 'eq',
  lt: 'gtEq',
  gtEq: 'lt',
  gt: 'ltEq',
  ltEq: 'gt',
  in: 'notIn',
  notIn: 'in',
  startsWith: 'notStartsWith',
  notStartsWith: 'startsWith',
};
const NEGATED_OPS: ReadonlySet<PredicateOp> = new Set(['notEq', 'notIn', 'notStartsWith', 'notNaN']);

function negatedNulls(filter: OracleFilter, row: Row, negate: boolean): boolean {
  switch (filter.op) {
    case 'true':
    case 'false':
      return (filter.op === 'true') !== negate;
    case 'and':
    case 'or': {
      const results = filter.args.map((arg) => negatedNulls(arg, row, negate));
      return (filter.op === 'and') !== negate ? results.every(Boolean) : results.some(Boolean);
    }
    case 'not':
      return negatedNulls(filter.arg, row, !negate);
    default: {
      const op = negate ? NEGATION[filter.op] : filter.op;
      const value = row[filter.column] ?? null;
      if (op === 'isNull') return value === null;
      if (op === 'notNull') return value !== null;
      if (filter.values?.length === 0) return op === 'notIn';
      if (value === null) return NEGATED_OPS.has(op);
      return leaf(op, filter, value);
    }
  }
}

function leaf(op: PredicateOp, predicate: OracleLeaf, value: PrimitiveValue): boolean {
  const literal = predicate.value!;
  switch (op) {
    case 'isNull':
      return false;
    case 'notNull':
      return true;
    case 'isNaN':
      return typeof value === 'number' && Number.isNaN(value);
    case 'notNaN':
      return !(typeof value === 'number' && Number.isNaN(value));
    case 'eq':
      return order(value, literal) === 0;
    case 'notEq':
      return order(value, literal) !== 0;
    case 'lt':
      return order(value, literal) < 0;
    case 'ltEq':
      return order(value, literal) <= 0;
    case 'gt':
      return order(value, literal) > 0;
    case 'gtEq':
      return order(value, literal) >= 0;
    case 'in':
      return predicate.values!.some((candidate) => order(value, candidate) === 0);
    case 'notIn':
      return predicate.values!.every((candidate) => order(value, candidate) !== 0);
    case 'startsWith':
      return String(value).startsWith(String(literal));
    case 'notStartsWith':
      return !String(value).startsWith(String(literal));
  }
}

/** DuckDB's order: numbers numerically with NaN last and -0 = 0; text by UTF-8 bytes; bytes unsigned. */
export function order(a: PrimitiveValue, b: PrimitiveValue): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`oracle cannot compare ${typeof a} with ${typeof b}`);
}
