/**
 * Rewrite (replace) a set of files by others in one snapshot, as compaction does (Java's
 * RewriteFiles / OverwriteFiles). Manifests that hold a removed file are rewritten with that file
 * DELETED (status 2, this snapshot's id) and their other live files EXISTING; every other manifest
 * is carried over untouched, so files appended concurrently are kept.
 *
 * On every attempt, against the branch head it commits on: each removed file must still be live
 * there, else the rewrite fails with a non-retryable `commit-conflict` naming the file; and, unless
 * told not to, no delete file committed after the starting snapshot may apply to a removed data
 * file (its rows would come back: Java's validateNoNewDeletesForDataFiles).
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import { randomUUID } from 'node:crypto';
import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { partitionKey } from '../scan/partition-key.js';
import { readManifest } from '../spec/manifest-avro.js';
import { isDeletionVector } from '../spec/deletion-vector.js';
import { contentFileKey, contentSizeInBytes } from '../spec/manifest.js';
import type { DataFile } from '../spec/manifest.js';
import type { SnapshotOperation } from '../spec/snapshot.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import { writeAddedManifest } from './added-manifest.js';
import { appendedDelta, manifestFileOf } from './fast-append.js';
import type { ManifestToAppend } from './fast-append.js';
import { produceSnapshot } from './snapshot-producer.js';
import type { NewSnapshotContext } from './snapshot-producer.js';
import type { SummaryDelta } from './snapshot-summary.js';
import { removeFromManifests } from './remove-files.js';
import { readAllManifestEntries } from './table-manifests.js';
import { deleteApplies, deleteFilesAddedBy, snapshotsSince, unpartitionedSpecIds, unresolvableConflict } from './validation.js';
import type { PlacedFile } from './validation.js';
import { defined } from '../../contracts/defined.js';

export interface RewriteFilesOptions {
  readonly idempotencyKey?: string;
  readonly branch?: string;
  readonly summary?: Readonly<Record<string, string>>;
  /** `replace` (the default) when the table's rows stay the same; `overwrite` when they change; `delete` when files only go. */
  readonly operation?: Extract<SnapshotOperation, 'replace' | 'overwrite' | 'delete'>;
  /**
   * The snapshot the removed files were read from. Delete files committed after it are checked
   * against the removed data files. Defaults to the branch head at the first attempt.
   */
  readonly startingSnapshotId?: bigint;
  /** Check that no delete file added since the starting snapshot applies to a removed data file. Default true. */
  readonly validateNoNewDeletes?: boolean;
  /** For added files given as DataFiles: the spec they were written with (the default spec when absent). */
  readonly specId?: number;
}

export function rewriteFiles(
  toDelete: readonly DataFile[],
  toAdd: ManifestToAppend | readonly ManifestToAppend[] | readonly DataFile[],
  options: RewriteFilesOptions = {},
): TableChange {
  const branch = options.branch ?? MAIN_BRANCH;
  const removed = new Map(toDelete.map((file) => [contentFileKey(file), file]));
  const added = addedFilesSource(toAdd, options.specId);
  if (removed.size === 0 && added.count === 0) throw new FloeError('invalid-input', 'A rewrite needs files to remove or files to add');
  let attempt = 0;
  let startingSnapshotId: bigint | null | undefined = options.startingSnapshotId;
  return {
    description: `rewrite ${removed.size} file(s) into ${added.count} file(s)`,
    idempotencyKey: options.idempotencyKey,
    branch,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      attempt += 1;
      const head = base.metadata.refs[branch]?.snapshotId ?? (branch === MAIN_BRANCH ? base.metadata.currentSnapshotId : null);
      if (startingSnapshotId === undefined) startingSnapshotId = head;
      const starting = startingSnapshotId;
      const addedManifests = await added.manifests(base);
      return produceSnapshot(
        base,
        { branch, attempt, idempotencyKey: options.idempotencyKey, summary: options.summary, what: 'a rewrite' },
        async (context) => {
          const parentContents = await readAllManifestEntries(base, await context.parentManifests());
          const rewrite = await removeFromManifests(context, parentContents, removed, { attempt, refusal: 'Cannot rewrite' });
          if (options.validateNoNewDeletes ?? true) await validateNoNewDeletes(context, starting, rewrite.removedEntries);
          const addedFiles = await added.placedFiles(base);
          return {
            operation: options.operation ?? 'replace',
            manifests: [
              ...addedManifests.map((manifest) => manifestFileOf(manifest, context.snapshotId, context.sequenceNumber)),
              ...rewrite.manifests,
            ],
            delta: rewriteDelta(rewrite.removedEntries, addedManifests, addedFiles),
            writtenFiles: rewrite.written,
          };
        },
      );
    },
  };
}

