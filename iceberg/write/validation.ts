/**
 * The checks a change that depends on particular files makes before each commit attempt, against
 * the branch head it is about to commit on top of (Java's MergingSnapshotProducer validations).
 * A failed check cannot be cured by replaying: it is a `commit-conflict` that is NOT retryable.
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import type { ErrorContext } from '../../core/errors.js';
import { partitionKey } from '../scan/partition-key.js';
import type { DataFile } from '../spec/manifest.js';
import { ancestorsOf } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import { mayReferencePath } from '../spec/position-deletes.js';
import { snapshotManifests } from '../scan/manifest-cache.js';
import { readAllManifestEntries } from './table-manifests.js';

/** A conflict no retry can resolve: the files this change was computed from are gone or changed. */
export function unresolvableConflict(message: string, context: ErrorContext): FloeError {
  return new FloeError('commit-conflict', message, { context, retryable: false });
}

/** A file of a snapshot with where it sits: its spec and data sequence number. */
export interface PlacedFile {
  readonly file: DataFile;
  readonly specId: number;
  readonly sequenceNumber: number;
}

/**
 * The snapshots committed on the branch after `startingSnapshotId`, oldest first, up to and including
 * `head`. Fails when the starting snapshot is no longer an ancestor (expired, or the branch was reset):
 * then nobody can say what changed since.
 */
export function snapshotsSince(table: LoadedTable, head: Snapshot | null, startingSnapshotId: bigint | null, what: string): Snapshot[] {
  if (head === null) {
    if (startingSnapshotId === null) return [];
    throw unresolvableConflict(`Cannot ${what}: the branch no longer has snapshot ${startingSnapshotId} (it is empty now)`, {
      table: formatTableIdentifier(table.identifier),
      startingSnapshotId,
    });
  }
  const since: Snapshot[] = [];
  for (const snapshot of ancestorsOf(table.metadata, head.snapshotId)) {
    if (snapshot.snapshotId === startingSnapshotId) return since.reverse();
    since.push(snapshot);
  }
  if (startingSnapshotId === null) return since.reverse();
  throw unresolvableConflict(
    `Cannot ${what}: starting snapshot ${startingSnapshotId} is no longer an ancestor of the branch head ${head.snapshotId}, so what changed since cannot be known`,
    {
      table: formatTableIdentifier(table.identifier),
      startingSnapshotId,
    },
  );
}

/** Delete files added by these snapshots, from the delete manifests each of them wrote. */
export async function deleteFilesAddedBy(table: LoadedTable, snapshots: readonly Snapshot[]): Promise<PlacedFile[]> {
  const found: PlacedFile[] = [];
  for (const snapshot of snapshots) {
    const manifests = (await snapshotManifests(table, snapshot)).filter(
      (manifest) => manifest.content === 'deletes' && manifest.addedSnapshotId === snapshot.snapshotId,
    );
    for (const { specId, entries } of await readAllManifestEntries(table, manifests)) {
      for (const entry of entries) {
        if (entry.status === 'added')
          found.push({ file: entry.dataFile, specId, sequenceNumber: entry.sequenceNumber ?? snapshot.sequenceNumber });
      }
    }
  }
  return found;
}

/** Whether a delete file applies to a data file, by the spec's "Scan Planning" rules. */
export function deleteApplies(deleteFile: PlacedFile, dataFile: PlacedFile, unpartitionedSpecIds: ReadonlySet<number>): boolean {
  const file = deleteFile.file;
  if (file.content === 'position-deletes') {
    if (deleteFile.sequenceNumber < dataFile.sequenceNumber) return false;
    if (partitionKey(deleteFile.specId, file.partition) !== partitionKey(dataFile.specId, dataFile.file.partition)) return false;
    return mayReferencePath(file, dataFile.file.filePath);
  }
  if (file.content === 'equality-deletes') {
    if (deleteFile.sequenceNumber <= dataFile.sequenceNumber) return false;
    if (unpartitionedSpecIds.has(deleteFile.specId)) return true;
    return partitionKey(deleteFile.specId, file.partition) === partitionKey(dataFile.specId, dataFile.file.partition);
  }
  return false;
}

export function unpartitionedSpecIds(table: LoadedTable): Set<number> {
  return new Set(
    table.metadata.partitionSpecs.filter((spec) => spec.fields.every((field) => field.transform === 'void')).map((spec) => spec.specId),
  );
}

/** Files these snapshots removed (DELETED entries in the manifests each wrote), by path, with the snapshot that removed them. */
export async function filesRemovedBy(table: LoadedTable, snapshots: readonly Snapshot[]): Promise<Map<string, bigint>> {
  const removed = new Map<string, bigint>();
  for (const snapshot of snapshots) {
    const manifests = (await snapshotManifests(table, snapshot)).filter(
      (manifest) => manifest.addedSnapshotId === snapshot.snapshotId && (manifest.deletedFilesCount ?? 1) > 0,
    );
    for (const { entries } of await readAllManifestEntries(table, manifests)) {
      for (const entry of entries)
        if (entry.status === 'deleted' && entry.snapshotId === snapshot.snapshotId)
          removed.set(entry.dataFile.filePath, snapshot.snapshotId);
    }
  }
  return removed;
}
