/**
 * Reading and writing Iceberg's JSON (table metadata, REST payloads) without losing 64-bit ids.
 * Text is parsed with lossless-json, so every number arrives as its exact digits; the readers below
 * turn a field into the domain's type (int → number, long → bigint) or fail with a `corrupt`
 * FloeError naming the document and the field path, e.g. `schemas[0].fields[2].type`.
 */
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import { FloeError } from '../../core/errors.js';
import { isRecord } from '../../core/is-record.js';

/** Where a value sits: the document it came from (a file location or URL) and its path in it. */
export interface JsonAt {
  readonly source: string;
  readonly path: string;
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function jsonRoot(source: string): JsonAt {
  return { source, path: '' };
}

export function childAt(at: JsonAt, key: string | number): JsonAt {
  if (typeof key === 'number') return { source: at.source, path: `${at.path}[${key}]` };
  return { source: at.source, path: at.path === '' ? key : `${at.path}.${key}` };
}

/** Parses JSON text; numbers stay exact (LosslessNumber) until a reader converts them. */
export function parseJson(text: string, source: string): unknown {
  try {
    return parse(text);
  } catch (cause) {
    throw new FloeError('corrupt', `${source} is not valid JSON: ${(cause as Error).message}`, { context: { location: source }, cause });
  }
}

/** JSON text with bigints written as plain integers, as Iceberg's 64-bit ids are. */
export function stringifyJson(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new FloeError('internal', 'Value cannot be written as JSON');
  return text;
}

export function corrupt(at: JsonAt, expected: string, found: unknown): FloeError {
  const field = at.path === '' ? 'the document' : at.path;
  return new FloeError('corrupt', `Invalid JSON in ${at.source}: ${field} should be ${expected}, found ${describe(found)}`, {
    context: { location: at.source, field: at.path === '' ? undefined : at.path },
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (isLosslessNumber(value)) return `the number ${value.toString()}`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function asObject(value: unknown, at: JsonAt): JsonObject {
  if (!isRecord(value) || isLosslessNumber(value)) throw corrupt(at, 'an object', value);
  return value as JsonObject;
}

export function asArray(value: unknown, at: JsonAt): readonly unknown[] {
  if (!Array.isArray(value)) throw corrupt(at, 'an array', value);
  return value;
}

export function asString(value: unknown, at: JsonAt): string {
  if (typeof value !== 'string') throw corrupt(at, 'a string', value);
  return value;
}

export function asBoolean(value: unknown, at: JsonAt): boolean {
  if (typeof value !== 'boolean') throw corrupt(at, 'true or false', value);
  return value;
}

const INTEGER = /^-?\d+$/;

/** An integer that fits a JS number exactly (ids, counts, timestamps in ms). */
export function asInt(value: unknown, at: JsonAt): number {
  const digits = integerDigits(value);
  const result = digits === undefined ? undefined : Number(digits);
  if (result === undefined || !Number.isSafeInteger(result)) throw corrupt(at, 'an integer', value);
  return result;
}

/** A 64-bit integer (snapshot ids, row ids), exact. */
export function asLong(value: unknown, at: JsonAt): bigint {
  const digits = integerDigits(value);
  if (digits === undefined) throw corrupt(at, 'a 64-bit integer', value);
  const result = BigInt(digits);
  if (result > 9223372036854775807n || result < -9223372036854775808n) throw corrupt(at, 'a 64-bit integer', value);
  return result;
}

function integerDigits(value: unknown): string | undefined {
  if (isLosslessNumber(value)) return INTEGER.test(value.value) ? value.value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

export function asStringMap(value: unknown, at: JsonAt): Record<string, string> {
  const object = asObject(value, at);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) result[key] = asString(entry, childAt(at, key));
  return result;
}

/** A required field read with `read`, failing with the field's path when missing or mistyped. */
export function required<T>(object: JsonObject, key: string, at: JsonAt, read: (value: unknown, at: JsonAt) => T): T {
  return read(object[key], childAt(at, key));
}

/** An optional field: undefined when absent or null, else read with `read`. */
export function optional<T>(object: JsonObject, key: string, at: JsonAt, read: (value: unknown, at: JsonAt) => T): T | undefined {
  const value = object[key];
  return value === undefined || value === null ? undefined : read(value, childAt(at, key));
}

export function arrayOf<T>(read: (value: unknown, at: JsonAt) => T): (value: unknown, at: JsonAt) => T[] {
  return (value, at) => asArray(value, at).map((item, index) => read(item, childAt(at, index)));
}

/**
 * Numbers as plain JS values, for JSON Floe keeps without modelling (unknown metadata fields,
 * default values): integers that fit a number stay numbers, larger ones become bigint.
 */
export function toPlainJson(value: unknown): unknown {
  if (isLosslessNumber(value)) {
    if (!INTEGER.test(value.value)) return Number(value.value);
    const asNumber = Number(value.value);
    return Number.isSafeInteger(asNumber) ? asNumber : BigInt(value.value);
  }
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toPlainJson(entry)]));
  }
  return value;
}
