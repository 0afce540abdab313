/** Snapshots, refs and the two logs in Iceberg's JSON form. */
import { FloeError } from '../../core/errors.js';
import type { JsonAt } from './json.js';
import { arrayOf, asInt, asLong, asObject, asString, childAt, corrupt, optional, required } from './json.js';
import type { FormatVersion } from './metadata.js';
import type { MetadataLogEntry, Snapshot, SnapshotLogEntry, SnapshotOperation, SnapshotRef, SnapshotSummary } from './snapshot.js';
import { defined } from '../../contracts/defined.js';

const OPERATIONS: readonly SnapshotOperation[] = ['append', 'replace', 'overwrite', 'delete'];

function parseSummary(value: unknown, at: JsonAt): SnapshotSummary {
  const object = asObject(value, at);
  const summary: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) summary[key] = asString(entry, childAt(at, key));
  const operation = summary['operation'];
  if (operation === undefined || !(OPERATIONS as readonly string[]).includes(operation)) {
    throw corrupt(childAt(at, 'operation'), `one of ${OPERATIONS.join(', ')}`, operation);
  }
  return summary as SnapshotSummary;
}

export function parseSnapshot(value: unknown, at: JsonAt, formatVersion: FormatVersion): Snapshot {
  const object = asObject(value, at);
  if (object['key-id'] !== undefined) {
    throw new FloeError('unsupported', `Snapshot ${at.path} in ${at.source} is encrypted (key-id); Floe does not read encrypted tables`, {
      context: { location: at.source, field: childAt(at, 'key-id').path },
    });
  }
  const manifestList = optional(object, 'manifest-list', at, asString) ?? null;
  const manifests = optional(object, 'manifests', at, arrayOf(asString));
  if (manifestList === null && manifests === undefined) throw corrupt(childAt(at, 'manifest-list'), 'a manifest list location', undefined);
  // v1 writers could leave out the summary; such snapshots are old appends, and the operation is
  // informational (planning never reads it). v2 and later require it.
  const summary =
    formatVersion === 1 && object['summary'] === undefined
      ? { operation: 'append' as const }
      : required(object, 'summary', at, parseSummary);
  const firstRowId = optional(object, 'first-row-id', at, asLong);
  const addedRows = optional(object, 'added-rows', at, asLong);
  return {
    snapshotId: required(object, 'snapshot-id', at, asLong),
    parentSnapshotId: optional(object, 'parent-snapshot-id', at, asLong) ?? null,
    sequenceNumber: optional(object, 'sequence-number', at, asInt) ?? 0,
    timestampMs: required(object, 'timestamp-ms', at, asInt),
    manifestList,
    ...defined({ manifests }),
    summary,
    schemaId: optional(object, 'schema-id', at, asInt) ?? null,
    ...defined({ firstRowId, addedRows }),
  };
}

export function snapshotToJson(snapshot: Snapshot): Record<string, unknown> {
  const { operation, ...rest } = snapshot.summary;
  return {
    'snapshot-id': snapshot.snapshotId,
    ...(snapshot.parentSnapshotId === null ? {} : { 'parent-snapshot-id': snapshot.parentSnapshotId }),
    // Sequence numbers start at 1; 0 marks a snapshot written by a v1 writer, which has none.
    ...(snapshot.sequenceNumber > 0 ? { 'sequence-number': snapshot.sequenceNumber } : {}),
    'timestamp-ms': snapshot.timestampMs,
    summary: { operation, ...rest },
    ...(snapshot.manifestList === null ? {} : { 'manifest-list': snapshot.manifestList }),
    ...(snapshot.manifests === undefined ? {} : { manifests: [...snapshot.manifests] }),
    ...(snapshot.schemaId === null ? {} : { 'schema-id': snapshot.schemaId }),
    ...defined({ 'first-row-id': snapshot.firstRowId, 'added-rows': snapshot.addedRows }),
  };
}

export function parseRefType(value: unknown, at: JsonAt): SnapshotRef['type'] {
  const text = asString(value, at);
  if (text !== 'branch' && text !== 'tag') throw corrupt(at, 'branch or tag', text);
  return text;
}

/** The fields of a ref after its snapshot id and type; shared with `set-snapshot-ref`. */
export function parseRefRetention(object: Readonly<Record<string, unknown>>, at: JsonAt): Omit<SnapshotRef, 'snapshotId' | 'type'> {
  const minSnapshotsToKeep = optional(object, 'min-snapshots-to-keep', at, asInt);
  const maxSnapshotAgeMs = optional(object, 'max-snapshot-age-ms', at, asInt);
  const maxRefAgeMs = optional(object, 'max-ref-age-ms', at, asInt);
  return {
    ...defined({ minSnapshotsToKeep, maxSnapshotAgeMs, maxRefAgeMs }),
  };
}

export function parseRef(value: unknown, at: JsonAt): SnapshotRef {
  const object = asObject(value, at);
  return {
    snapshotId: required(object, 'snapshot-id', at, asLong),
    type: required(object, 'type', at, parseRefType),
    ...parseRefRetention(object, at),
  };
}

export function parseRefs(value: unknown, at: JsonAt): Record<string, SnapshotRef> {
  const object = asObject(value, at);
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, ref] of Object.entries(object)) refs[name] = parseRef(ref, childAt(at, name));
  return refs;
}

export function refRetentionToJson(ref: Omit<SnapshotRef, 'snapshotId' | 'type'>): Record<string, unknown> {
  return {
    ...defined({
      'min-snapshots-to-keep': ref.minSnapshotsToKeep,
      'max-snapshot-age-ms': ref.maxSnapshotAgeMs,
      'max-ref-age-ms': ref.maxRefAgeMs,
    }),
  };
}

export function refToJson(ref: SnapshotRef): Record<string, unknown> {
  return { 'snapshot-id': ref.snapshotId, type: ref.type, ...refRetentionToJson(ref) };
}

export function parseSnapshotLogEntry(value: unknown, at: JsonAt): SnapshotLogEntry {
  const object = asObject(value, at);
  return { timestampMs: required(object, 'timestamp-ms', at, asInt), snapshotId: required(object, 'snapshot-id', at, asLong) };
}

export function parseMetadataLogEntry(value: unknown, at: JsonAt): MetadataLogEntry {
  const object = asObject(value, at);
  return { timestampMs: required(object, 'timestamp-ms', at, asInt), metadataFile: required(object, 'metadata-file', at, asString) };
}

export function snapshotLogEntryToJson(entry: SnapshotLogEntry): Record<string, unknown> {
  return { 'timestamp-ms': entry.timestampMs, 'snapshot-id': entry.snapshotId };
}

export function metadataLogEntryToJson(entry: MetadataLogEntry): Record<string, unknown> {
  return { 'timestamp-ms': entry.timestampMs, 'metadata-file': entry.metadataFile };
}
