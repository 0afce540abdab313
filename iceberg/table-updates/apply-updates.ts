/**
 * Applying REST-style table updates to metadata, as Java's TableMetadata.Builder does: this is what
 * a catalog that keeps only a metadata pointer (SQL) runs on commit, and what the REST server runs
 * on its side. Pure: the clock comes in as `nowMs`.
 */
import { FloeError } from '../../core/errors.js';
import { metadataProblems } from '../spec/metadata-checks.js';
import type { TableMetadata } from '../spec/metadata.js';
import { schemaToJson } from '../spec/schema-json.js';
import { partitionFieldsToJson } from '../spec/partition-json.js';
import type { PartitionSpec } from '../spec/partition.js';
import { highestFieldId } from '../spec/schema.js';
import type { Schema } from '../spec/schema.js';
import { stringifyJson } from '../spec/json.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import type { MetadataLogEntry, Snapshot, SnapshotLogEntry, SnapshotRef } from '../spec/snapshot.js';
import type { SortOrder } from '../spec/sort-order.js';
import type { TableUpdate } from './updates.js';

export interface ApplyOptions {
  /** The commit's clock, for last-updated-ms and log entries that have no snapshot time. */
  readonly nowMs: number;
  /** The metadata file `base` was read from; when given it is added to the metadata log. */
  readonly baseMetadataLocation?: string;
}

/** `set-current-schema`, `set-default-spec` and `set-default-sort-order` use -1 for "the one just added". */
export const LAST_ADDED = -1;
const PREVIOUS_VERSIONS_MAX_PROPERTY = 'write.metadata.previous-versions-max';
const PREVIOUS_VERSIONS_MAX_DEFAULT = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What one commit's updates have done so far, for the rules that depend on earlier updates. */
interface Progress {
  changed: boolean;
  lastUpdatedMs: number | null;
  lastAddedSchemaId: number | null;
  lastAddedSpecId: number | null;
  lastAddedSortOrderId: number | null;
  readonly addedSnapshotIds: Set<bigint>;
  /** Snapshots this commit made current on main, in order: all but the last are intermediate. */
  readonly mainHeads: bigint[];
}

export function applyUpdates(base: TableMetadata, updates: readonly TableUpdate[], options: ApplyOptions): TableMetadata {
  const metadata: Mutable<TableMetadata> = {
    ...base,
    schemas: [...base.schemas],
    partitionSpecs: [...base.partitionSpecs],
    sortOrders: [...base.sortOrders],
    snapshots: [...base.snapshots],
    snapshotLog: [...base.snapshotLog],
    refs: { ...base.refs },
    properties: { ...base.properties },
  };
  const progress: Progress = {
    changed: false,
    lastUpdatedMs: null,
    lastAddedSchemaId: null,
    lastAddedSpecId: null,
    lastAddedSortOrderId: null,
    addedSnapshotIds: new Set(),
    mainHeads: [],
  };
  for (const update of updates) applyOne(metadata, update, progress, options);
  if (!progress.changed) return base;

  metadata.snapshotLog = cleanSnapshotLog(metadata, progress);
  if (options.baseMetadataLocation !== undefined) {
    metadata.metadataLog = trimmedMetadataLog(metadata, [
      ...base.metadataLog,
      { timestampMs: base.lastUpdatedMs, metadataFile: options.baseMetadataLocation },
    ]);
  }
  metadata.lastUpdatedMs = progress.lastUpdatedMs ?? options.nowMs;
  const [problem] = metadataProblems(metadata);
  if (problem !== undefined) fail(`the updated metadata is inconsistent: ${problem.message}`, { field: problem.field });
  return metadata;
}

