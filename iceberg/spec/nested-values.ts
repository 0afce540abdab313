/**
 * Walking a value as Floe holds it (see IcebergValue), for a caller that turns each primitive inside
 * it into another form: lists stay arrays, maps and structs objects by key or field name, nulls null.
 */
import type { IcebergType, IcebergValue, PrimitiveType, PrimitiveValue } from './types.js';

/** What mapPrimitives makes of a value: a `T` for each primitive, in the same shape around them. */
export type MappedValue<T> = T | null | readonly MappedValue<T>[] | { readonly [key: string]: MappedValue<T> };

export function mapPrimitives<T>(
  type: IcebergType,
  value: IcebergValue | null | undefined,
  primitive: (type: PrimitiveType, value: PrimitiveValue) => T,
): MappedValue<T> {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') return primitive(type, value as PrimitiveValue);
  switch (type.type) {
    case 'list':
      return (value as readonly (IcebergValue | null)[]).map((item) => mapPrimitives(type.element, item, primitive));
    case 'map': {
      const entries = Object.entries(value as { readonly [key: string]: IcebergValue | null });
      return Object.fromEntries(entries.map(([key, item]) => [key, mapPrimitives(type.value, item, primitive)]));
    }
    case 'struct': {
      const fields = value as { readonly [name: string]: IcebergValue | null };
      return Object.fromEntries(type.fields.map((field) => [field.name, mapPrimitives(field.type, fields[field.name], primitive)]));
    }
  }
}
