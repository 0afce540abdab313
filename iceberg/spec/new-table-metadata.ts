/**
 * The first metadata of a new table. As Java and pyiceberg do, column ids are assigned afresh
 * (1, 2, … — a struct's own fields first, then what nests inside them, in order), and the partition
 * spec and sort order are re-pointed at the new ids, so a caller can describe a table with any ids.
 */
import { randomUUID } from 'node:crypto';
import { FloeError } from '../../core/errors.js';
import type { FormatVersion, TableMetadata } from './metadata.js';
import { PARTITION_DATA_ID_START } from './partition-json.js';
import type { PartitionSpec } from './partition.js';
import type { Schema } from './schema.js';
import type { SortOrder } from './sort-order.js';
import type { IcebergType, NestedField } from './types.js';

export const DEFAULT_FORMAT_VERSION: FormatVersion = 2;
/** Table property that picks the format version at create time; like Java, it is not stored. */
export const FORMAT_VERSION_PROPERTY = 'format-version';

export interface NewTableMetadataInput {
  readonly location: string;
  readonly schema: Schema;
  readonly partitionSpec?: PartitionSpec;
  readonly sortOrder?: SortOrder;
  readonly properties?: Readonly<Record<string, string>>;
  readonly formatVersion?: FormatVersion;
  readonly tableUuid?: string;
  readonly nowMs: number;
}

export function newTableMetadata(input: NewTableMetadataInput): TableMetadata {
  const { [FORMAT_VERSION_PROPERTY]: versionProperty, ...properties } = input.properties ?? {};
  const formatVersion = input.formatVersion ?? parseFormatVersionProperty(versionProperty, input.location);
  const { schema, newIds } = assignFreshIds(input.schema);
  const spec = freshPartitionSpec(input.partitionSpec, newIds, input.location);
  const sortOrder = freshSortOrder(input.sortOrder, newIds, input.location);
  return {
    formatVersion,
    tableUuid: input.tableUuid ?? randomUUID(),
    location: input.location.replace(/\/+$/, ''),
    lastSequenceNumber: 0,
    lastUpdatedMs: input.nowMs,
    lastColumnId: Math.max(0, ...newIds.values()),
    schemas: [schema],
    currentSchemaId: schema.schemaId,
    partitionSpecs: [spec],
    defaultSpecId: spec.specId,
    lastPartitionId: Math.max(PARTITION_DATA_ID_START - 1, ...spec.fields.map((field) => field.fieldId)),
    properties,
    currentSnapshotId: null,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [sortOrder],
    defaultSortOrderId: sortOrder.orderId,
    refs: {},
    ...(formatVersion >= 3 ? { nextRowId: 0n } : {}),
    extra: {},
  };
}

function parseFormatVersionProperty(value: string | undefined, location: string): FormatVersion {
  if (value === undefined) return DEFAULT_FORMAT_VERSION;
  if (value === '1' || value === '2' || value === '3') return Number(value) as FormatVersion;
  throw new FloeError('invalid-input', `Table property format-version must be 1, 2 or 3, got ${JSON.stringify(value)}`, {
    context: { table: location, field: FORMAT_VERSION_PROPERTY },
  });
}

/** The schema with ids 1…n, schema id 0, and the map from each old id to its new one. */
export function assignFreshIds(schema: Schema): { schema: Schema; newIds: Map<number, number> } {
  const newIds = new Map<number, number>();
  let next = 1;
  const take = (oldId: number): number => {
    const id = next++;
    newIds.set(oldId, id);
    return id;
  };
  const freshFields = (fields: readonly NestedField[]): NestedField[] => {
    const ids = fields.map((field) => take(field.id));
    return fields.map((field, index) => ({ ...field, id: ids[index] as number, type: freshType(field.type) }));
  };
  const freshType = (type: IcebergType): IcebergType => {
    if (typeof type === 'string') return type;
    if (type.type === 'struct') return { type: 'struct', fields: freshFields(type.fields) };
    if (type.type === 'list') {
      const elementId = take(type.elementId);
      return { ...type, elementId, element: freshType(type.element) };
    }
    const keyId = take(type.keyId);
    const valueId = take(type.valueId);
    return { ...type, keyId, valueId, key: freshType(type.key), value: freshType(type.value) };
  };
  const fields = freshFields(schema.fields);
  const identifierFieldIds = schema.identifierFieldIds.map((id) => mapId(newIds, id, 'identifier-field-ids', 'the schema'));
  return { schema: { schemaId: 0, identifierFieldIds, fields }, newIds };
}

function freshPartitionSpec(spec: PartitionSpec | undefined, newIds: ReadonlyMap<number, number>, location: string): PartitionSpec {
  return {
    specId: 0,
    fields: (spec?.fields ?? []).map((field, index) => ({
      ...field,
      sourceId: mapId(newIds, field.sourceId, `partition field ${field.name}`, location),
      fieldId: PARTITION_DATA_ID_START + index,
    })),
  };
}

function freshSortOrder(order: SortOrder | undefined, newIds: ReadonlyMap<number, number>, location: string): SortOrder {
  const fields = (order?.fields ?? []).map((field) => ({
    ...field,
    sourceId: mapId(newIds, field.sourceId, `sort field on ${field.sourceId}`, location),
  }));
  // Spec: order id 0 is reserved for the unsorted order.
  return { orderId: fields.length === 0 ? 0 : 1, fields };
}

function mapId(newIds: ReadonlyMap<number, number>, oldId: number, what: string, table: string): number {
  const id = newIds.get(oldId);
  if (id === undefined) {
    throw new FloeError('invalid-input', `The ${what} refers to column id ${oldId}, which is not in the table's schema`, {
      context: { table, fieldId: oldId },
    });
  }
  return id;
}