function applyOne(metadata: Mutable<TableMetadata>, update: TableUpdate, progress: Progress, options: ApplyOptions): void {
  switch (update.action) {
    case 'assign-uuid':
      if (update.uuid === metadata.tableUuid) return;
      metadata.tableUuid = update.uuid;
      break;
    case 'upgrade-format-version':
      if (update.formatVersion === metadata.formatVersion) return;
      if (update.formatVersion < metadata.formatVersion)
        fail(`cannot downgrade a v${metadata.formatVersion} table to v${update.formatVersion}`, { action: update.action });
      metadata.formatVersion = update.formatVersion;
      if (update.formatVersion >= 3 && metadata.nextRowId === undefined) metadata.nextRowId = 0n;
      break;
    case 'add-schema':
      addSchema(metadata, update.schema, update.lastColumnId, progress);
      return;
    case 'set-current-schema': {
      const schemaId = resolveLastAdded(update.schemaId, progress.lastAddedSchemaId, 'schema');
      if (schemaId === metadata.currentSchemaId) return;
      if (!metadata.schemas.some((schema) => schema.schemaId === schemaId))
        fail(`schema ${schemaId} does not exist`, { action: update.action });
      metadata.currentSchemaId = schemaId;
      break;
    }
    case 'add-spec':
      addSpec(metadata, update.spec, progress);
      return;
    case 'set-default-spec': {
      const specId = resolveLastAdded(update.specId, progress.lastAddedSpecId, 'partition spec');
      if (specId === metadata.defaultSpecId) return;
      if (!metadata.partitionSpecs.some((spec) => spec.specId === specId))
        fail(`partition spec ${specId} does not exist`, { action: update.action });
      metadata.defaultSpecId = specId;
      break;
    }
    case 'add-sort-order':
      addSortOrder(metadata, update.sortOrder, progress);
      return;
    case 'set-default-sort-order': {
      const orderId = resolveLastAdded(update.sortOrderId, progress.lastAddedSortOrderId, 'sort order');
      if (orderId === metadata.defaultSortOrderId) return;
      if (!metadata.sortOrders.some((order) => order.orderId === orderId))
        fail(`sort order ${orderId} does not exist`, { action: update.action });
      metadata.defaultSortOrderId = orderId;
      break;
    }
    case 'add-snapshot':
      addSnapshot(metadata, update.snapshot, progress);
      break;
    case 'set-snapshot-ref': {
      const { action: _action, refName, ...ref } = update;
      setRef(metadata, refName, ref, progress, options);
      return;
    }
    case 'remove-snapshots':
      removeSnapshots(metadata, update.snapshotIds, progress);
      return;
    case 'remove-snapshot-ref':
      removeRef(metadata, update.refName, progress);
      return;
    case 'set-location':
      if (update.location === metadata.location) return;
      metadata.location = update.location;
      break;
    case 'set-properties':
      if (Object.keys(update.updates).length === 0) return;
      metadata.properties = { ...metadata.properties, ...update.updates };
      break;
    case 'remove-properties': {
      if (update.removals.length === 0) return;
      const properties = { ...metadata.properties };
      for (const key of update.removals) delete properties[key];
      metadata.properties = properties;
      break;
    }
  }
  progress.changed = true;
}

function resolveLastAdded(id: number, lastAdded: number | null, what: string): number {
  if (id !== LAST_ADDED) return id;
  if (lastAdded === null) fail(`cannot use the last added ${what} (-1): no ${what} was added in this commit`, {});
  return lastAdded;
}

function addSchema(metadata: Mutable<TableMetadata>, schema: Schema, lastColumnId: number | undefined, progress: Progress): void {
  const highest = highestFieldId(schema);
  if (lastColumnId !== undefined && lastColumnId < metadata.lastColumnId) {
    fail(`last-column-id ${lastColumnId} is lower than the table's ${metadata.lastColumnId}`, { action: 'add-schema' });
  }
  if (lastColumnId !== undefined && lastColumnId < highest)
    fail(`last-column-id ${lastColumnId} is lower than the schema's highest field id ${highest}`, { action: 'add-schema' });
  // Like Java: an identical schema is reused, and a new one gets the next id whatever id it came with.
  const key = schemaKey(schema);
  const existing = metadata.schemas.find((candidate) => schemaKey(candidate) === key);
  const newLastColumnId = Math.max(metadata.lastColumnId, lastColumnId ?? highest);
  if (existing !== undefined) {
    progress.lastAddedSchemaId = existing.schemaId;
    if (newLastColumnId === metadata.lastColumnId) return;
  } else {
    const schemaId = nextId(
      metadata.schemas.map((candidate) => candidate.schemaId),
      0,
    );
    metadata.schemas = [...metadata.schemas, { ...schema, schemaId }];
    progress.lastAddedSchemaId = schemaId;
  }
  metadata.lastColumnId = newLastColumnId;
  progress.changed = true;
}

