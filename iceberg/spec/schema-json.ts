/**
 * Schemas and types in Iceberg's JSON form (spec: "Appendix C: JSON serialization"), shared by
 * metadata files and the REST catalog.
 */
import type { JsonAt, JsonObject } from './json.js';
import { arrayOf, asBoolean, asInt, asObject, asString, childAt, corrupt, optional, required, toPlainJson } from './json.js';
import type { Schema } from './schema.js';
import type { IcebergType, NestedField, PrimitiveType, UnreadableType } from './types.js';
import { defined } from '../../contracts/defined.js';

const SIMPLE_PRIMITIVES: ReadonlySet<string> = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
  'string',
  'uuid',
  'binary',
  'unknown',
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;
/** v3 types Floe parses but does not read: `variant`, `geometry(C)`, `geography(C, A)` (C and A optional). */
const UNREADABLE = /^(variant|(geometry|geography)(\(.*\))?)$/;

export function parsePrimitiveType(text: string, at: JsonAt): PrimitiveType {
  if (SIMPLE_PRIMITIVES.has(text)) return text as PrimitiveType;
  const decimal = DECIMAL.exec(text);
  if (decimal) return `decimal(${Number(decimal[1])}, ${Number(decimal[2])})`;
  const fixed = FIXED.exec(text);
  if (fixed) return `fixed[${Number(fixed[1])}]`;
  if (UNREADABLE.test(text)) return text as UnreadableType;
  throw corrupt(at, 'an Iceberg type', text);
}

export function parseType(value: unknown, at: JsonAt): IcebergType {
  if (typeof value === 'string') return parsePrimitiveType(value, at);
  const object = asObject(value, at);
  const kind = required(object, 'type', at, asString);
  switch (kind) {
    case 'struct':
      return { type: 'struct', fields: parseFields(object, at) };
    case 'list':
      return {
        type: 'list',
        elementId: required(object, 'element-id', at, asInt),
        element: required(object, 'element', at, parseType),
        elementRequired: required(object, 'element-required', at, asBoolean),
      };
    case 'map':
      return {
        type: 'map',
        keyId: required(object, 'key-id', at, asInt),
        key: required(object, 'key', at, parseType),
        valueId: required(object, 'value-id', at, asInt),
        value: required(object, 'value', at, parseType),
        valueRequired: required(object, 'value-required', at, asBoolean),
      };
    default:
      throw corrupt(childAt(at, 'type'), 'struct, list or map', kind);
  }
}

function parseFields(object: JsonObject, at: JsonAt): NestedField[] {
  return required(object, 'fields', at, arrayOf(parseField));
}

export function parseField(value: unknown, at: JsonAt): NestedField {
  const object = asObject(value, at);
  const field: NestedField = {
    id: required(object, 'id', at, asInt),
    name: required(object, 'name', at, asString),
    required: required(object, 'required', at, asBoolean),
    type: required(object, 'type', at, parseType),
  };
  const doc = optional(object, 'doc', at, asString);
  // Defaults may legitimately be JSON null only when absent; a present value is kept as plain JSON.
  const initialDefault = object['initial-default'];
  const writeDefault = object['write-default'];
  return {
    ...field,
    ...defined({ doc }),
    ...(initialDefault === undefined ? {} : { initialDefault: toPlainJson(initialDefault) }),
    ...(writeDefault === undefined ? {} : { writeDefault: toPlainJson(writeDefault) }),
  };
}

/** A schema; `schema-id` defaults to 0 for v1 metadata that predates it. */
export function parseSchema(value: unknown, at: JsonAt): Schema {
  const object = asObject(value, at);
  const kind = required(object, 'type', at, asString);
  if (kind !== 'struct') throw corrupt(childAt(at, 'type'), 'struct', kind);
  return {
    schemaId: optional(object, 'schema-id', at, asInt) ?? 0,
    identifierFieldIds: optional(object, 'identifier-field-ids', at, arrayOf(asInt)) ?? [],
    fields: parseFields(object, at),
  };
}

export function typeToJson(type: IcebergType): unknown {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(fieldToJson) };
    case 'list':
      return { type: 'list', 'element-id': type.elementId, element: typeToJson(type.element), 'element-required': type.elementRequired };
    case 'map':
      return {
        type: 'map',
        'key-id': type.keyId,
        key: typeToJson(type.key),
        'value-id': type.valueId,
        value: typeToJson(type.value),
        'value-required': type.valueRequired,
      };
  }
}

export function fieldToJson(field: NestedField): Record<string, unknown> {
  return {
    id: field.id,
    name: field.name,
    required: field.required,
    type: typeToJson(field.type),
    ...defined({ doc: field.doc, 'initial-default': field.initialDefault, 'write-default': field.writeDefault }),
  };
}

export function schemaToJson(schema: Schema): Record<string, unknown> {
  return {
    type: 'struct',
    'schema-id': schema.schemaId,
    ...(schema.identifierFieldIds.length === 0 ? {} : { 'identifier-field-ids': [...schema.identifierFieldIds] }),
    fields: schema.fields.map(fieldToJson),
  };
}
