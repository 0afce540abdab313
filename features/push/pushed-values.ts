/**
 * One pushed value (a push's, a stream message's) as the text DuckDB casts to its column's type,
 * or the problem with it, never naming where it is (push-rows.ts says the row and column): numbers
 * exact and in range, times as ISO 8601 text, lists, maps and structs as JSON text whose every
 * value inside is checked the same way.
 */
import { isLosslessNumber } from 'lossless-json';
import { digitsAt, instantNanos, isInstantText, isoNanos, utcInstantText } from '../../contracts/instants.js';
import { parseExactJson } from '../../core/exact-json.js';
import type { IcebergType, NestedField, PrimitiveType } from '../../iceberg/spec/types.js';
import { typeText } from '../../iceberg/spec/types.js';

/** A value that is not null as the text DuckDB casts to a column of `type`, or what is wrong with it. */
export function pushedValueText(type: IcebergType, value: unknown): string | { problem: string } {
  if (typeof type !== 'string') return nestedJson(type, typeof value === 'string' ? nestedText(value) : value, '');
  return primitiveText(type, value);
}

/** A primitive value as the text DuckDB casts to its type, or what is wrong with it. */
function primitiveText(type: PrimitiveType, value: unknown): string | { problem: string } {
  const outOfRange = rangeProblem(type, value);
  if (outOfRange !== undefined) return { problem: outOfRange };
  const text = valueText(type, value);
  if (text === null) return { problem: `expected ${describeType(type)}, got ${describeValue(value)}` };
  if (type.startsWith('decimal')) return decimalText(type, value, text);
  const instantOutOfRange = INSTANT_TYPES.has(type) ? instantRangeProblem(type, value, text) : undefined;
  return instantOutOfRange === undefined ? text : { problem: instantOutOfRange };
}

const INTEGER_TEXT = /^-?\d+$/;
const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT_RANGE = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const LONG_RANGE = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

const FLOAT_MAX = 3.4028234663852886e38;

/**
 * Why a number cannot be stored in its column although it is a number of the column's kind: an
 * integer beyond the column's range (JSON allows 1e21 for a long), a double beyond a float's, a
 * number that is not finite (decimalText checks a decimal's digits). Without this a value like
 * these failed only in DuckDB's cast, as a server error.
 */
