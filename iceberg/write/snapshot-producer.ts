/**
 * What every snapshot-producing change does once it knows its manifests (Java's SnapshotProducer):
 * pick a snapshot id and sequence number, write the manifest list (with v3 row-id ranges), build the
 * summary, and state the commit as "add this snapshot and move the branch, only if the branch is
 * still where we read it". The change itself decides the manifests, on the base it is replayed on.
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import { randomUUID } from 'node:crypto';
import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange } from '../commit/table-change.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { ManifestFile } from '../spec/manifest.js';
import { assignFirstRowIds, writeManifestList } from '../spec/manifest-list-avro.js';
import { snapshotForRef } from '../spec/metadata.js';
import type { Snapshot, SnapshotOperation } from '../spec/snapshot.js';
import { metadataDirectory } from './table-locations.js';
import { newSnapshotId } from './snapshot-id.js';
import { buildSummary } from './snapshot-summary.js';
import type { SummaryDelta } from './snapshot-summary.js';
import { snapshotManifests } from '../scan/manifest-cache.js';
import { defined } from '../../contracts/defined.js';

export interface NewSnapshotContext {
  readonly base: LoadedTable;
  readonly snapshotId: bigint;
  readonly sequenceNumber: number;
  /** The branch head the snapshot goes on top of; null on an empty branch. */
  readonly parent: Snapshot | null;
  /** The parent's manifests (read once, on first use). */
  parentManifests(): Promise<readonly ManifestFile[]>;
}

export interface SnapshotContents {
  readonly operation: SnapshotOperation;
  /** Every manifest of the new snapshot, new and carried over. */
  readonly manifests: readonly ManifestFile[];
  readonly delta: SummaryDelta;
  /** Manifests `build` wrote for this attempt alone, deleted by the commit loop if the attempt cannot land. */
  readonly writtenFiles?: readonly string[];
}

export interface ProduceOptions {
  readonly branch: string;
  /** Numbers the manifest lists of one change's attempts, for people reading the metadata folder. */
  readonly attempt: number;
  readonly idempotencyKey?: string | undefined;
  readonly summary?: Readonly<Record<string, string>> | undefined;
  /** Names the operation in errors ("a rewrite", "a row delta"). */
  readonly what: string;
}

export async function produceSnapshot(
  base: LoadedTable,
  options: ProduceOptions,
  build: (context: NewSnapshotContext) => Promise<SnapshotContents>,
): Promise<PreparedChange> {
  const { metadata } = base;
  if (metadata.formatVersion < 2) {
    throw new FloeError(
      'unsupported',
      `Cannot commit ${options.what}: it needs format version 2 or later (v1 manifests cannot inherit snapshot ids)`,
      {
        context: { table: formatTableIdentifier(base.identifier), formatVersion: metadata.formatVersion },
      },
    );
  }
  const parent = snapshotForRef(metadata, options.branch);
  const snapshotId = newSnapshotId(metadata);
  const sequenceNumber = metadata.lastSequenceNumber + 1;
  let parentManifests: Promise<readonly ManifestFile[]> | undefined;
  const contents = await build({
    base,
    snapshotId,
    sequenceNumber,
    parent,
    parentManifests: () => (parentManifests ??= parent === null ? Promise.resolve([]) : snapshotManifests(base, parent)),
  });

  const firstRowId = metadata.formatVersion >= 3 ? (metadata.nextRowId ?? 0n) : undefined;
  const manifestListLocation = `${metadataDirectory(base)}/snap-${snapshotId}-${options.attempt}-${randomUUID()}.avro`;
  const listBytes = writeManifestList(contents.manifests, {
    formatVersion: metadata.formatVersion,
    snapshotId,
    parentSnapshotId: parent?.snapshotId ?? null,
    sequenceNumber,
    ...defined({ firstRowId }),
    avroTypes: base.caches.avroTypes,
  });
  await base.io.write(manifestListLocation, listBytes, { ifAbsent: true });

  const extra: Record<string, string> = { ...options.summary };
  if (options.idempotencyKey !== undefined) extra[IDEMPOTENCY_KEY_PROPERTY] = options.idempotencyKey;
  const snapshot: Snapshot = {
    snapshotId,
    parentSnapshotId: parent?.snapshotId ?? null,
    sequenceNumber,
    timestampMs: Date.now(),
    manifestList: manifestListLocation,
    summary: buildSummary(contents.operation, contents.delta, parent, extra),
    schemaId: metadata.currentSchemaId,
    ...(firstRowId === undefined
      ? {}
      : { firstRowId, addedRows: assignFirstRowIds(contents.manifests, firstRowId).nextRowId - firstRowId }),
  };
  return {
    requirements: [
      { type: 'assert-table-uuid', uuid: metadata.tableUuid },
      { type: 'assert-ref-snapshot-id', ref: options.branch, snapshotId: parent?.snapshotId ?? null },
    ],
    updates: [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', refName: options.branch, type: 'branch', snapshotId },
    ],
    writtenFiles: [manifestListLocation, ...(contents.writtenFiles ?? [])],
  };
}

/**
 * A manifest list entry for a manifest written before the commit, whose entries inherit the new
 * snapshot's id and sequence number.
 */
export function inheritingManifestFile(
  manifest: {
    location: string;
    length: number;
    specId: number;
    content: 'data' | 'deletes';
    addedFilesCount: number;
    addedRowsCount: number;
    partitions: ManifestFile['partitions'];
  },
  snapshotId: bigint,
  sequenceNumber: number,
): ManifestFile {
  return {
    manifestPath: manifest.location,
    manifestLength: manifest.length,
    partitionSpecId: manifest.specId,
    content: manifest.content,
    sequenceNumber,
    minSequenceNumber: sequenceNumber,
    addedSnapshotId: snapshotId,
    addedFilesCount: manifest.addedFilesCount,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: manifest.addedRowsCount,
    existingRowsCount: 0,
    deletedRowsCount: 0,
    partitions: manifest.partitions,
    keyMetadata: null,
  };
}
