import { isoMillis } from '../../contracts/instants.js';
import { FloeError } from '../../core/errors.js';
import type { PartitionSpec } from './partition.js';
import type { Schema } from './schema.js';
import { MAIN_BRANCH } from './snapshot.js';
import type { MetadataLogEntry, Snapshot, SnapshotLogEntry, SnapshotRef } from './snapshot.js';
import type { SortOrder } from './sort-order.js';

export type FormatVersion = 1 | 2 | 3;

/**
 * Table metadata as one validated, read-only value, whatever format version it was read from
 * (spec: "Table Metadata"). Fields the spec defines but Floe does not model, and fields from a
 * newer spec, are kept in `extra` and written back unchanged.
 */
export interface TableMetadata {
  readonly formatVersion: FormatVersion;
  readonly tableUuid: string;
  readonly location: string;
  readonly lastSequenceNumber: number;
  readonly lastUpdatedMs: number;
  readonly lastColumnId: number;
  readonly schemas: readonly Schema[];
  readonly currentSchemaId: number;
  readonly partitionSpecs: readonly PartitionSpec[];
  readonly defaultSpecId: number;
  readonly lastPartitionId: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly currentSnapshotId: bigint | null;
  readonly snapshots: readonly Snapshot[];
  readonly snapshotLog: readonly SnapshotLogEntry[];
  readonly metadataLog: readonly MetadataLogEntry[];
  readonly sortOrders: readonly SortOrder[];
  readonly defaultSortOrderId: number;
  readonly refs: Readonly<Record<string, SnapshotRef>>;
  /** v3 row lineage. */
  readonly nextRowId?: bigint;
  readonly extra: Readonly<Record<string, unknown>>;
}

export function schemaById(metadata: TableMetadata, schemaId: number): Schema | undefined {
  return metadata.schemas.find((schema) => schema.schemaId === schemaId);
}

/** The table's current schema. Parsed metadata always has it; a missing one is a Floe bug. */
export function currentSchema(metadata: TableMetadata): Schema {
  return mustExist(schemaById(metadata, metadata.currentSchemaId), `current schema ${metadata.currentSchemaId}`, metadata);
}

export function specById(metadata: TableMetadata, specId: number): PartitionSpec | undefined {
  return metadata.partitionSpecs.find((spec) => spec.specId === specId);
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  return mustExist(specById(metadata, metadata.defaultSpecId), `default partition spec ${metadata.defaultSpecId}`, metadata);
}

export function sortOrderById(metadata: TableMetadata, orderId: number): SortOrder | undefined {
  return metadata.sortOrders.find((order) => order.orderId === orderId);
}

export function snapshotById(metadata: TableMetadata, snapshotId: bigint): Snapshot | undefined {
  return metadata.snapshots.find((snapshot) => snapshot.snapshotId === snapshotId);
}

/** The snapshot `main` points at, or null for a table with no snapshot yet. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | null {
  if (metadata.currentSnapshotId === null) return null;
  return mustExist(snapshotById(metadata, metadata.currentSnapshotId), `current snapshot ${metadata.currentSnapshotId}`, metadata);
}

/** The snapshot a branch or tag points at; null when the ref does not exist (a branch not yet created). */
export function snapshotForRef(metadata: TableMetadata, refName: string): Snapshot | null {
  const ref = metadata.refs[refName];
  if (ref === undefined) return refName === MAIN_BRANCH ? currentSnapshot(metadata) : null;
  return mustExist(snapshotById(metadata, ref.snapshotId), `snapshot ${ref.snapshotId} of ref ${refName}`, metadata);
}

/**
 * The snapshot that was current at `timestampMs`: the last entry of the snapshot log at or before
 * it (the log is the history of `main`, as Java's and pyiceberg's time travel read it).
 */
export function snapshotAsOf(metadata: TableMetadata, timestampMs: number): Snapshot {
  let found: bigint | undefined;
  for (const entry of metadata.snapshotLog) {
    if (entry.timestampMs <= timestampMs) found = entry.snapshotId;
  }
  const snapshot = found === undefined ? undefined : snapshotById(metadata, found);
  if (snapshot === undefined) {
    throw new FloeError('not-found', `Table ${metadata.location} has no snapshot as of ${isoMillis(timestampMs)}`, {
      context: { table: metadata.location, timestampMs },
    });
  }
  return snapshot;
}

/** A snapshot and its ancestors, newest first, up to the first parent no longer in the metadata. */
export function* ancestorsOf(metadata: TableMetadata, snapshotId: bigint): Generator<Snapshot> {
  const byId = new Map(metadata.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  let next: bigint | null = snapshotId;
  const seen = new Set<bigint>();
  while (next !== null && !seen.has(next)) {
    const snapshot = byId.get(next);
    if (snapshot === undefined) return;
    seen.add(next);
    yield snapshot;
    next = snapshot.parentSnapshotId;
  }
}

function mustExist<T>(value: T | undefined, what: string, metadata: TableMetadata): T {
  if (value === undefined)
    throw new FloeError('internal', `Table metadata of ${metadata.location} has no ${what}`, { context: { table: metadata.location } });
  return value;
}
