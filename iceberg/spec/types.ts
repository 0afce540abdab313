/**
 * Iceberg's data types (spec: "Schemas and Data Types"). Primitive types keep the spec's own
 * spelling, so a type reads the same in metadata JSON, in errors and here; decimals and fixed
 * types are normalized to `decimal(P, S)` and `fixed[L]`.
 */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'
  | 'unknown'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`
  | UnreadableType;

/**
 * v3 types Floe parses in a schema but cannot read: a table holding them loads and scans, and only
 * a read that asks for such a column is refused (engine/read/readable-columns.ts). Kept as spelled.
 */
export type UnreadableType = 'variant' | `geometry${string}` | `geography${string}`;

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly NestedField[];
}

export interface ListType {
  readonly type: 'list';
  readonly elementId: number;
  readonly element: IcebergType;
  readonly elementRequired: boolean;
}

export interface MapType {
  readonly type: 'map';
  readonly keyId: number;
  readonly key: IcebergType;
  readonly valueId: number;
  readonly value: IcebergType;
  readonly valueRequired: boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
  /** v3 defaults, as the JSON single-value form of the field's type. */
  readonly initialDefault?: unknown;
  readonly writeDefault?: unknown;
}

/**
 * A value of a primitive type as Floe holds it in memory:
 * boolean → boolean; int, float, double, date (days) → number; long, time (µs), timestamp(tz) (µs),
 * timestamp(tz)_ns (ns) → bigint; string, uuid (canonical text) → string; binary, fixed → Uint8Array;
 * decimal → bigint unscaled value.
 */
export type PrimitiveValue = boolean | number | bigint | string | Uint8Array;

/**
 * A value of any type as Floe holds it in memory: a primitive as PrimitiveValue, a list as an
 * array, a struct as an object by field name, a map with string keys as an object by key.
 */
export type IcebergValue = PrimitiveValue | readonly (IcebergValue | null)[] | { readonly [name: string]: IcebergValue | null };

/**
 * The widenings Floe applies when a column of one type is read as another: int → long and
 * float → double, Iceberg's own type promotions (spec "Schema Evolution") that keep every value
 * exact. Date → timestamp and decimal widenings are not among them.
 */
export const TYPE_WIDENINGS: Readonly<Partial<Record<PrimitiveType, PrimitiveType>>> = { int: 'long', float: 'double' };

/**
 * A column of type `actual` can be read as `declared`: the same type, or one of TYPE_WIDENINGS; for
 * nested types, the same shape (list, map, or struct with the same field names in the same order)
 * whose elements, keys, values and fields read as the declared ones (map keys exactly). Field ids
 * and optionality are not compared.
 */
export function readsAs(actual: IcebergType, declared: IcebergType): boolean {
  if (typeof actual === 'string' || typeof declared === 'string')
    return actual === declared || (typeof actual === 'string' && TYPE_WIDENINGS[actual] === declared);
  switch (declared.type) {
    case 'list':
      return actual.type === 'list' && readsAs(actual.element, declared.element);
    case 'map':
      return (
        actual.type === 'map' &&
        readsAs(actual.key, declared.key) &&
        readsAs(declared.key, actual.key) &&
        readsAs(actual.value, declared.value)
      );
    case 'struct':
      return (
        actual.type === 'struct' &&
        actual.fields.length === declared.fields.length &&
        declared.fields.every(
          (field, index) => actual.fields[index]!.name === field.name && readsAs(actual.fields[index]!.type, field.type),
        )
      );
  }
}

/**
 * A type as text, field ids and optionality left out (`list<float>`, `map<string,long>`,
 * `struct<name:string,age:int>`): two types hold the same values when their texts are equal.
 */
export function typeText(type: IcebergType): string {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map((field) => `${field.name}:${typeText(field.type)}`).join(',')}>`;
    case 'list':
      return `list<${typeText(type.element)}>`;
    case 'map':
      return `map<${typeText(type.key)},${typeText(type.value)}>`;
  }
}

/** The widenings as a person reads them: `int → long, float → double`. */
export function describeWidenings(): string {
  return Object.entries(TYPE_WIDENINGS)
    .map(([from, to]) => `${from} → ${to}`)
    .join(', ');
}
