import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import type { BoundExpression, BoundPredicate } from '../../iceberg/expressions/bound.js';
import { FloeError } from '../../iceberg/errors.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';

/**
 * A bound row filter as DuckDB SQL over the table's column names, with the meaning
 * iceberg/expressions documents: a comparison with a null value does not match (SQL's NULL does
 * that in a WHERE), NaN is greater than every other float, and is neither null nor "not NaN".
 * Literals are rendered from their bound (typed) values, so nothing of the caller's text reaches
 * the SQL unquoted.
 */
export function boundFilterSql(expression: BoundExpression): string {
  switch (expression.op) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'and':
    case 'or':
      if (expression.args.length === 0) return expression.op === 'and' ? 'TRUE' : 'FALSE';
      return `(${expression.args.map(boundFilterSql).join(expression.op === 'and' ? ' AND ' : ' OR ')})`;
    default:
      return predicateSql(expression);
  }
}

const COMPARISONS = { eq: '=', notEq: '<>', lt: '<', ltEq: '<=', gt: '>', gtEq: '>=' } as const;

function predicateSql(predicate: BoundPredicate): string {
  const column = predicate.term.path.map((part) => q(part)).join('.');
  const type = predicate.term.type;
  switch (predicate.op) {
    case 'isNull':
      return `(${column} IS NULL)`;
    case 'notNull':
      return `(${column} IS NOT NULL)`;
    case 'isNaN':
      return `coalesce(isnan(${column}), false)`;
    case 'notNaN':
      return `coalesce(NOT isnan(${column}), true)`;
    case 'in':
    case 'notIn': {
      if (predicate.values.length === 0) return predicate.op === 'in' ? 'FALSE' : `(${column} IS NOT NULL)`;
      const list = predicate.values.map((value) => literalSql(value, type)).join(', ');
      return `(${column} ${predicate.op === 'in' ? 'IN' : 'NOT IN'} (${list}))`;
    }
    case 'startsWith':
      return `starts_with(${column}, ${literalSql(predicate.value, type)})`;
    case 'notStartsWith':
      return `(NOT starts_with(${column}, ${literalSql(predicate.value, type)}))`;
    default:
      return `(${column} ${COMPARISONS[predicate.op]} ${literalSql(predicate.value, type)})`;
  }
}

/** A typed literal, from the value as iceberg/expressions holds it (see PrimitiveValue). */
export function literalSql(value: PrimitiveValue, type: PrimitiveType): string {
  const bigint = (): bigint => (typeof value === 'bigint' ? value : BigInt(value as number));
  switch (type) {
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    case 'int':
      return `${bigint()}::INTEGER`;
    case 'long':
      return `${bigint()}::BIGINT`;
    case 'float':
    case 'double': {
      const number = Number(value);
      if (Number.isNaN(number)) return `'nan'::DOUBLE`;
      if (!Number.isFinite(number)) return number > 0 ? `'inf'::DOUBLE` : `'-inf'::DOUBLE`;
      return `${number === 0 ? '0' : String(number)}::DOUBLE`;
    }
    case 'date':
      return `(DATE '1970-01-01' + ${bigint()}::INTEGER)`;
    case 'time':
      return `(TIME '00:00:00' + to_microseconds(${bigint()}::BIGINT))`;
    case 'timestamp':
      return `make_timestamp(${bigint()}::BIGINT)`;
    case 'timestamptz':
      return `(TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${bigint()}::BIGINT))`;
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return `make_timestamp_ns(${bigint()}::BIGINT)`;
    case 'string':
      return quoteLiteral(String(value));
    case 'uuid':
      return `${quoteLiteral(String(value))}::UUID`;
    case 'binary':
      return `from_hex(${quoteLiteral(Buffer.from(value as Uint8Array).toString('hex'))})`;
    case 'unknown':
      throw new FloeError('invalid-input', 'A filter cannot compare a column of type unknown with a value');
  }
  if (type.startsWith('fixed[')) return `from_hex(${quoteLiteral(Buffer.from(value as Uint8Array).toString('hex'))})`;
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return `CAST(${quoteLiteral(decimalText(bigint(), Number(decimal[2])))} AS DECIMAL(${decimal[1]}, ${decimal[2]}))`;
  throw new FloeError('unsupported', `Floe cannot filter rows on a column of type ${type}`);
}

function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}
