/**
 * Feast's side of `floe import feast`: the shape of a registry as `feast registry-dump` prints it
 * (Feast's registry protos in JSON), read with zod, and what Feast's type and source names mean.
 */
import { z } from 'zod';
import type { ValueType } from '../definitions.js';
import type { FeatureType } from '../feature-types.js';
import { parseFeatureType } from '../feature-types.js';
import { ON_DEMAND_FEATURE_TYPES } from '../on-demand.js';
import type { OnDemandFeatureType } from '../on-demand.js';
import { isRecord } from '../../core/is-record.js';

const field = z.object({ name: z.string(), valueType: z.string().optional(), description: z.string().optional() }).passthrough();
export type FeastField = z.infer<typeof field>;
const meta = { meta: z.unknown().optional() };
const dataSource = z
  .object({
    name: z.string(),
    type: z.string().optional(),
    timestampField: z.string().optional(),
    createdTimestampColumn: z.string().optional(),
    fieldMapping: z.record(z.string(), z.string()).optional(),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    requestDataOptions: z
      .object({ schema: z.array(field).optional() })
      .passthrough()
      .optional(),
    batchSource: z.object({ name: z.string() }).passthrough().optional(),
    ...meta,
  })
  .passthrough();
export type FeastDataSource = z.infer<typeof dataSource>;
const projection = z.object({ featureViewName: z.string(), featureColumns: z.array(field).optional() }).passthrough();
const spec = <T extends z.ZodRawShape>(shape: T) => z.object({ spec: z.object(shape).passthrough(), ...meta }).passthrough();
export const registryDump = z
  .object({
    project: z.string().optional(),
    entities: z
      .array(
        spec({
          name: z.string(),
          joinKey: z.string().optional(),
          valueType: z.string().optional(),
          description: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    dataSources: z.array(dataSource).default([]),
    featureViews: z
      .array(
        spec({
          name: z.string(),
          entities: z.array(z.string()).default([]),
          entityColumns: z.array(field).default([]),
          features: z.array(field).default([]),
          ttl: z.string().optional(),
          online: z.boolean().optional(),
          batchSource: dataSource.optional(),
          streamSource: dataSource.optional(),
          description: z.string().optional(),
          owner: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    onDemandFeatureViews: z
      .array(
        spec({
          name: z.string(),
          features: z.array(field).default([]),
          sources: z
            .record(
              z.string(),
              z
                .object({
                  featureViewProjection: projection.optional(),
                  requestDataSource: z.object({ name: z.string() }).passthrough().optional(),
                })
                .passthrough(),
            )
            .default({}),
          userDefinedFunction: z.object({ body: z.string().optional(), bodyText: z.string().optional() }).passthrough().optional(),
          featureTransformation: z.unknown().optional(),
          mode: z.string().optional(),
          description: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    featureServices: z
      .array(
        spec({
          name: z.string(),
          features: z.array(projection).default([]),
          description: z.string().optional(),
          owner: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
  })
  .passthrough();
export type RegistryDump = z.infer<typeof registryDump>;

/** Feast's scalar value types and the Floe type each becomes; lists, maps, JSON and structs have none. */
export const FEAST_TYPES: Readonly<Record<string, ValueType>> = {
  INT32: 'int',
  INT64: 'long',
  FLOAT: 'float',
  DOUBLE: 'double',
  STRING: 'string',
  BYTES: 'binary',
  BOOL: 'boolean',
  UNIX_TIMESTAMP: 'timestamptz',
};

/** The struct's field types, as Feast keeps them in a STRUCT feature's tags (feast/field.py STRUCT_SCHEMA_TAG). */
export const FEAST_STRUCT_SCHEMA_TAG = 'feast:struct_schema';

/** Feast's type names inside a struct schema (PrimitiveFeastType's), and the Floe type each becomes. */
const FEAST_STRUCT_FIELD_TYPES: Readonly<Record<string, FeatureType>> = {
  INT32: 'int',
  INT64: 'long',
  FLOAT32: 'float',
  FLOAT64: 'double',
  STRING: 'string',
  BYTES: 'binary',
  BOOL: 'boolean',
  UNIX_TIMESTAMP: 'timestamptz',
  MAP: 'map<string,string>',
};

/**
 * The Floe feature type of a Feast feature, or why it has none. Scalars as FEAST_TYPES; `<T>_LIST`
 * as `list<T>` (embeddings: FLOAT_LIST, DOUBLE_LIST); JSON as `json`; STRUCT as `struct<…>` from
 * its schema tag; MAP (string keys, values of any Feast type) as `map<string,string>`, the values
 * of Feast's own template: Feast keeps no value type for a MAP feature (its proto types each value
 * on its own, and its Arrow type for MAP is map<string,string>), so another is the user's to write.
 */
export function feastFeatureType(column: FeastField): { type: FeatureType } | { problem: string } {
  const valueType = column.valueType ?? '(none)';
  const scalar = FEAST_TYPES[valueType];
  if (scalar !== undefined) return { type: scalar };
  const element = valueType.endsWith('_LIST') ? FEAST_TYPES[valueType.slice(0, -'_LIST'.length)] : undefined;
  if (element !== undefined) return { type: `list<${element}>` };
  if (valueType === 'JSON') return { type: 'json' };
  if (valueType === 'MAP') return { type: 'map<string,string>' };
  if (valueType === 'STRUCT') {
    const schema = (column as { tags?: Record<string, string> }).tags?.[FEAST_STRUCT_SCHEMA_TAG];
    if (schema === undefined) return { problem: `Feast type STRUCT without its ${FEAST_STRUCT_SCHEMA_TAG} tag has no field types` };
    try {
      return { type: parseFeatureType(structType(JSON.parse(schema) as unknown)) };
    } catch (error) {
      return { problem: `Feast struct schema ${schema}: ${(error as Error).message}` };
    }
  }
  return { problem: `Feast type ${valueType} has no Floe column type` };
}

/** A struct schema's `{name: type}` (types as feast/field.py's _feast_type_to_str writes them) as Floe type text. */
function structType(schema: unknown): string {
  if (!isRecord(schema)) throw new Error('not an object of field types');
  const fields = Object.entries(schema).map(([name, type]) => `${name}:${structFieldType(type)}`);
  return `struct<${fields.join(',')}>`;
}

function structFieldType(type: unknown): string {
  if (typeof type !== 'string') throw new Error(`field type ${JSON.stringify(type)} is not a Feast type name`);
  const array = /^Array\((.*)\)$/.exec(type);
  if (array) return `list<${structFieldType(array[1])}>`;
  if (type.startsWith('{')) return structType((JSON.parse(type) as { __struct__?: unknown }).__struct__);
  const mapped = FEAST_STRUCT_FIELD_TYPES[type];
  if (mapped === undefined) throw new Error(`field type ${type} has no Floe type`);
  return mapped;
}

/** Data source types read from a table or files, whose rows an Iceberg table can hold. */
export const BATCH_SOURCE_TYPES = new Set([
  'BATCH_FILE',
  'BATCH_BIGQUERY',
  'BATCH_REDSHIFT',
  'BATCH_SNOWFLAKE',
  'BATCH_SPARK',
  'BATCH_TRINO',
  'BATCH_ATHENA',
  'CUSTOM_SOURCE',
]);

/** Feast's own placeholder entity of entity-less views. */
export const DUMMY_ENTITY = '__dummy';

/** The type a Feast field has as a request field or an on-demand feature (a scalar, or a list of one), if any. */
export function onDemandFeatureType(column: FeastField): OnDemandFeatureType | undefined {
  const mapped = feastFeatureType(column);
  if (!('type' in mapped)) return undefined;
  return (ON_DEMAND_FEATURE_TYPES as readonly string[]).includes(mapped.type) ? (mapped.type as OnDemandFeatureType) : undefined;
}

/** Where Feast read a source, for a message: its options' uri, table, path or query. */
export function describeLocation(source: FeastDataSource): string {
  for (const [key, value] of Object.entries(source))
    if (key.endsWith('Options') && typeof value === 'object' && value !== null) {
      const options = value as Record<string, unknown>;
      const where = options.uri ?? options.table ?? options.path ?? options.query;
      if (typeof where === 'string') return `${source.type ?? 'a source'} ${where}`;
    }
  return source.type ?? 'an unknown location';
}
