/**
 * Converting a filter literal, as a caller writes it, to a column's type as Floe holds values in
 * memory (see PrimitiveValue). A number too large or too small for an integer column is not an
 * error but a fact `bind` uses (`int_col < 1e12` holds for every non-null row), as Java does.
 */
import { FloeError } from '../../core/errors.js';
import { MICROS_PER_DAY, NANOS_PER_MICRO, parseDate, parseDateTime, parseTimeOfDay } from '../spec/temporal.js';
import { decimalParams, fixedLength } from '../spec/type-params.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';
import { parseDecimal } from '../spec/value-json.js';
import type { FilterLiteral } from './expression.js';
import { describeLiteral } from './expression.js';

export type ConvertedLiteral = { readonly value: PrimitiveValue } | { readonly outOfRange: 'above' | 'below' };

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const MS_PER_DAY = 86_400_000;
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface LiteralTarget {
  readonly column: string;
  readonly type: PrimitiveType;
  /** The table, for the error's context. */
  readonly table?: string | undefined;
}

export function convertLiteral(literal: FilterLiteral, target: LiteralTarget): ConvertedLiteral {
  const { type } = target;
  const fail = (expected: string): never => {
    throw new FloeError(
      'invalid-input',
      `Filter on column ${JSON.stringify(target.column)} of type ${type} expects ${expected}, got ${shown(literal)}`,
      {
        context: { table: target.table, column: target.column, type },
      },
    );
  };
  if (typeof literal === 'number' && Number.isNaN(literal)) fail('a value other than NaN (use isNaN or notNaN to find NaN)');

  switch (type) {
    case 'boolean':
      return typeof literal === 'boolean' ? { value: literal } : fail('true or false');
    case 'int':
      return integerInRange(literal, BigInt(INT_MIN), BigInt(INT_MAX), (n) => Number(n)) ?? fail('an integer');
    case 'long':
      return longLiteral(literal) ?? fail('an integer (a bigint for values beyond ±2^53)');
    case 'float':
    case 'double':
      if (typeof literal === 'number') return { value: literal };
      if (typeof literal === 'bigint' && BigInt(Number(literal)) === literal) return { value: Number(literal) };
      return fail('a number');
    case 'date':
      return dateLiteral(literal) ?? fail('an ISO date like "2024-01-31", a Date at UTC midnight, or a number of days since 1970-01-01');
    case 'time':
      return timeLiteral(literal) ?? fail('a time of day like "13:45:00.123456" or a bigint of microseconds since midnight');
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return timestampLiteral(literal, type) ?? fail(timestampExpectation(type));
    case 'string':
      return typeof literal === 'string' ? { value: literal } : fail('a string');
    case 'uuid':
      return typeof literal === 'string' && UUID_PATTERN.test(literal)
        ? { value: literal.toLowerCase() }
        : fail('a UUID string like "f79c3e09-677c-4bbd-a479-3f349cb785e7"');
    case 'binary':
      return literal instanceof Uint8Array ? { value: literal } : fail('a Uint8Array');
    case 'unknown':
      return fail('no value: a column of type unknown is always null (use isNull or notNull)');
    default:
      return parameterizedLiteral(literal, type, fail);
  }
}

function parameterizedLiteral(literal: FilterLiteral, type: PrimitiveType, fail: (expected: string) => never): ConvertedLiteral {
  const decimal = decimalParams(type);
  if (decimal) {
    const unscaled = decimalLiteral(literal, decimal.scale);
    return unscaled === undefined
      ? fail(`a decimal (string, number or bigint) with at most ${Math.max(decimal.scale, 0)} digits after the point`)
      : { value: unscaled };
  }
  const length = fixedLength(type);
  if (length !== undefined)
    return literal instanceof Uint8Array && literal.length === length
      ? { value: literal }
      : fail(`a Uint8Array of exactly ${length} bytes`);
  throw new FloeError('unsupported', `Filters on columns of type ${type} are not supported`, { context: { type } });
}

function shown(literal: FilterLiteral): string {
  if (literal instanceof Date || literal instanceof Uint8Array)
    return `${literal instanceof Date ? 'Date' : 'bytes'} ${describeLiteral(literal)}`;
  return `${typeof literal} ${describeLiteral(literal)}`;
}

function asExactInteger(literal: FilterLiteral): bigint | undefined {
  if (typeof literal === 'bigint') return literal;
  if (typeof literal === 'number' && Number.isInteger(literal)) return BigInt(literal);
  return undefined;
}