function rangeProblem(type: PrimitiveType, value: unknown): string | undefined {
  if (isLosslessNumber(value)) return exactNumberRangeProblem(type, value.value);
  if (typeof value !== 'number' && typeof value !== 'bigint') return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} is not a finite number; ${type} holds finite numbers only`;
  if (type === 'int' || type === 'long') {
    const range = type === 'int' ? INT_RANGE : LONG_RANGE;
    if (typeof value === 'number' && !Number.isInteger(value)) return undefined;
    // The common case without a BigInt: every safe integer is a long.
    if (typeof value === 'number' && Number.isSafeInteger(value) && (type === 'long' || (value >= -(2 ** 31) && value < 2 ** 31)))
      return undefined;
    const integer = BigInt(value);
    if (integer < range.min || integer > range.max) return outOfRange(type, value, `${range.min} to ${range.max}`);
    return undefined;
  }
  if (type === 'float' && Math.abs(Number(value)) > FLOAT_MAX) return outOfRange(type, value, `at most ±${FLOAT_MAX}`);
  return undefined;
}

/**
 * rangeProblem of a number with more digits than a double keeps (core/exact-json.ts): an integer
 * column and a float take its value (a decimal its digits, in decimalText).
 */
function exactNumberRangeProblem(type: PrimitiveType, digits: string): string | undefined {
  if (type.startsWith('decimal')) return undefined;
  if (type === 'int' || type === 'long') {
    if ((plainNumber(digits)?.whole.length ?? 0) > 19)
      return outOfRange(type, digits, type === 'int' ? `${INT_RANGE.min} to ${INT_RANGE.max}` : `${LONG_RANGE.min} to ${LONG_RANGE.max}`);
    const integer = integerText(digits);
    // Not an integer: valueText refuses it as such.
    return integer === undefined ? undefined : rangeProblem(type, BigInt(integer));
  }
  const number = Number(digits);
  if (!Number.isFinite(number)) return outOfRange(type, digits, `at most ±${type === 'float' ? FLOAT_MAX : Number.MAX_VALUE}`);
  return rangeProblem(type, number);
}

const NUMBER_PARTS = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
/** Past this many places from its digits a point is put here: only a number's being out of range matters there. */
const MAX_PLACES = 400;

/** A number written out without an exponent: the digits before the point without leading zeros, those after it without trailing zeros. */
interface PlainNumber {
  readonly negative: boolean;
  readonly whole: string;
  readonly fraction: string;
}

/** A number's text (`-1.50e3`, `.050`, `12`) as a PlainNumber; undefined when it is no number's text. */
function plainNumber(text: string): PlainNumber | undefined {
  const [, sign, whole = '', fraction = '', exponent = '0'] = NUMBER_PARTS.exec(text) ?? [];
  const digits = whole + fraction;
  if (sign === undefined || digits === '') return undefined;
  const first = digits.search(/[1-9]/);
  if (first < 0) return { negative: false, whole: '', fraction: '' };
  const significant = digits.slice(first).replace(/0+$/, '');
  const point = Math.max(-MAX_PLACES, Math.min(MAX_PLACES, whole.length - first + Number(exponent)));
  return {
    negative: sign === '-',
    whole: point <= 0 ? '' : significant.slice(0, point).padEnd(point, '0'),
    fraction: point >= significant.length ? '' : point < 0 ? '0'.repeat(-point) + significant : significant.slice(point),
  };
}

/** A number's text as plain integer digits when it is an integer (9.2e18, 12.000), else undefined. */
function integerText(digits: string): string | undefined {
  const plain = plainNumber(digits);
  if (plain === undefined || plain.fraction !== '') return undefined;
  return plain.whole === '' ? '0' : `${plain.negative ? '-' : ''}${plain.whole}`;
}

/**
 * A decimal column's text for a number's exact text, written out without an exponent, or what is
 * wrong with it: more digits before the point than the precision leaves, or after it than the scale
 * keeps. DuckDB's cast rounds those (7.95e-138 to 0.01 in a decimal(9, 2)), and pyarrow and Java
 * Iceberg refuse to; a number is what was sent or it is refused.
 */
function decimalText(type: PrimitiveType, value: unknown, text: string): string | { problem: string } {
  const [, precision = '38', scale = '0'] = /^decimal\((\d+),\s*(\d+)\)$/.exec(type) ?? [];
  const plain = plainNumber(text);
  const shown = typeof value === 'string' ? JSON.stringify(value) : text;
  if (plain === undefined) return { problem: `expected ${describeType(type)}, got ${describeValue(value)}` };
  const integerDigits = Number(precision) - Number(scale);
  if (plain.whole.length > integerDigits) return { problem: outOfRange(type, shown, `at most ${integerDigits} digits before the point`) };
  if (plain.fraction.length > Number(scale))
    return { problem: `${shown} has more digits after the point than ${type} keeps (${scale}); round it before it is sent` };
  return `${plain.negative ? '-' : ''}${plain.whole === '' ? '0' : plain.whole}${plain.fraction === '' ? '' : `.${plain.fraction}`}`;
}

function outOfRange(type: string, value: number | bigint | string, range: string): string {
  return `${value.toString()} is out of range for ${type} (${range})`;
}

const INSTANT_TYPES: ReadonlySet<PrimitiveType> = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'date']);
/** Past these a nanosecond timestamp's instant needs the exact check; between them every one fits. */
const NANOS_SURE_YEARS = { after: 1677, before: 2262 };

/**
 * Why an instant, staged as `text` (valueText's, in UTC), is past what its column holds: a
 * nanosecond timestamp holds 1677 to 2262 (nanoseconds in a long); the others years 1 to 9999, the
 * instants ISO 8601 text of four-digit years writes, as an Avro stream's are (stream-avro.ts).
 * DuckDB reads no signed year (`+010000-01-01`) and Python's datetime no year 0, so a time outside
 * is the row's problem rather than a batch that cannot land.
 */
function instantRangeProblem(type: PrimitiveType, value: unknown, text: string): string | undefined {
  // The staged text has four unsigned digits for years 0000 to 9999, a sign past them (then -1 here).
  const year = digitsAt(text, 0, 4);
  if (type === 'timestamp_ns' || type === 'timestamptz_ns') {
    if (year > NANOS_SURE_YEARS.after && year < NANOS_SURE_YEARS.before) return undefined;
    const nanos = instantNanos(text);
    if (nanos !== undefined && nanos >= LONG_RANGE.min && nanos <= LONG_RANGE.max) return undefined;
    return outOfRange(
      type,
      JSON.stringify(value),
      `${isoNanos(LONG_RANGE.min)} to ${isoNanos(LONG_RANGE.max)}, nanoseconds since 1970 in a long`,
    );
  }
  return year >= 1 ? undefined : outOfRange(type, JSON.stringify(value), 'years 1 to 9999 in UTC');
}

/**
 * A list, map or struct value as JSON text DuckDB casts to the column's type (stagedRowsSql), each
 * value inside checked as one of its own type (numbers keep their exact digits), or the first
 * problem, saying where inside (`[2]`, `.name`, `["key"]`). Missing struct fields are null.
 */
function nestedJson(type: IcebergType, value: unknown, at: string): string | { problem: string } {
  if (value === null || value === undefined) return 'null';
  const where = at === '' ? '' : `${at}: `;
  if (typeof type === 'string') {
    if (type === 'binary' || type.startsWith('fixed'))
      return { problem: `${where}${type} values inside a list, map or struct cannot be pushed as JSON` };
    const text = primitiveText(type, value);
    if (typeof text !== 'string') return { problem: `${where}${text.problem}` };
    const bare =
      type === 'boolean' || type === 'int' || type === 'long' || type === 'float' || type === 'double' || type.startsWith('decimal');
    return bare ? text : JSON.stringify(text);
  }
  const parts: string[] = [];
  if (type.type === 'list') {
    if (!Array.isArray(value)) return { problem: `${where}expected a list (${typeText(type)}), got ${describeValue(value)}` };
    for (let index = 0; index < value.length; index++) {
      const part = nestedJson(type.element, value[index], `${at}[${index}]`);
      if (typeof part !== 'string') return part;
      parts.push(part);
    }
    return `[${parts.join(',')}]`;
  }
  if (typeof value !== 'object' || Array.isArray(value) || isLosslessNumber(value) || value instanceof Uint8Array)
    return { problem: `${where}expected an object (${typeText(type)}), got ${describeValue(value)}` };
  const object = value as Readonly<Record<string, unknown>>;
  if (type.type === 'map') {
    for (const [key, item] of Object.entries(object)) {
      const part = nestedJson(type.value, item, `${at}[${JSON.stringify(key)}]`);
      if (typeof part !== 'string') return part;
      parts.push(`${JSON.stringify(key)}:${part}`);
    }
    return `{${parts.join(',')}}`;
  }
  const unknown = Object.keys(object).find((name) => !type.fields.some((field) => field.name === name));
  if (unknown !== undefined) return { problem: `${where}${JSON.stringify(unknown)} is not a field of ${typeText(type)}` };
  for (const field of type.fields) {
    const part = nestedJson(field.type, object[field.name], `${at}.${field.name}`);
    if (typeof part !== 'string') return part;
    parts.push(`${JSON.stringify(field.name)}:${part}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * A list, map or struct sent as its JSON text, parsed (numbers exact): Feast's remote online store
 * sends maps and structs so. Text that is not JSON stays text, and is refused as such.
 */
