/**
 * The JSON that manifests carry in their Avro metadata (`schema`, `partition-spec`), in the
 * spec's Appendix C form. Readers of Floe's manifests (Java, pyiceberg) parse these.
 */
import type { PartitionSpec } from './partition.js';
import type { Schema } from './schema.js';
import type { IcebergType, NestedField } from './types.js';

type Json = Record<string, unknown>;

export function schemaToJson(schema: Schema): Json {
  return {
    type: 'struct',
    'schema-id': schema.schemaId,
    ...(schema.identifierFieldIds.length > 0 ? { 'identifier-field-ids': [...schema.identifierFieldIds] } : {}),
    fields: schema.fields.map(fieldToJson),
  };
}

function fieldToJson(field: NestedField): Json {
  return {
    id: field.id,
    name: field.name,
    required: field.required,
    type: typeToJson(field.type),
    ...(field.doc === undefined ? {} : { doc: field.doc }),
    ...(field.initialDefault === undefined ? {} : { 'initial-default': field.initialDefault }),
    ...(field.writeDefault === undefined ? {} : { 'write-default': field.writeDefault }),
  };
}

function typeToJson(type: IcebergType): unknown {
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

export function partitionFieldsToJson(spec: PartitionSpec): Json[] {
  return spec.fields.map((field) => ({ 'source-id': field.sourceId, 'field-id': field.fieldId, name: field.name, transform: field.transform }));
}