function integerInRange(
  literal: FilterLiteral,
  min: bigint,
  max: bigint,
  wrap: (n: bigint) => PrimitiveValue,
): ConvertedLiteral | undefined {
  if (literal === Infinity) return { outOfRange: 'above' };
  if (literal === -Infinity) return { outOfRange: 'below' };
  const n = asExactInteger(literal);
  if (n === undefined) return undefined;
  if (n > max) return { outOfRange: 'above' };
  if (n < min) return { outOfRange: 'below' };
  return { value: wrap(n) };
}

function longLiteral(literal: FilterLiteral): ConvertedLiteral | undefined {
  const converted = integerInRange(literal, LONG_MIN, LONG_MAX, (n) => n);
  // A number past 2^53 has lost digits already; only a bigint says which long was meant.
  if (converted && 'value' in converted && typeof literal === 'number' && !Number.isSafeInteger(literal)) return undefined;
  return converted;
}

function dateLiteral(literal: FilterLiteral): ConvertedLiteral | undefined {
  if (typeof literal === 'string') {
    const days = parseDate(literal);
    return days === undefined ? undefined : { value: days };
  }
  if (literal instanceof Date) {
    const ms = literal.getTime();
    return Number.isInteger(ms / MS_PER_DAY) ? { value: ms / MS_PER_DAY } : undefined;
  }
  return integerInRange(literal, BigInt(INT_MIN), BigInt(INT_MAX), (n) => Number(n));
}

function timeLiteral(literal: FilterLiteral): ConvertedLiteral | undefined {
  let micros: bigint | undefined;
  if (typeof literal === 'string') {
    const nanos = parseTimeOfDay(literal);
    if (nanos !== undefined && nanos % NANOS_PER_MICRO === 0n) micros = nanos / NANOS_PER_MICRO;
  } else if (typeof literal === 'bigint') {
    micros = literal;
  }
  return micros !== undefined && micros >= 0n && micros < MICROS_PER_DAY ? { value: micros } : undefined;
}

type TimestampType = 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns';

function timestampExpectation(type: TimestampType): string {
  const unit = type.endsWith('_ns') ? 'nanoseconds' : 'microseconds';
  const iso = type.startsWith('timestamptz')
    ? 'an ISO timestamp with a zone offset like "2024-01-31T13:45:00Z"'
    : 'an ISO timestamp like "2024-01-31T13:45:00" (an offset, if given, is converted to UTC)';
  const precision = type.endsWith('_ns') ? '' : ' at most microsecond precision,';
  return `${iso} with${precision} a Date, or a bigint of ${unit} since the epoch`;
}

function timestampLiteral(literal: FilterLiteral, type: TimestampType): ConvertedLiteral | undefined {
  const nanosecond = type.endsWith('_ns');
  if (typeof literal === 'bigint') return integerInRange(literal, LONG_MIN, LONG_MAX, (n) => n);
  if (literal instanceof Date) {
    const ms = literal.getTime();
    if (Number.isNaN(ms)) return undefined;
    return { value: BigInt(ms) * (nanosecond ? 1_000_000n : 1_000n) };
  }
  if (typeof literal !== 'string') return undefined;
  const parsed = parseDateTime(literal);
  if (!parsed) return undefined;
  if (type.startsWith('timestamptz') && parsed.offsetMinutes === undefined) return undefined;
  const nanosPerDay = MICROS_PER_DAY * NANOS_PER_MICRO;
  const nanos = BigInt(parsed.days) * nanosPerDay + parsed.nanosOfDay - BigInt(parsed.offsetMinutes ?? 0) * 60_000_000_000n;
  if (nanosecond) return integerInRange(nanos, LONG_MIN, LONG_MAX, (n) => n);
  if (nanos % NANOS_PER_MICRO !== 0n) return undefined;
  return integerInRange(nanos / NANOS_PER_MICRO, LONG_MIN, LONG_MAX, (n) => n);
}

/** The unscaled value at `scale`, when the literal has no more digits after the point than that. */
function decimalLiteral(literal: FilterLiteral, scale: number): bigint | undefined {
  let parsed: { unscaled: bigint; scale: number } | undefined;
  if (typeof literal === 'bigint') parsed = { unscaled: literal, scale: 0 };
  else if (typeof literal === 'number' && Number.isFinite(literal)) parsed = parseDecimal(String(literal));
  else if (typeof literal === 'string') parsed = parseDecimal(literal);
  if (!parsed) return undefined;
  if (parsed.scale <= scale) return parsed.unscaled * 10n ** BigInt(scale - parsed.scale);
  const divisor = 10n ** BigInt(parsed.scale - scale);
  return parsed.unscaled % divisor === 0n ? parsed.unscaled / divisor : undefined;
}