function nestedText(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return text;
  try {
    return parseExactJson(text);
  } catch {
    return text;
  }
}

/** The value as text of the column's type, or null when it is not one. */
function valueText(primitive: PrimitiveType, value: unknown): string | null {
  switch (primitive) {
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : null;
    case 'int':
    case 'long': {
      if (typeof value === 'number' && Number.isSafeInteger(value))
        return primitive === 'long' || (value >= -(2 ** 31) && value < 2 ** 31) ? String(value) : null;
      const text =
        typeof value === 'bigint'
          ? value.toString()
          : typeof value === 'number' && Number.isInteger(value)
            ? String(value)
            : typeof value === 'string' && INTEGER_TEXT.test(value)
              ? value
              : isLosslessNumber(value)
                ? (integerText(value.value) ?? null)
                : null;
      if (text === null) return null;
      const range = primitive === 'int' ? INT_RANGE : LONG_RANGE;
      const integer = BigInt(text);
      return integer >= range.min && integer <= range.max ? text : null;
    }
    case 'float':
    case 'double':
      if (typeof value === 'number') return Number.isFinite(value) ? doubleText(value) : null;
      if (typeof value === 'bigint') return value.toString();
      // More digits than a double keeps: rounded as the column rounds any number.
      if (isLosslessNumber(value)) return Number.isFinite(Number(value.value)) ? doubleText(Number(value.value)) : null;
      return null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'timestamp':
    case 'timestamptz':
      return typeof value === 'string' ? (utcInstantText(value, 6) ?? null) : null;
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return typeof value === 'string' ? (utcInstantText(value, 9) ?? null) : null;
    case 'date':
      return typeof value === 'string' && DATE_TEXT.test(value) && isInstantText(value) ? value : null;
    case 'uuid':
      return typeof value === 'string' && UUID_TEXT.test(value) ? value : null;
    case 'binary':
      // Bytes (an Avro stream's `bytes` field; JSON has none) as DuckDB's escaped blob text, \xHH a byte.
      return value instanceof Uint8Array ? Array.from(value, (byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('') : null;
    default:
      // A decimal takes a number's exact digits: a bigint's, a LosslessNumber's (core/exact-json.ts).
      if (primitive.startsWith('decimal'))
        return typeof value === 'number' && Number.isFinite(value)
          ? String(value)
          : typeof value === 'bigint'
            ? value.toString()
            : isLosslessNumber(value)
              ? value.value
              : typeof value === 'string' && DECIMAL_TEXT.test(value)
                ? value
                : null;
      // binary, fixed, geometry …: not pushable as JSON values.
      return null;
  }
}

/** A double as text DuckDB reads back as the same double: String writes -0 as 0. */
function doubleText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function describeType(type: NestedField['type']): string {
  if (typeof type !== 'string') return `a ${typeText(type)}`;
  if (type === 'int' || type === 'long') return `an integer (${type})`;
  if (type === 'float' || type === 'double') return `a number (${type})`;
  if (type.startsWith('timestamp')) return `an ISO 8601 timestamp text, UTC unless it names a zone (${type})`;
  if (type === 'date') return 'a YYYY-MM-DD date';
  if (type === 'boolean') return 'true or false';
  if (type.startsWith('decimal')) return `a number (${type})`;
  if (type === 'string' || type === 'uuid') return `a ${type} text`;
  return `${type} (which cannot be pushed as JSON)`;
}

function describeValue(value: unknown): string {
  const exact = isLosslessNumber(value);
  const text = typeof value === 'bigint' || exact ? value.toString() : JSON.stringify(value);
  const shown = text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `${Array.isArray(value) ? 'a list' : exact ? 'number' : typeof value} ${shown}`;
}
