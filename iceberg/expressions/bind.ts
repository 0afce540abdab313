/**
 * Binding a row filter to a schema: every column resolved to its field id and type, every literal
 * converted to that type, and `not` rewritten away by pushing it into the predicates (De Morgan;
 * `not lt` is `gtEq`, which also holds for NaN since NaN sorts above every number), so that the
 * evaluators only ever see monotone and/or over predicates.
 */
import { FloeError } from '../../core/errors.js';
import type { Schema } from '../spec/schema.js';
import type { NestedField, PrimitiveValue } from '../spec/types.js';
import { compareValues } from '../spec/value-order.js';
import { FALSE, TRUE } from './bound.js';
import type { BoundExpression, BoundReference } from './bound.js';
import type { ComparisonOp, Expression, FilterLiteral, PredicateOp, SetOp, UnaryOp } from './expression.js';
import { describe } from './expression.js';
import { convertLiteral } from './literals.js';
import { combine } from './visitor.js';

export interface BindOptions {
  /** The table's name, for errors. */
  readonly table?: string;
}

const NEGATED: Readonly<Record<PredicateOp, PredicateOp>> = {
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
  startsWith: 'notStartsWith',
  notStartsWith: 'startsWith',
  in: 'notIn',
  notIn: 'in',
};

const UNARY_OPS: ReadonlySet<string> = new Set<UnaryOp>(['isNull', 'notNull', 'isNaN', 'notNaN']);
const COMPARISON_OPS: ReadonlySet<string> = new Set<ComparisonOp>([
  'eq',
  'notEq',
  'lt',
  'ltEq',
  'gt',
  'gtEq',
  'startsWith',
  'notStartsWith',
]);
const SET_OPS: ReadonlySet<string> = new Set<SetOp>(['in', 'notIn']);

export function bind(expression: Expression, schema: Schema, options: BindOptions = {}): BoundExpression {
  return new Binder(schema, options.table).bind(expression, false);
}

interface ResolvedColumn {
  readonly reference: BoundReference;
  /** Neither the field nor any struct around it may be null. */
  readonly required: boolean;
}

class Binder {
  constructor(
    private readonly schema: Schema,
    private readonly table: string | undefined,
  ) {}

  bind(expression: Expression, negate: boolean): BoundExpression {
    if (typeof expression !== 'object' || expression === null) {
      throw new FloeError('invalid-input', `Malformed filter ${String(expression)}: expected an expression object`, {
        context: { table: this.table },
      });
    }
    const node = expression as { op?: unknown; args?: unknown; arg?: unknown };
    switch (node.op) {
      case 'true':
        return negate ? FALSE : TRUE;
      case 'false':
        return negate ? TRUE : FALSE;
      case 'and':
      case 'or': {
        if (!Array.isArray(node.args)) throw this.malformed(expression, `"${node.op}" needs an array "args"`);
        const args = (node.args as Expression[]).map((arg) => this.bind(arg, negate));
        return combine((node.op === 'and') !== negate ? 'and' : 'or', args);
      }
      case 'not':
        if (typeof node.arg !== 'object' || node.arg === null) throw this.malformed(expression, '"not" needs an expression "arg"');
        return this.bind(node.arg as Expression, !negate);
      default:
        return this.bindPredicate(expression, negate);
    }
  }

  private bindPredicate(expression: Expression, negate: boolean): BoundExpression {
    const node = expression as { op?: unknown; column?: unknown; value?: unknown; values?: unknown };
    const op = typeof node.op === 'string' ? node.op : undefined;
    if (op === undefined || !(UNARY_OPS.has(op) || COMPARISON_OPS.has(op) || SET_OPS.has(op))) {
      throw this.malformed(expression, `unknown operation ${JSON.stringify(node.op)}`);
    }
    if (typeof node.column !== 'string') throw this.malformed(expression, `"${op}" needs a column name`);
    const column = this.resolve(node.column);
    const effective = negate ? NEGATED[op as PredicateOp] : (op as PredicateOp);
    if (UNARY_OPS.has(op)) return this.unary(effective as UnaryOp, column);
    if (COMPARISON_OPS.has(op)) {
      if (!('value' in node) || node.value === undefined || node.value === null)
        throw this.malformed(expression, `"${op}" needs a value (use isNull / notNull for nulls)`);
      return this.comparison(effective as ComparisonOp, column, node.value as FilterLiteral);
    }
    if (!Array.isArray(node.values)) throw this.malformed(expression, `"${op}" needs an array "values"`);
    if (node.values.some((value) => value === null || value === undefined))
      throw this.malformed(expression, `"${op}" values cannot be null`);
    return this.set(effective as SetOp, column, node.values as FilterLiteral[]);
  }

