/**
 * Table metadata files (spec: "Table Metadata") read into the one `TableMetadata` value whatever
 * their format version, and written back in the table's own version with the spec's kebab-case
 * keys. Fields Floe does not model (statistics, encryption keys, anything newer) ride along in
 * `extra` and are written back unchanged.
 */
import { FloeError } from '../../core/errors.js';
import type { JsonAt, JsonObject } from './json.js';
import {
  arrayOf,
  asInt,
  asLong,
  asObject,
  asString,
  asStringMap,
  jsonRoot,
  optional,
  parseJson,
  required,
  stringifyJson,
  toPlainJson,
} from './json.js';
import { metadataProblems } from './metadata-checks.js';
import type { FormatVersion, TableMetadata } from './metadata.js';
import { currentSchema, defaultSpec } from './metadata.js';
import {
  PARTITION_DATA_ID_START,
  parsePartitionFields,
  parsePartitionSpec,
  partitionFieldsToJson,
  partitionSpecToJson,
} from './partition-json.js';
import type { PartitionSpec } from './partition.js';
import { parseSchema, schemaToJson } from './schema-json.js';
import {
  metadataLogEntryToJson,
  parseMetadataLogEntry,
  parseRefs,
  parseSnapshot,
  parseSnapshotLogEntry,
  refToJson,
  snapshotLogEntryToJson,
  snapshotToJson,
} from './snapshot-json.js';
import { MAIN_BRANCH } from './snapshot.js';
import type { SnapshotRef } from './snapshot.js';
import { parseSortOrder, sortOrderToJson } from './sort-order-json.js';
import type { SortOrder } from './sort-order.js';
import { defined } from '../../contracts/defined.js';

export const SUPPORTED_FORMAT_VERSIONS: readonly FormatVersion[] = [1, 2, 3];

/** Every top-level key this module reads; the rest of a document goes to `extra`. */
const MODELLED_KEYS: ReadonlySet<string> = new Set([
  'format-version',
  'table-uuid',
  'location',
  'last-sequence-number',
  'last-updated-ms',
  'last-column-id',
  'schema',
  'schemas',
  'current-schema-id',
  'partition-spec',
  'partition-specs',
  'default-spec-id',
  'last-partition-id',
  'properties',
  'current-snapshot-id',
  'snapshots',
  'snapshot-log',
  'metadata-log',
  'sort-orders',
  'default-sort-order-id',
  'refs',
  'next-row-id',
]);

const UNSORTED: SortOrder = { orderId: 0, fields: [] };

/** Parses a metadata file's text; `location` names the file in every error. */
export function parseTableMetadata(text: string, location: string): TableMetadata {
  return tableMetadataFromJson(parseJson(text, location), location);
}

/** Metadata from already-parsed JSON (a REST response); `source` names where it came from. */
export function tableMetadataFromJson(value: unknown, source: string): TableMetadata {
  const at = jsonRoot(source);
  const object = asObject(value, at);
  const formatVersion = parseFormatVersion(object, at);
  const v1 = formatVersion === 1;

  const { schemas, currentSchemaId } = parseSchemas(object, at, v1);
  const { partitionSpecs, defaultSpecId } = parseSpecs(object, at, v1);
  const sortOrders = v1 && object['sort-orders'] === undefined ? [UNSORTED] : required(object, 'sort-orders', at, arrayOf(parseSortOrder));
  const defaultSortOrderId =
    v1 && object['default-sort-order-id'] === undefined
      ? (sortOrders[0]?.orderId ?? 0)
      : required(object, 'default-sort-order-id', at, asInt);

  // -1 is how older writers said "no current snapshot".
  const rawCurrent = optional(object, 'current-snapshot-id', at, asLong);
  const currentSnapshotId = rawCurrent === undefined || rawCurrent === -1n ? null : rawCurrent;
  const refs = optional(object, 'refs', at, parseRefs) ?? impliedRefs(currentSnapshotId);
  const nextRowId = formatVersion >= 3 ? required(object, 'next-row-id', at, asLong) : undefined;

  const metadata: TableMetadata = {
    formatVersion,
    // v1 tables may predate table uuids; '' stands for "none" and is not written back.
    tableUuid: v1 ? (optional(object, 'table-uuid', at, asString) ?? '') : required(object, 'table-uuid', at, asString),
    location: required(object, 'location', at, asString),
    lastSequenceNumber: v1 ? 0 : required(object, 'last-sequence-number', at, asInt),
    lastUpdatedMs: required(object, 'last-updated-ms', at, asInt),
    lastColumnId: required(object, 'last-column-id', at, asInt),
    schemas,
    currentSchemaId,
    partitionSpecs,
    defaultSpecId,
    lastPartitionId: v1
      ? (optional(object, 'last-partition-id', at, asInt) ?? highestPartitionFieldId(partitionSpecs))
      : required(object, 'last-partition-id', at, asInt),
    properties: optional(object, 'properties', at, asStringMap) ?? {},
    currentSnapshotId,
    snapshots: optional(object, 'snapshots', at, (raw, snapshotsAt) => asArrayOfSnapshots(raw, snapshotsAt, formatVersion)) ?? [],
    snapshotLog: optional(object, 'snapshot-log', at, arrayOf(parseSnapshotLogEntry)) ?? [],
    metadataLog: optional(object, 'metadata-log', at, arrayOf(parseMetadataLogEntry)) ?? [],
    sortOrders,
    defaultSortOrderId,
    refs,
    ...defined({ nextRowId }),
    extra: extraFields(object),
  };
  const [problem] = metadataProblems(metadata);
  if (problem !== undefined) {
    throw new FloeError('corrupt', `Invalid table metadata in ${source}: ${problem.message}`, {
      context: { location: source, field: problem.field },
    });
  }
  return metadata;
}

