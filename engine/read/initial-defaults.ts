import { FloeError } from '../../core/errors.js';
import { fixedLength } from '../../iceberg/spec/type-params.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { fromJsonValue, toJsonValue } from '../../iceberg/spec/value-json.js';

/**
 * A v3 field's `initial-default` (spec: "Default values"; stored in the JSON single-value form) as
 * text DuckDB casts to the column's DuckDB type (engine/types.ts), or undefined when the field has
 * none (then files written before the column existed read it as null). The value is checked
 * against the field's type first, so bad metadata is an error naming the column, not a failed cast.
 */
export function initialDefaultText(field: NestedField, table?: string): string | undefined {
  return defaultText(field, 'initial-default', table);
}

/** The field's `write-default` (what a writer stores when a row omits the column) in the same text form. */
export function writeDefaultText(field: NestedField, table?: string): string | undefined {
  return defaultText(field, 'write-default', table);
}

function defaultText(field: NestedField, which: 'initial-default' | 'write-default', table: string | undefined): string | undefined {
  const json = which === 'initial-default' ? field.initialDefault : field.writeDefault;
  if (json === undefined || json === null) return undefined;
  const type = field.type;
  const what = which === 'initial-default' ? 'an initial-default' : 'a write-default';
  const where = `Column ${JSON.stringify(field.name)}${table === undefined ? '' : ` of table ${table}`}`;
  if (typeof type !== 'string') {
    throw new FloeError('unsupported', `${where} has ${what} of type ${type.type}; Floe reads defaults of primitive columns only`, {
      context: { table, column: field.name, fieldId: field.id },
    });
  }
  let value;
  try {
    value = fromJsonValue(type, json);
  } catch (error) {
    if (!FloeError.is(error)) throw error;
    throw new FloeError('corrupt', `${where} has ${what} that is not a ${type}: ${error.message}`, {
      context: { table, column: field.name, fieldId: field.id },
      cause: error,
    });
  }
  // DuckDB's text form of a BLOB escapes every byte as \xHH; TIMESTAMP_NS holds the UTC instant of a timestamptz_ns.
  if (type === 'binary' || fixedLength(type) !== undefined) {
    return [...(value as Uint8Array)].map((byte) => `\\x${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
  }
  return String(toJsonValue(type === 'timestamptz_ns' ? 'timestamp_ns' : type, value));
}
