import { FloeError } from '../../core/errors.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { fromJsonValue } from '../../iceberg/spec/value-json.js';

/** A join key column of a view: its name and Iceberg type. */
export interface KeyColumn {
  readonly name: string;
  readonly type: PrimitiveType;
}

/**
 * The key values of entity rows for one view, typed as Floe holds values (long as bigint, …), with
 * each row's lookup string. Rows keep their order and multiplicity; `distinct` lists each key once.
 */
export interface EntityKeys {
  readonly columns: readonly KeyColumn[];
  /** Per entity row, its typed key values. */
  readonly values: readonly (readonly PrimitiveValue[])[];
  /** Per entity row, the string that identifies its key. */
  readonly lookups: readonly string[];
  /** Each distinct key once: lookup string → typed values. */
  readonly distinct: ReadonlyMap<string, readonly PrimitiveValue[]>;
}

export function entityKeys(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: readonly KeyColumn[],
  viewName: string,
): EntityKeys {
  const values: PrimitiveValue[][] = [];
  const lookups: string[] = [];
  const distinct = new Map<string, readonly PrimitiveValue[]>();
  rows.forEach((row, index) => {
    if (row === null || typeof row !== 'object')
      throw new FloeError('invalid-input', `Entity row ${index} must be an object of join key values`, { context: { row: index } });
    // Own properties only: a row without the column has no key, whatever Object.prototype holds.
    const typed = columns.map((column) =>
      keyValue(Object.hasOwn(row, column.name) ? row[column.name] : undefined, column, index, viewName),
    );
    const lookup = keyLookup(typed);
    values.push(typed);
    lookups.push(lookup);
    if (!distinct.has(lookup)) distinct.set(lookup, typed);
  });
  return { columns, values, lookups, distinct };
}

/** The lookup string of a key: equal exactly when the typed values are equal. */
export function keyLookup(values: readonly (PrimitiveValue | null)[]): string {
  if (values.length === 1) return part(values[0] ?? null);
  return JSON.stringify(values.map(part));
}

function part(value: PrimitiveValue | null): string {
  if (value === null) return '\u0000';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return String(value);
}

/** A key value as callers send it (JSON numbers, numeric strings, bigints, strings) in the key's type. */
export function keyValue(value: unknown, column: KeyColumn, row: number, viewName: string): PrimitiveValue {
  if (value === undefined || value === null) badKey(value, column, row, viewName, `present (a ${column.type})`);
  switch (column.type) {
    case 'long':
      if (typeof value === 'bigint')
        return inRange(value, -(2n ** 63n), 2n ** 63n - 1n) ? value : badKey(value, column, row, viewName, 'a 64-bit integer');
      if (typeof value === 'number')
        return Number.isSafeInteger(value)
          ? BigInt(value)
          : badKey(value, column, row, viewName, 'an integer (send integers beyond 2^53 as strings)');
      if (typeof value === 'string' && /^-?\d+$/.test(value)) {
        const parsed = BigInt(value);
        return inRange(parsed, -(2n ** 63n), 2n ** 63n - 1n) ? parsed : badKey(value, column, row, viewName, 'a 64-bit integer');
      }
      return badKey(value, column, row, viewName, 'an integer');
    case 'int': {
      const parsed =
        typeof value === 'number'
          ? value
          : typeof value === 'bigint'
            ? Number(value)
            : typeof value === 'string' && /^-?\d+$/.test(value)
              ? Number(value)
              : NaN;
      return Number.isInteger(parsed) && parsed >= -(2 ** 31) && parsed < 2 ** 31
        ? parsed
        : badKey(value, column, row, viewName, 'a 32-bit integer');
    }
    case 'string':
      return typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'bigint'
          ? String(value)
          : badKey(value, column, row, viewName, 'a string');
    default:
      try {
        return fromJsonValue(column.type, value);
      } catch (error) {
        if (FloeError.is(error)) return badKey(value, column, row, viewName, `a ${column.type} value (${error.detail})`);
        throw error;
      }
  }
}

/** Not a closure made per call of keyValue, which runs for every key of every request. */
function badKey(value: unknown, column: KeyColumn, row: number, viewName: string, expected: string): never {
  throw new FloeError(
    'invalid-input',
    `Entity row ${row}: join key ${column.name} of feature view ${viewName} must be ${expected}, got ${describe(value)}`,
    {
      context: { featureView: viewName, column: column.name, row },
    },
  );
}

function inRange(value: bigint, min: bigint, max: bigint): boolean {
  return value >= min && value <= max;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