function parseFormatVersion(object: JsonObject, at: JsonAt): FormatVersion {
  const version = required(object, 'format-version', at, asInt);
  if (!(SUPPORTED_FORMAT_VERSIONS as readonly number[]).includes(version)) {
    throw new FloeError('unsupported', `Table metadata ${at.source} has format-version ${version}; Floe reads format versions 1, 2 and 3`, {
      context: { location: at.source, field: 'format-version' },
    });
  }
  return version as FormatVersion;
}

function parseSchemas(object: JsonObject, at: JsonAt, v1: boolean): { schemas: TableMetadata['schemas']; currentSchemaId: number } {
  if (object['schemas'] !== undefined || !v1) {
    return {
      schemas: required(object, 'schemas', at, arrayOf(parseSchema)),
      currentSchemaId: required(object, 'current-schema-id', at, asInt),
    };
  }
  const schema = required(object, 'schema', at, parseSchema);
  return { schemas: [schema], currentSchemaId: schema.schemaId };
}

function parseSpecs(object: JsonObject, at: JsonAt, v1: boolean): { partitionSpecs: PartitionSpec[]; defaultSpecId: number } {
  if (object['partition-specs'] !== undefined || !v1) {
    return {
      partitionSpecs: required(object, 'partition-specs', at, arrayOf(parsePartitionSpec)),
      defaultSpecId: required(object, 'default-spec-id', at, asInt),
    };
  }
  // v1 before spec evolution: one spec, id 0, as a bare list of fields.
  return { partitionSpecs: [{ specId: 0, fields: required(object, 'partition-spec', at, parsePartitionFields) }], defaultSpecId: 0 };
}

function asArrayOfSnapshots(value: unknown, at: JsonAt, formatVersion: FormatVersion): TableMetadata['snapshots'] {
  return arrayOf((item, itemAt) => parseSnapshot(item, itemAt, formatVersion))(value, at);
}

function highestPartitionFieldId(specs: readonly PartitionSpec[]): number {
  let highest = PARTITION_DATA_ID_START - 1;
  for (const spec of specs) for (const field of spec.fields) highest = Math.max(highest, field.fieldId);
  return highest;
}

/** Spec: when `refs` is absent, `main` is implied by current-snapshot-id. */
function impliedRefs(currentSnapshotId: bigint | null): Record<string, SnapshotRef> {
  return currentSnapshotId === null ? {} : { [MAIN_BRANCH]: { snapshotId: currentSnapshotId, type: 'branch' } };
}

function extraFields(object: JsonObject): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (!MODELLED_KEYS.has(key)) extra[key] = toPlainJson(value);
  }
  return extra;
}

/** The metadata as the JSON object its format version prescribes, in the key order Java writes. */
export function tableMetadataToJson(metadata: TableMetadata): Record<string, unknown> {
  const v1 = metadata.formatVersion === 1;
  const { statistics, 'partition-statistics': partitionStatistics, ...otherExtra } = metadata.extra;
  return {
    'format-version': metadata.formatVersion,
    ...(metadata.tableUuid === '' ? {} : { 'table-uuid': metadata.tableUuid }),
    location: metadata.location,
    ...(v1 ? {} : { 'last-sequence-number': metadata.lastSequenceNumber }),
    ...defined({ 'next-row-id': metadata.nextRowId }),
    'last-updated-ms': metadata.lastUpdatedMs,
    'last-column-id': metadata.lastColumnId,
    // v1 readers that predate schema evolution read only `schema` and `partition-spec`.
    ...(v1 ? { schema: schemaToJson(currentSchema(metadata)) } : {}),
    'current-schema-id': metadata.currentSchemaId,
    schemas: metadata.schemas.map(schemaToJson),
    ...(v1 ? { 'partition-spec': partitionFieldsToJson(defaultSpec(metadata).fields) } : {}),
    'default-spec-id': metadata.defaultSpecId,
    'partition-specs': metadata.partitionSpecs.map(partitionSpecToJson),
    'last-partition-id': metadata.lastPartitionId,
    'default-sort-order-id': metadata.defaultSortOrderId,
    'sort-orders': metadata.sortOrders.map(sortOrderToJson),
    properties: { ...metadata.properties },
    'current-snapshot-id': metadata.currentSnapshotId,
    refs: Object.fromEntries(Object.entries(metadata.refs).map(([name, ref]) => [name, refToJson(ref)])),
    snapshots: metadata.snapshots.map(snapshotToJson),
    ...defined({ statistics, 'partition-statistics': partitionStatistics }),
    'snapshot-log': metadata.snapshotLog.map(snapshotLogEntryToJson),
    'metadata-log': metadata.metadataLog.map(metadataLogEntryToJson),
    ...otherExtra,
  };
}

export function serializeTableMetadata(metadata: TableMetadata): string {
  return stringifyJson(tableMetadataToJson(metadata));
}
