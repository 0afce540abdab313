import { FloeError } from '../../core/errors.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { pushedRowChecker } from '../push/push-rows.js';
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

/** What a shape checks messages with: fields renamed to columns, each row checked as a push's. Made once per shape. */
interface MessageRows {
  /** Absent when every field is named as its column. */
  readonly columnOf: ((field: string) => string) | undefined;
  readonly checkRow: ReturnType<typeof pushedRowChecker>;
}

const rowsOfShape = new WeakMap<MessageShape, MessageRows>();

function messageRows(shape: MessageShape): MessageRows {
  let rows = rowsOfShape.get(shape);
  if (rows === undefined) {
    const { fieldMapping = {}, timestampField } = shape.stream;
    const renames = Object.keys(fieldMapping).length > 0 || (timestampField !== undefined && timestampField !== shape.timestampColumn);
    rows = {
      columnOf: renames
        ? (field) => (Object.hasOwn(fieldMapping, field) ? fieldMapping[field]! : field === timestampField ? shape.timestampColumn : field)
        : undefined,
      checkRow: pushedRowChecker(shape.stream.name, shape.fields, shape.required),
    };
    rowsOfShape.set(shape, rows);
  }
  return rows;
}

/**
 * A message's value as one checked row (the table's columns in order, each value as text), or why
 * it cannot be one: not JSON (not an object), or for an Avro stream not a record of its schema; a
 * field that is no column, a value of the wrong type, a required column missing. Fields are renamed
 * by `fieldMapping`, and the `timestampField` to the table's event time column.
 */
export function messageRow(shape: MessageShape, value: Buffer | string | null | undefined): (string | null)[] | string {
  if (value === null || value === undefined || value.length === 0) return 'the message has no value';
  const { avro } = shape;
  const rows = messageRows(shape);
  const record = avro === undefined ? jsonRecord(value) : avro.decode(typeof value === 'string' ? Buffer.from(value) : value);
  if (typeof record === 'string') return record;
  try {
    return rows.checkRow(rows.columnOf === undefined ? record : renamed(record, rows.columnOf));
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

function renamed(record: Readonly<Record<string, unknown>>, columnOf: (field: string) => string): Record<string, unknown> {
  // No prototype: a field named __proto__ is a field like any other (and no column).
  const columns = Object.create(null) as Record<string, unknown>;
  for (const field of Object.keys(record)) columns[columnOf(field)] = record[field];
  return columns;
}
