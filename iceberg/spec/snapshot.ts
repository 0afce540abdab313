/**
 * Snapshots and refs. Snapshot ids are 64-bit and Java makes them random, so they are bigint here;
 * wherever they cross a JSON boundary that is not Iceberg's own (Temporal payloads, CLI output)
 * they travel as decimal strings.
 */
export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';

export interface SnapshotSummary {
  readonly operation: SnapshotOperation;
  readonly [property: string]: string;
}

export interface Snapshot {
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | null;
  /** 0 for v1 tables. */
  readonly sequenceNumber: number;
  readonly timestampMs: number;
  /** Absent only in v1 tables that list manifests inline (see `manifests`). */
  readonly manifestList: string | null;
  readonly manifests?: readonly string[];
  readonly summary: SnapshotSummary;
  readonly schemaId: number | null;
  /** v3 row lineage. */
  readonly firstRowId?: bigint;
  readonly addedRows?: bigint;
}

export interface SnapshotRef {
  readonly snapshotId: bigint;
  readonly type: 'branch' | 'tag';
  readonly minSnapshotsToKeep?: number;
  readonly maxSnapshotAgeMs?: number;
  readonly maxRefAgeMs?: number;
}

export interface SnapshotLogEntry {
  readonly timestampMs: number;
  readonly snapshotId: bigint;
}

export interface MetadataLogEntry {
  readonly timestampMs: number;
  readonly metadataFile: string;
}

export const MAIN_BRANCH = 'main';
