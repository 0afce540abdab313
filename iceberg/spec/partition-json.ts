/** Partition specs in Iceberg's JSON form, v1's bare field list included. */
import { FloeError } from '../../core/errors.js';
import type { JsonAt, JsonObject } from './json.js';
import { arrayOf, asArray, asInt, asObject, asString, childAt, optional, required } from './json.js';
import type { PartitionField, PartitionSpec } from './partition.js';

/** Spec: partition field ids start at 1000; v1 did not store them and assigned them in order from here. */
export const PARTITION_DATA_ID_START = 1000;

/** A spec's fields; `fallbackFieldId` is the id v1 metadata implies when a field has none. */
function parsePartitionField(value: unknown, at: JsonAt, fallbackFieldId: number): PartitionField {
  const object = asObject(value, at);
  return {
    sourceId: parseSourceId(object, at),
    fieldId: optional(object, 'field-id', at, asInt) ?? fallbackFieldId,
    name: required(object, 'name', at, asString),
    transform: required(object, 'transform', at, asString),
  };
}

/** `source-id`, or v3's `source-ids` when it names exactly one column. */
export function parseSourceId(object: JsonObject, at: JsonAt): number {
  const single = optional(object, 'source-id', at, asInt);
  if (single !== undefined) return single;
  const many = required(object, 'source-ids', at, arrayOf(asInt));
  if (many.length !== 1) {
    throw new FloeError('unsupported', `Multi-argument transforms (${at.path}.source-ids in ${at.source}) are not supported by Floe`, {
      context: { location: at.source, field: childAt(at, 'source-ids').path },
    });
  }
  return many[0] as number;
}

export function parsePartitionFields(value: unknown, at: JsonAt): PartitionField[] {
  return asArray(value, at).map((item, index) => parsePartitionField(item, childAt(at, index), PARTITION_DATA_ID_START + index));
}

export function parsePartitionSpec(value: unknown, at: JsonAt): PartitionSpec {
  const object = asObject(value, at);
  return {
    specId: required(object, 'spec-id', at, asInt),
    fields: required(object, 'fields', at, parsePartitionFields),
  };
}

export function partitionFieldsToJson(fields: readonly PartitionField[]): Record<string, unknown>[] {
  return fields.map((field) => ({ name: field.name, transform: field.transform, 'source-id': field.sourceId, 'field-id': field.fieldId }));
}

export function partitionSpecToJson(spec: PartitionSpec): Record<string, unknown> {
  return { 'spec-id': spec.specId, fields: partitionFieldsToJson(spec.fields) };
}
