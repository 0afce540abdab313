/** Sort orders in Iceberg's JSON form. */
import type { JsonAt } from './json.js';
import { arrayOf, asInt, asObject, asString, corrupt, required } from './json.js';
import { parseSourceId } from './partition-json.js';
import type { SortField, SortOrder } from './sort-order.js';

function parseSortField(value: unknown, at: JsonAt): SortField {
  const object = asObject(value, at);
  return {
    transform: required(object, 'transform', at, asString),
    sourceId: parseSourceId(object, at),
    direction: required(object, 'direction', at, (raw, fieldAt) => oneOf(raw, fieldAt, ['asc', 'desc'] as const)),
    nullOrder: required(object, 'null-order', at, (raw, fieldAt) => oneOf(raw, fieldAt, ['nulls-first', 'nulls-last'] as const)),
  };
}

function oneOf<T extends string>(value: unknown, at: JsonAt, allowed: readonly T[]): T {
  const text = asString(value, at);
  if (!(allowed as readonly string[]).includes(text)) throw corrupt(at, allowed.join(' or '), text);
  return text as T;
}

export function parseSortOrder(value: unknown, at: JsonAt): SortOrder {
  const object = asObject(value, at);
  return { orderId: required(object, 'order-id', at, asInt), fields: required(object, 'fields', at, arrayOf(parseSortField)) };
}

export function sortOrderToJson(order: SortOrder): Record<string, unknown> {
  return {
    'order-id': order.orderId,
    fields: order.fields.map((field) => ({
      transform: field.transform,
      'source-id': field.sourceId,
      direction: field.direction,
      'null-order': field.nullOrder,
    })),
  };
}
