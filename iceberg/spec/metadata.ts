import type { PartitionSpec } from './partition.js';
import type { Schema } from './schema.js';
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
