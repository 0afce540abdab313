import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import type { FieldSummary } from '../spec/manifest.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import { inheritingManifestFile, produceSnapshot } from './snapshot-producer.js';
import type { SummaryDelta } from './snapshot-summary.js';

export { dataDirectory, metadataDirectory } from './table-locations.js';

/** A manifest of added files, written before the commit and reused by every attempt of it. */
export interface ManifestToAppend {
  readonly location: string;
  readonly length: number;
  readonly specId: number;
  readonly addedFilesCount: number;
  readonly addedRowsCount: number;
  readonly addedFilesSize: number;
  readonly partitions: readonly FieldSummary[];
  readonly changedPartitionCount: number;
  /** `data` when absent. */
  readonly content?: 'data' | 'deletes';
  /** For a delete manifest: its added files and rows by kind. */
  readonly deletes?: DeleteCounts;
}

export interface DeleteCounts {
  /** Position delete files, deletion vectors not included. */
  readonly positionDeleteFiles: number;
  /** Position deletes, of deletion vectors too. */
  readonly positionDeletes: number;
  readonly equalityDeleteFiles: number;
  readonly equalityDeletes: number;
  readonly deletionVectors?: number;
}

export interface FastAppendOptions {
  readonly idempotencyKey?: string;
  readonly branch?: string;
  /** Extra snapshot summary properties, such as the materialized window. */
  readonly summary?: Readonly<Record<string, string>>;
}

/**
 * Appends already-written manifests in a new snapshot (Java's "fast append"): the new snapshot's
 * manifest list is the branch head's manifests plus these, whose entries inherit the new snapshot
 * id and sequence number. An append never conflicts with anything but a moved branch head, so on
 * conflict it simply replays onto the new head.
 */
export function fastAppend(manifests: readonly ManifestToAppend[], options: FastAppendOptions = {}): TableChange {
  const branch = options.branch ?? MAIN_BRANCH;
  const files = manifests.reduce((sum, manifest) => sum + manifest.addedFilesCount, 0);
  let attempt = 0;
  return {
    description: `append ${files} data file(s) in ${manifests.length} manifest(s)`,
    idempotencyKey: options.idempotencyKey,
    branch,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      attempt += 1;
      return produceSnapshot(
        base,
        { branch, attempt, idempotencyKey: options.idempotencyKey, summary: options.summary, what: 'an append of pre-written manifests' },
        async (context) => ({
          operation: 'append',
          manifests: [
            ...manifests.map((manifest) => manifestFileOf(manifest, context.snapshotId, context.sequenceNumber)),
            ...(await context.parentManifests()),
          ],
          delta: appendedDelta(manifests),
        }),
      );
    },
  };
}

/** The manifest list entry of a pre-written manifest in the snapshot that commits it. */
export function manifestFileOf(
  manifest: ManifestToAppend,
  snapshotId: bigint,
  sequenceNumber: number,
): ReturnType<typeof inheritingManifestFile> {
  return inheritingManifestFile({ ...manifest, content: manifest.content ?? 'data' }, snapshotId, sequenceNumber);
}

/** What appending these manifests adds, in summary terms. */
export function appendedDelta(manifests: readonly ManifestToAppend[]): SummaryDelta {
  const delta = {
    addedDataFiles: 0,
    addedRecords: 0,
    addedFilesSize: 0,
    addedDeleteFiles: 0,
    addedPositionDeleteFiles: 0,
    addedEqualityDeleteFiles: 0,
    addedPositionDeletes: 0,
    addedEqualityDeletes: 0,
    addedDVs: 0,
    changedPartitionCount: 0,
  };
  for (const manifest of manifests) {
    delta.addedFilesSize += manifest.addedFilesSize;
    delta.changedPartitionCount += manifest.changedPartitionCount;
    if ((manifest.content ?? 'data') === 'data') {
      delta.addedDataFiles += manifest.addedFilesCount;
      delta.addedRecords += manifest.addedRowsCount;
    } else {
      delta.addedDeleteFiles += manifest.addedFilesCount;
      delta.addedPositionDeleteFiles += manifest.deletes?.positionDeleteFiles ?? 0;
      delta.addedEqualityDeleteFiles += manifest.deletes?.equalityDeleteFiles ?? 0;
      delta.addedPositionDeletes += manifest.deletes?.positionDeletes ?? 0;
      delta.addedEqualityDeletes += manifest.deletes?.equalityDeletes ?? 0;
      delta.addedDVs += manifest.deletes?.deletionVectors ?? 0;
    }
  }
  return delta;
}