  private unary(op: UnaryOp, { reference, required }: ResolvedColumn): BoundExpression {
    if ((op === 'isNaN' || op === 'notNaN') && reference.type !== 'float' && reference.type !== 'double') {
      throw this.invalid(
        `isNaN and notNaN apply to float and double columns; column ${JSON.stringify(reference.column)} is ${reference.type}`,
        reference,
      );
    }
    if (required && op === 'isNull') return FALSE;
    if (required && op === 'notNull') return TRUE;
    return { op, term: reference };
  }

  private comparison(op: ComparisonOp, column: ResolvedColumn, literal: FilterLiteral): BoundExpression {
    const { reference } = column;
    if ((op === 'startsWith' || op === 'notStartsWith') && reference.type !== 'string') {
      throw this.invalid(
        `startsWith and notStartsWith apply to string columns; column ${JSON.stringify(reference.column)} is ${reference.type}`,
        reference,
      );
    }
    const converted = convertLiteral(literal, { column: reference.column, type: reference.type, table: this.table });
    if ('value' in converted) return { op, term: reference, value: converted.value };
    // Past the end of the column's range: the comparison is decided for every non-null value.
    const holdsForEveryValue =
      converted.outOfRange === 'above' ? op === 'lt' || op === 'ltEq' || op === 'notEq' : op === 'gt' || op === 'gtEq' || op === 'notEq';
    return holdsForEveryValue ? this.unary('notNull', column) : FALSE;
  }

  private set(op: SetOp, column: ResolvedColumn, literals: readonly FilterLiteral[]): BoundExpression {
    const { reference } = column;
    // As SQL's disjunction of eqs (and conjunction of notEqs): empty, they hold for no row (every row).
    if (literals.length === 0) return op === 'in' ? FALSE : TRUE;
    const values: PrimitiveValue[] = [];
    for (const literal of literals) {
      const converted = convertLiteral(literal, { column: reference.column, type: reference.type, table: this.table });
      // A value outside the column's range is never equal to one of its values.
      if (!('value' in converted)) continue;
      if (!values.some((kept) => compareValues(reference.type, kept, converted.value) === 0)) values.push(converted.value);
    }
    // Only values beyond the column's range: no value equals one, every non-null value differs from all.
    if (values.length === 0) return op === 'in' ? FALSE : this.unary('notNull', column);
    if (values.length === 1) return { op: op === 'in' ? 'eq' : 'notEq', term: reference, value: values[0]! };
    return { op, term: reference, values };
  }

  /** A top-level column by name, or a field inside struct columns by dotted path (`address.city`). */
  private resolve(name: string): ResolvedColumn {
    const found = findPath(this.schema.fields, name);
    if (!found) {
      throw new FloeError(
        'invalid-input',
        `Filter column ${JSON.stringify(name)} does not exist${this.table ? ` in table ${this.table}` : ''}; its columns are ${this.schema.fields.map((field) => field.name).join(', ')}`,
        {
          context: { table: this.table, column: name },
        },
      );
    }
    const field = found[found.length - 1]!;
    if (typeof field.type !== 'string') {
      throw new FloeError('invalid-input', `Filters apply to primitive columns; column ${JSON.stringify(name)} is a ${field.type.type}`, {
        context: { table: this.table, column: name },
      });
    }
    return {
      reference: { fieldId: field.id, column: name, path: found.map((f) => f.name), type: field.type },
      required: found.every((f) => f.required),
    };
  }

  private invalid(message: string, reference: BoundReference): FloeError {
    return new FloeError('invalid-input', message, { context: { table: this.table, column: reference.column, type: reference.type } });
  }

  private malformed(expression: Expression, problem: string): FloeError {
    let text: string;
    try {
      text = describe(expression);
    } catch {
      text = String(expression);
    }
    return new FloeError('invalid-input', `Malformed filter ${text}: ${problem}`, { context: { table: this.table } });
  }
}

/** The fields from a top-level column down to the named one; an exact name wins over a path. */
function findPath(fields: readonly NestedField[], name: string): NestedField[] | undefined {
  const exact = fields.find((field) => field.name === name);
  if (exact) return [exact];
  for (const field of fields) {
    if (typeof field.type === 'string' || field.type.type !== 'struct' || !name.startsWith(`${field.name}.`)) continue;
    const rest = findPath(field.type.fields, name.slice(field.name.length + 1));
    if (rest) return [field, ...rest];
  }
  return undefined;
}
