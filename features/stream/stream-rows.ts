import { FloeError } from '../../core/errors.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { checkPushedRows } from '../push/push-rows.js';
import type { CheckedRows } from '../push/push-rows.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import type { AvroDecoder } from './stream-avro.js';

/** How a stream source's messages become rows of its table. */
export interface MessageShape {
  readonly stream: StreamSourceDefinition;
  /** The table's columns. */
  readonly fields: readonly NestedField[];
  /** Columns every row must have. */
  readonly required: ReadonlySet<string>;
  /** The table's event time column (the batch source's timestampField). */
  readonly timestampColumn: string;
  /** An Avro stream's decoder (absent: JSON values). */
  readonly avro?: AvroDecoder;
}

/**
 * A message's value as one checked row, or why it cannot be one: not JSON (not an object), or
 * for an Avro stream not a record of its schema; a field that is no column, a value of the wrong
 * type, a required column missing. Fields are renamed by `fieldMapping`, and the `timestampField`
 * to the table's event time column.
 */
export function messageRow(shape: MessageShape, value: Buffer | string | null | undefined): CheckedRows | string {
  if (value === null || value === undefined || value.length === 0) return 'the message has no value';
  const record = shape.avro === undefined ? jsonRecord(value) : shape.avro.decode(typeof value === 'string' ? Buffer.from(value) : value);
  if (typeof record === 'string') return record;
  const { fieldMapping = {}, timestampField } = shape.stream;
  const columns: Record<string, unknown[]> = {};
  for (const [field, fieldValue] of Object.entries(record)) {
    const column = Object.hasOwn(fieldMapping, field) ? fieldMapping[field]! : field === timestampField ? shape.timestampColumn : field;
    columns[column] = [fieldValue];
  }
  try {
    return checkPushedRows(shape.stream.name, columns, shape.fields, shape.required);
  } catch (error) {
    if (FloeError.is(error, 'invalid-input')) return error.message;
    throw error;
  }
}

/** A message's value as the dead-letter table keeps it: JSON as its text, Avro as the base64 of its bytes. */
export function deadLetterValue(shape: MessageShape, value: Buffer | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return shape.avro === undefined ? value.toString('utf8') : value.toString('base64');
}

function jsonRecord(value: Buffer | string): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return `the value is not JSON: ${(error as Error).message}`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the value is not a JSON object';
  return parsed as Record<string, unknown>;
}
