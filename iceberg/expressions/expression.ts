/**
 * Row filters as plain data, before they are bound to a schema: what a caller writes
 * (`and(eq('country', 'NL'), gtEq('ts', '2024-01-01T00:00:00Z'))`), what an activity can carry,
 * and what `bind` checks and converts against a table's schema.
 *
 * Meaning (as the engine applies it row by row, in SQL): a comparison with a null value does not
 * match; NaN is greater than every other float and never equal to a literal (NaN literals are
 * refused: use isNaN / notNaN); -0.0 equals 0.0. Scan pruning is conservative beyond this: it
 * keeps a file whenever a null could satisfy a negated predicate (notEq, notIn, notStartsWith,
 * notNaN), as Java's and pyiceberg's row evaluators say it does.
 */

export type UnaryOp = 'isNull' | 'notNull' | 'isNaN' | 'notNaN';
export type ComparisonOp = 'eq' | 'notEq' | 'lt' | 'ltEq' | 'gt' | 'gtEq' | 'startsWith' | 'notStartsWith';
export type SetOp = 'in' | 'notIn';
export type PredicateOp = UnaryOp | ComparisonOp | SetOp;

/**
 * A literal as a caller writes it. `bind` converts it to the column's type: timestamps accept ISO
 * strings, Dates and bigint microseconds (nanoseconds for the `_ns` types); dates ISO strings,
 * UTC-midnight Dates and day numbers; decimals strings, numbers and bigints; binary and fixed
 * Uint8Arrays.
 */
export type FilterLiteral = boolean | number | bigint | string | Date | Uint8Array;

export interface UnaryPredicate {
  readonly op: UnaryOp;
  readonly column: string;
}

export interface ComparisonPredicate {
  readonly op: ComparisonOp;
  readonly column: string;
  readonly value: FilterLiteral;
}

export interface SetPredicate {
  readonly op: SetOp;
  readonly column: string;
  readonly values: readonly FilterLiteral[];
}

export type Predicate = UnaryPredicate | ComparisonPredicate | SetPredicate;

export type Expression =
  | { readonly op: 'true' }
  | { readonly op: 'false' }
  | { readonly op: 'and'; readonly args: readonly Expression[] }
  | { readonly op: 'or'; readonly args: readonly Expression[] }
  | { readonly op: 'not'; readonly arg: Expression }
  | Predicate;

// ---------------------------------------------------------------------------------------------
// Builders. `column` is a top-level column's name, or a dotted path into struct columns.

export const alwaysTrue = (): Expression => ({ op: 'true' });
export const alwaysFalse = (): Expression => ({ op: 'false' });
export const and = (...args: Expression[]): Expression => ({ op: 'and', args });
export const or = (...args: Expression[]): Expression => ({ op: 'or', args });
export const not = (arg: Expression): Expression => ({ op: 'not', arg });

export const isNull = (column: string): Expression => ({ op: 'isNull', column });
export const notNull = (column: string): Expression => ({ op: 'notNull', column });
export const isNaN = (column: string): Expression => ({ op: 'isNaN', column });
export const notNaN = (column: string): Expression => ({ op: 'notNaN', column });

export const eq = (column: string, value: FilterLiteral): Expression => ({ op: 'eq', column, value });
export const notEq = (column: string, value: FilterLiteral): Expression => ({ op: 'notEq', column, value });
export const lt = (column: string, value: FilterLiteral): Expression => ({ op: 'lt', column, value });
export const ltEq = (column: string, value: FilterLiteral): Expression => ({ op: 'ltEq', column, value });
export const gt = (column: string, value: FilterLiteral): Expression => ({ op: 'gt', column, value });
export const gtEq = (column: string, value: FilterLiteral): Expression => ({ op: 'gtEq', column, value });
export const startsWith = (column: string, prefix: string): Expression => ({ op: 'startsWith', column, value: prefix });
export const notStartsWith = (column: string, prefix: string): Expression => ({ op: 'notStartsWith', column, value: prefix });

export const isIn = (column: string, values: readonly FilterLiteral[]): Expression => ({ op: 'in', column, values });
export const notIn = (column: string, values: readonly FilterLiteral[]): Expression => ({ op: 'notIn', column, values });

// ---------------------------------------------------------------------------------------------
// Describing, for errors and logs

const SYMBOLS: Readonly<Record<ComparisonOp, string>> = {
  eq: '=',
  notEq: '!=',
  lt: '<',
  ltEq: '<=',
  gt: '>',
  gtEq: '>=',
  startsWith: 'STARTS WITH',
  notStartsWith: 'NOT STARTS WITH',
};

const UNARY_TEXT: Readonly<Record<UnaryOp, string>> = { isNull: 'IS NULL', notNull: 'IS NOT NULL', isNaN: 'IS NAN', notNaN: 'IS NOT NAN' };

/** `id = 5 AND (name IS NULL OR ts >= "2024-01-01T00:00:00.000Z")`. Not SQL: the engine renders SQL itself. */
export function describe(expression: Expression): string {
  switch (expression.op) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'and':
    case 'or':
      if (expression.args.length === 0) return expression.op === 'and' ? 'TRUE' : 'FALSE';
      return expression.args.map((arg) => grouped(arg)).join(expression.op === 'and' ? ' AND ' : ' OR ');
    case 'not':
      return `NOT ${grouped(expression.arg)}`;
    default:
      return describePredicate(expression.column, expression);
  }
}

function grouped(expression: Expression): string {
  const text = describe(expression);
  return (expression.op === 'and' || expression.op === 'or') && expression.args.length > 1 ? `(${text})` : text;
}

/** A predicate, bound or not, on the column named `column`: `id = 5`, `name IS NULL`, `count IN (1, 2)`. */
export function describePredicate(
  column: string,
  predicate:
    | { readonly op: UnaryOp }
    | { readonly op: ComparisonOp; readonly value: unknown }
    | { readonly op: SetOp; readonly values: readonly unknown[] },
): string {
  if ('values' in predicate)
    return `${column} ${predicate.op === 'in' ? 'IN' : 'NOT IN'} (${predicate.values.map(describeLiteral).join(', ')})`;
  if ('value' in predicate) return `${column} ${SYMBOLS[predicate.op]} ${describeLiteral(predicate.value)}`;
  return `${column} ${UNARY_TEXT[predicate.op]}`;
}

export function describeLiteral(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (value === null) return 'null';
  return String(value);
}