async function validateNoNewDeletes(
  context: NewSnapshotContext,
  startingSnapshotId: bigint | null,
  removedEntries: readonly PlacedFile[],
): Promise<void> {
  const dataFiles = removedEntries.filter((entry) => entry.file.content === 'data');
  if (dataFiles.length === 0 || context.parent?.snapshotId === startingSnapshotId) return;
  const since = snapshotsSince(context.base, context.parent, startingSnapshotId, 'check for delete files added during the rewrite');
  const deletes = await deleteFilesAddedBy(context.base, since);
  const unpartitioned = unpartitionedSpecIds(context.base);
  for (const deleteFile of deletes) {
    const hit = dataFiles.find((dataFile) => deleteApplies(deleteFile, dataFile, unpartitioned));
    if (hit) {
      throw unresolvableConflict(
        `Cannot rewrite: ${deleteFile.file.content} file ${deleteFile.file.filePath}, committed after snapshot ${startingSnapshotId}, applies to data file ${hit.file.filePath} that the rewrite removes; its deletes would be lost`,
        { table: formatTableIdentifier(context.base.identifier), file: hit.file.filePath, deleteFile: deleteFile.file.filePath },
      );
    }
  }
}

function rewriteDelta(
  removedEntries: readonly PlacedFile[],
  addedManifests: readonly ManifestToAppend[],
  addedFiles: readonly PlacedFile[],
): SummaryDelta {
  const removedOf = (content: DataFile['content']): DataFile[] =>
    removedEntries.filter((entry) => entry.file.content === content).map((entry) => entry.file);
  const sum = (files: readonly DataFile[]): number => files.reduce((total, file) => total + file.recordCount, 0);
  const [data, positions, equalities] = [removedOf('data'), removedOf('position-deletes'), removedOf('equality-deletes')];
  const vectors = positions.filter(isDeletionVector).length;
  const partitions = new Set([...removedEntries, ...addedFiles].map((entry) => partitionKey(entry.specId, entry.file.partition)));
  return {
    ...appendedDelta(addedManifests),
    deletedDataFiles: data.length,
    deletedRecords: sum(data),
    removedFilesSize: removedEntries.reduce((total, entry) => total + contentSizeInBytes(entry.file), 0),
    removedDeleteFiles: positions.length + equalities.length,
    removedPositionDeleteFiles: positions.length - vectors,
    removedDVs: vectors,
    removedPositionDeletes: sum(positions),
    removedEqualityDeleteFiles: equalities.length,
    removedEqualityDeletes: sum(equalities),
    changedPartitionCount: partitions.size,
  };
}

interface AddedFilesSource {
  readonly count: number;
  /** The manifests to add, written on first use when the caller gave files. */
  manifests(base: LoadedTable): Promise<readonly ManifestToAppend[]>;
  /** The added files with their spec, for the changed-partition count. */
  placedFiles(base: LoadedTable): Promise<readonly PlacedFile[]>;
}

function addedFilesSource(
  toAdd: ManifestToAppend | readonly ManifestToAppend[] | readonly DataFile[],
  specId: number | undefined,
): AddedFilesSource {
  const list: readonly (ManifestToAppend | DataFile)[] = Array.isArray(toAdd) ? toAdd : [toAdd as ManifestToAppend];
  const givenFiles = list.length > 0 && 'filePath' in list[0]! ? (list as readonly DataFile[]) : undefined;
  const givenManifests = givenFiles === undefined ? (list as readonly ManifestToAppend[]) : undefined;
  let written: Promise<readonly ManifestToAppend[]> | undefined;
  let placed: Promise<readonly PlacedFile[]> | undefined;
  const manifests = (base: LoadedTable): Promise<readonly ManifestToAppend[]> =>
    (written ??=
      givenManifests !== undefined
        ? Promise.resolve(givenManifests)
        : writeAddedManifest(base, givenFiles ?? [], `rewrite-${randomUUID()}`, defined({ specId })).then((manifest) => [manifest]));
  return {
    count: givenFiles?.length ?? (givenManifests ?? []).reduce((sum, manifest) => sum + manifest.addedFilesCount, 0),
    manifests,
    placedFiles: (base) =>
      (placed ??= manifests(base).then(async (all) => {
        const out: PlacedFile[] = [];
        for (const manifest of all) {
          const read = readManifest(await base.io.read(manifest.location), {
            location: manifest.location,
            specs: base.metadata.partitionSpecs,
            schemas: base.metadata.schemas,
            avroTypes: base.caches.avroTypes,
          });
          for (const entry of read.entries) out.push({ file: entry.dataFile, specId: read.specId, sequenceNumber: 0 });
        }
        return out;
      })),
  };
}