function addSpec(metadata: Mutable<TableMetadata>, spec: PartitionSpec, progress: Progress): void {
  const key = stringifyJson(partitionFieldsToJson(spec.fields));
  const existing = metadata.partitionSpecs.find((candidate) => stringifyJson(partitionFieldsToJson(candidate.fields)) === key);
  if (existing !== undefined) {
    progress.lastAddedSpecId = existing.specId;
    return;
  }
  const specId = nextId(
    metadata.partitionSpecs.map((candidate) => candidate.specId),
    0,
  );
  metadata.partitionSpecs = [...metadata.partitionSpecs, { specId, fields: spec.fields }];
  metadata.lastPartitionId = Math.max(metadata.lastPartitionId, ...spec.fields.map((field) => field.fieldId));
  progress.lastAddedSpecId = specId;
  progress.changed = true;
}

function addSortOrder(metadata: Mutable<TableMetadata>, order: SortOrder, progress: Progress): void {
  const key = JSON.stringify(order.fields);
  const existing = metadata.sortOrders.find((candidate) => JSON.stringify(candidate.fields) === key);
  if (existing !== undefined) {
    progress.lastAddedSortOrderId = existing.orderId;
    return;
  }
  // Spec: order id 0 is the unsorted order; sorted orders count from 1.
  const orderId =
    order.fields.length === 0
      ? 0
      : nextId(
          metadata.sortOrders.map((candidate) => candidate.orderId),
          1,
        );
  metadata.sortOrders = [...metadata.sortOrders, { orderId, fields: order.fields }];
  progress.lastAddedSortOrderId = orderId;
  progress.changed = true;
}

function addSnapshot(metadata: Mutable<TableMetadata>, snapshot: Snapshot, progress: Progress): void {
  const context = { action: 'add-snapshot', snapshotId: snapshot.snapshotId };
  if (metadata.snapshots.some((existing) => existing.snapshotId === snapshot.snapshotId))
    fail(`snapshot ${snapshot.snapshotId} already exists`, context);
  if (metadata.formatVersion >= 2 && snapshot.parentSnapshotId !== null && snapshot.sequenceNumber <= metadata.lastSequenceNumber) {
    fail(
      `snapshot sequence number ${snapshot.sequenceNumber} is not above the table's last sequence number ${metadata.lastSequenceNumber}`,
      context,
    );
  }
  if (metadata.formatVersion >= 3) {
    if (snapshot.firstRowId === undefined || snapshot.addedRows === undefined)
      fail('a v3 snapshot needs first-row-id and added-rows', context);
    if (snapshot.firstRowId < (metadata.nextRowId ?? 0n))
      fail(`first-row-id ${snapshot.firstRowId} is below the table's next-row-id ${metadata.nextRowId}`, context);
    metadata.nextRowId = snapshot.firstRowId + snapshot.addedRows;
  }
  metadata.snapshots = [...metadata.snapshots, snapshot];
  metadata.lastSequenceNumber = Math.max(metadata.lastSequenceNumber, snapshot.sequenceNumber);
  progress.lastUpdatedMs = snapshot.timestampMs;
  progress.addedSnapshotIds.add(snapshot.snapshotId);
}

function setRef(metadata: Mutable<TableMetadata>, name: string, ref: SnapshotRef, progress: Progress, options: ApplyOptions): void {
  const existing = metadata.refs[name];
  if (existing !== undefined && sameRef(existing, ref)) return;
  const snapshot = metadata.snapshots.find((candidate) => candidate.snapshotId === ref.snapshotId);
  if (snapshot === undefined) fail(`cannot point ${name} at unknown snapshot ${ref.snapshotId}`, { action: 'set-snapshot-ref', ref: name });
  if (name === MAIN_BRANCH && ref.type !== 'branch') fail('main must be a branch', { action: 'set-snapshot-ref', ref: name });
  if (progress.addedSnapshotIds.has(ref.snapshotId)) progress.lastUpdatedMs = snapshot.timestampMs;
  if (name === MAIN_BRANCH) {
    metadata.currentSnapshotId = ref.snapshotId;
    progress.lastUpdatedMs ??= options.nowMs;
    metadata.snapshotLog = [...metadata.snapshotLog, { timestampMs: progress.lastUpdatedMs, snapshotId: ref.snapshotId }];
    progress.mainHeads.push(ref.snapshotId);
  }
  metadata.refs = { ...metadata.refs, [name]: stripUndefined(ref) };
  progress.changed = true;
}

