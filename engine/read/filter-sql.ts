/**
 * A bound row filter (iceberg/expressions) as DuckDB SQL, with SQL's meaning: a predicate on a null
 * value is unknown and the row does not match (so `x != 5` and `x NOT IN (…)` skip nulls too); NaN
 * equals no literal and sorts above every number; -0.0 equals 0.0. Literals are rendered in the
 * column's own type so the comparison is exact (a float column against the double literal it was
 * bound with), and every string goes through the quoting helpers.
 */
import { instantFromMicrosSql } from '../timestamps.js';
import type { BoundExpression, BoundPredicate, BoundReference } from '../../iceberg/expressions/bound.js';
import { visit } from '../../iceberg/expressions/visitor.js';
import { FloeError } from '../../core/errors.js';
import { decimalParams } from '../../iceberg/spec/type-params.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { formatDecimal } from '../../iceberg/spec/value-json.js';
import { quoteIdentifier, quoteLiteral } from '../sql.js';

/** `column(reference)` gives the SQL that reads the referenced field in the query the filter applies to. */
export function filterSql(expression: BoundExpression, column: (reference: BoundReference) => string): string {
  return visit<BoundPredicate, string>(expression, {
    alwaysTrue: () => 'TRUE',
    alwaysFalse: () => 'FALSE',
    and: (args) => `(${args.join(' AND ')})`,
    or: (args) => `(${args.join(' OR ')})`,
    leaf: (predicate) => predicateSql(predicate, column(predicate.term)),
  });
}

/** The filter over a query whose columns carry the table's names (a struct field by its path), under `alias` when given. */
export function filterSqlByName(expression: BoundExpression, alias?: string): string {
  return filterSql(expression, (reference) => [...(alias === undefined ? [] : [alias]), ...reference.path].map(quoteIdentifier).join('.'));
}

function predicateSql(predicate: BoundPredicate, column: string): string {
  const type = predicate.term.type;
  switch (predicate.op) {
    case 'isNull':
      return `(${column} IS NULL)`;
    case 'notNull':
      return `(${column} IS NOT NULL)`;
    case 'isNaN':
      return `isnan(${column})`;
    case 'notNaN':
      return `(NOT isnan(${column}))`;
    case 'in':
    case 'notIn':
      return `(${column} ${predicate.op === 'in' ? 'IN' : 'NOT IN'} (${predicate.values.map((value) => literalSql(type, value)).join(', ')}))`;
    case 'startsWith':
      return `starts_with(${column}, ${literalSql(type, predicate.value)})`;
    case 'notStartsWith':
      return `(NOT starts_with(${column}, ${literalSql(type, predicate.value)}))`;
    default:
      return `(${column} ${COMPARISON[predicate.op]} ${literalSql(type, predicate.value)})`;
  }
}

const COMPARISON = { eq: '=', notEq: '<>', lt: '<', ltEq: '<=', gt: '>', gtEq: '>=' } as const;

/** A value of an Iceberg primitive type (as Floe holds it in memory) as a DuckDB literal of the column's type. */
export function literalSql(type: PrimitiveType, value: PrimitiveValue): string {
  const wrong = (): never => {
    throw new FloeError('invalid-input', `Filter value ${String(value)} is not a ${type} value as Floe holds them`, { context: { type } });
  };
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : wrong();
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? `CAST(${value} AS INTEGER)` : wrong();
    case 'long':
      return typeof value === 'bigint' ? `CAST(${value} AS BIGINT)` : wrong();
    case 'float':
    case 'double':
      // As DOUBLE even for a float column: DuckDB widens the column, so the comparison is exact.
      return typeof value === 'number' ? doubleLiteral(value) : wrong();
    case 'date':
      return typeof value === 'number' && Number.isInteger(value) ? `(DATE '1970-01-01' + CAST(${value} AS INTEGER))` : wrong();
    case 'time':
      return typeof value === 'bigint' ? `CAST(${quoteLiteral(timeText(value))} AS TIME)` : wrong();
    case 'timestamp':
      return typeof value === 'bigint' ? `make_timestamp(CAST(${value} AS BIGINT))` : wrong();
    case 'timestamptz':
      return typeof value === 'bigint' ? instantFromMicrosSql(`CAST(${value} AS BIGINT)`) : wrong();
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return typeof value === 'bigint' ? `make_timestamp_ns(CAST(${value} AS BIGINT))` : wrong();
    case 'string':
      return typeof value === 'string' ? stringLiteral(value) : wrong();
    case 'uuid':
      return typeof value === 'string' ? `CAST(${quoteLiteral(value)} AS UUID)` : wrong();
    case 'binary':
      return value instanceof Uint8Array ? blobLiteral(value) : wrong();
    case 'unknown':
      return 'NULL';
  }
  if (type.startsWith('fixed[')) return value instanceof Uint8Array ? blobLiteral(value) : wrong();
  const decimal = decimalParams(type);
  if (decimal && typeof value === 'bigint')
    return `CAST(${quoteLiteral(formatDecimal(value, decimal.scale))} AS DECIMAL(${decimal.precision}, ${decimal.scale}))`;
  return wrong();
}

function doubleLiteral(value: number): string {
  if (Number.isNaN(value)) throw new FloeError('invalid-input', 'NaN cannot be a filter literal: use isNaN / notNaN');
  const text = value === Infinity ? 'inf' : value === -Infinity ? '-inf' : Object.is(value, -0) ? '-0.0' : String(value);
  return `CAST(${quoteLiteral(text)} AS DOUBLE)`;
}

/** A string literal; NUL characters, which no SQL string literal may hold, are spliced in with chr(0). */
function stringLiteral(value: string): string {
  if (!value.includes('\0')) return quoteLiteral(value);
  return `(${value
    .split('\0')
    .map((part) => quoteLiteral(part))
    .join(' || chr(0) || ')})`;
}

function blobLiteral(value: Uint8Array): string {
  return `from_hex(${quoteLiteral(Buffer.from(value).toString('hex'))})`;
}

function timeText(micros: bigint): string {
  const pad = (n: bigint, width: number): string => n.toString().padStart(width, '0');
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(micros % 1_000_000n, 6)}`;
}
