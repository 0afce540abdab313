/**
 * Row-level changes in one snapshot (Java's RowDelta): delete files (position or equality) and
 * optionally new data files, appended as pre-written manifests. Operation `delete` when only delete
 * files are added, `overwrite` otherwise.
 *
 * Position deletes name the data files they delete from. Before each attempt the change checks
 * that no snapshot committed since the rows were read removed one of those files (a compaction
 * rewrote it, another delete dropped it): the deletes would then point at nothing and the rows
 * would live on in the new file, so the change fails with a non-retryable `commit-conflict`.
 * Anything else that happened meanwhile (appends, deletes of other rows) is simply replayed onto.
 *
 * On a v3 table a data file has at most one deletion vector: a new one replaces (`removedDeletes`)
 * the older vector of its file and the position delete files it absorbed, in the same snapshot.
 * If another commit meanwhile removed one of those, or added a deletion vector for one of the
 * `referencedDataFiles`, the change fails the same way: its vector would miss their deletes.
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { isDeletionVector } from '../spec/deletion-vector.js';
import { contentFileKey, contentSizeInBytes } from '../spec/manifest.js';
import type { DataFile } from '../spec/manifest.js';
import { snapshotForRef } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import { appendedDelta, manifestFileOf } from './fast-append.js';
import type { ManifestToAppend } from './fast-append.js';
import { produceSnapshot } from './snapshot-producer.js';
import { removeFromManifests } from './remove-files.js';
import type { SummaryDelta } from './snapshot-summary.js';
import { readAllManifestEntries } from './table-manifests.js';
import { deleteFilesAddedBy, filesRemovedBy, snapshotsSince, unresolvableConflict } from './validation.js';

export interface RowDeltaFiles {
  /** Manifests of added delete files (content `deletes`). */
  readonly deletes: readonly ManifestToAppend[];
  /** Manifests of added data files. */
  readonly data?: readonly ManifestToAppend[];
  /** Delete files (and deletion vectors) the added ones replace, removed in the same snapshot. */
  readonly removedDeletes?: readonly DataFile[];
}

export interface RowDeltaOptions {
  readonly idempotencyKey?: string;
  readonly branch?: string;
  readonly summary?: Readonly<Record<string, string>>;
  /** Data files the position deletes refer to: each must not have been removed since the starting snapshot. */
  readonly referencedDataFiles?: readonly string[];
  /** The snapshot the deleted rows were read from; the branch head at the first attempt when absent. */
  readonly startingSnapshotId?: bigint | null;
}

export function rowDelta(files: RowDeltaFiles, options: RowDeltaOptions = {}): TableChange {
  const branch = options.branch ?? MAIN_BRANCH;
  const data = files.data ?? [];
  for (const manifest of files.deletes) {
    if (manifest.content !== 'deletes')
      throw new FloeError('invalid-input', `Manifest ${manifest.location} is not a delete manifest`, {
        context: { manifest: manifest.location },
      });
  }
  for (const manifest of data) {
    if ((manifest.content ?? 'data') !== 'data')
      throw new FloeError('invalid-input', `Manifest ${manifest.location} is not a data manifest`, {
        context: { manifest: manifest.location },
      });
  }
  const manifests = [...files.deletes, ...data];
  if (manifests.length === 0) throw new FloeError('invalid-input', 'A row delta needs at least one manifest of delete or data files');
  const referenced = new Set(options.referencedDataFiles ?? []);
  const removedDeletes = new Map((files.removedDeletes ?? []).map((file) => [contentFileKey(file), file]));
  const deleteFiles = files.deletes.reduce((sum, manifest) => sum + manifest.addedFilesCount, 0);
  let attempt = 0;
  let startingSnapshotId = options.startingSnapshotId;
  return {
    description: `row delta adding ${deleteFiles} delete file(s) and ${data.reduce((sum, manifest) => sum + manifest.addedFilesCount, 0)} data file(s)`,
    idempotencyKey: options.idempotencyKey,
    branch,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      attempt += 1;
      const head = snapshotForRef(base.metadata, branch);
      if (startingSnapshotId === undefined) startingSnapshotId = head?.snapshotId ?? null;
      if (referenced.size > 0 && (head?.snapshotId ?? null) !== startingSnapshotId) {
        const since = snapshotsSince(base, head, startingSnapshotId, 'check the data files the deletes refer to');
        const removed = await filesRemovedBy(base, since);
        const gone = [...referenced].find((path) => removed.has(path));
        if (gone !== undefined) {
          throw unresolvableConflict(
            `Cannot commit row deletes: data file ${gone} they refer to was removed by snapshot ${removed.get(gone)} after the rows were read at snapshot ${startingSnapshotId}`,
            {
              table: formatTableIdentifier(base.identifier),
              file: gone,
              snapshotId: removed.get(gone),
            },
          );
        }
        if (base.metadata.formatVersion >= 3) await refuseConcurrentVectors(base, since, referenced, startingSnapshotId);
      }
      return produceSnapshot(
        base,
        { branch, attempt, idempotencyKey: options.idempotencyKey, summary: options.summary, what: 'a row delta' },
        async (context) => {
          const added = manifests.map((manifest) => manifestFileOf(manifest, context.snapshotId, context.sequenceNumber));
          const delta = appendedDelta(manifests);
          const operation = data.length === 0 ? 'delete' : 'overwrite';
          if (removedDeletes.size === 0) return { operation, manifests: [...added, ...(await context.parentManifests())], delta };
          const parentContents = await readAllManifestEntries(base, await context.parentManifests());
          const refusal = 'Cannot commit row deletes: the delete files they replace changed meanwhile';
          const rewrite = await removeFromManifests(context, parentContents, removedDeletes, { attempt, refusal });
          return {
            operation,
            manifests: [...added, ...rewrite.manifests],
            delta: { ...delta, ...removedDeletesDelta(rewrite.removedEntries.map((entry) => entry.file)) },
            writtenFiles: rewrite.written,
          };
        },
      );
    },
  };
}

/** A deletion vector another commit added since the rows were read, for a data file this change deletes from. */
async function refuseConcurrentVectors(
  base: LoadedTable,
  since: readonly Snapshot[],
  referenced: ReadonlySet<string>,
  startingSnapshotId: bigint | null,
): Promise<void> {
  const added = await deleteFilesAddedBy(base, since);
  const clash = added.find(({ file }) => isDeletionVector(file) && referenced.has(file.referencedDataFile ?? ''));
  if (clash === undefined) return;
  throw unresolvableConflict(
    `Cannot commit row deletes: another commit added a deletion vector for data file ${clash.file.referencedDataFile} after the rows were read at snapshot ${startingSnapshotId}`,
    { table: formatTableIdentifier(base.identifier), file: clash.file.referencedDataFile ?? undefined, deleteFile: clash.file.filePath },
  );
}

function removedDeletesDelta(files: readonly DataFile[]): SummaryDelta {
  const positions = files.filter((file) => file.content === 'position-deletes');
  const equalities = files.filter((file) => file.content === 'equality-deletes');
  const vectors = positions.filter(isDeletionVector).length;
  const sum = (list: readonly DataFile[]): number => list.reduce((total, file) => total + file.recordCount, 0);
  return {
    removedFilesSize: files.reduce((total, file) => total + contentSizeInBytes(file), 0),
    removedDeleteFiles: files.length,
    removedPositionDeleteFiles: positions.length - vectors,
    removedDVs: vectors,
    removedPositionDeletes: sum(positions),
    removedEqualityDeleteFiles: equalities.length,
    removedEqualityDeletes: sum(equalities),
  };
}