function removeRef(metadata: Mutable<TableMetadata>, name: string, progress: Progress): void {
  if (metadata.refs[name] === undefined) return;
  const { [name]: _removed, ...refs } = metadata.refs;
  metadata.refs = refs;
  if (name === MAIN_BRANCH) metadata.currentSnapshotId = null;
  progress.changed = true;
}

function removeSnapshots(metadata: Mutable<TableMetadata>, snapshotIds: readonly bigint[], progress: Progress): void {
  // Unknown ids are ignored, as Java does: expiring twice is harmless.
  const remove = new Set(snapshotIds.filter((id) => metadata.snapshots.some((snapshot) => snapshot.snapshotId === id)));
  if (remove.size === 0) return;
  metadata.snapshots = metadata.snapshots.filter((snapshot) => !remove.has(snapshot.snapshotId));
  for (const [name, ref] of Object.entries(metadata.refs)) if (remove.has(ref.snapshotId)) removeRef(metadata, name, progress);
  metadata.extra = withoutStatisticsOf(metadata.extra, remove);
  progress.changed = true;
}

/** Statistics files describe one snapshot each; they go with it (kept as plain JSON in `extra`). */
function withoutStatisticsOf(extra: TableMetadata['extra'], removed: ReadonlySet<bigint>): TableMetadata['extra'] {
  const result: Record<string, unknown> = { ...extra };
  for (const key of ['statistics', 'partition-statistics']) {
    const files = result[key];
    if (!Array.isArray(files)) continue;
    result[key] = files.filter((file: unknown) => {
      const id = (file as Record<string, unknown> | null)?.['snapshot-id'];
      return !((typeof id === 'number' || typeof id === 'bigint') && removed.has(BigInt(id)));
    });
  }
  return result;
}

/**
 * Java's rule for the snapshot log: entries of snapshots that are gone erase the history before
 * them (it would claim the previous entry stayed current), and snapshots that were main only in
 * the middle of this commit are not history at all.
 */
function cleanSnapshotLog(metadata: TableMetadata, progress: Progress): SnapshotLogEntry[] {
  const existing = new Set(metadata.snapshots.map((snapshot) => snapshot.snapshotId));
  const intermediate = new Set(progress.mainHeads.filter((id) => id !== metadata.currentSnapshotId && progress.addedSnapshotIds.has(id)));
  let log: SnapshotLogEntry[] = [];
  for (const entry of metadata.snapshotLog) {
    if (!existing.has(entry.snapshotId)) log = [];
    else if (!intermediate.has(entry.snapshotId)) log.push(entry);
  }
  return log;
}

function trimmedMetadataLog(metadata: TableMetadata, log: MetadataLogEntry[]): MetadataLogEntry[] {
  const configured = Number(metadata.properties[PREVIOUS_VERSIONS_MAX_PROPERTY] ?? PREVIOUS_VERSIONS_MAX_DEFAULT);
  const max = Number.isInteger(configured) ? Math.max(1, configured) : PREVIOUS_VERSIONS_MAX_DEFAULT;
  return log.slice(Math.max(0, log.length - max));
}

function schemaKey(schema: Schema): string {
  return stringifyJson({ ...schemaToJson(schema), 'schema-id': 0 });
}

function sameRef(a: SnapshotRef, b: SnapshotRef): boolean {
  return (
    a.snapshotId === b.snapshotId &&
    a.type === b.type &&
    a.minSnapshotsToKeep === b.minSnapshotsToKeep &&
    a.maxSnapshotAgeMs === b.maxSnapshotAgeMs &&
    a.maxRefAgeMs === b.maxRefAgeMs
  );
}

function stripUndefined(ref: SnapshotRef): SnapshotRef {
  return Object.fromEntries(Object.entries(ref).filter(([, value]) => value !== undefined)) as unknown as SnapshotRef;
}

function nextId(ids: readonly number[], first: number): number {
  return Math.max(first - 1, ...ids) + 1;
}

function fail(message: string, context: Record<string, string | number | bigint | undefined>): never {
  throw new FloeError('invalid-input', `Cannot apply table update: ${message}`, { context });
}
