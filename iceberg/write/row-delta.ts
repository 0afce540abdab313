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
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { snapshotForRef } from '../spec/metadata.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import { appendedDelta, manifestFileOf } from './fast-append.js';
import type { ManifestToAppend } from './fast-append.js';
import { produceSnapshot } from './snapshot-producer.js';
import { filesRemovedBy, snapshotsSince, unresolvableConflict } from './validation.js';

export interface RowDeltaFiles {
  /** Manifests of added delete files (content `deletes`). */
  readonly deletes: readonly ManifestToAppend[];
  /** Manifests of added data files. */
  readonly data?: readonly ManifestToAppend[];
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
        const removed = await filesRemovedBy(
          base,
          snapshotsSince(base, head, startingSnapshotId, 'check the data files the deletes refer to'),
        );
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
      }
      return produceSnapshot(
        base,
        { branch, attempt, idempotencyKey: options.idempotencyKey, summary: options.summary, what: 'a row delta' },
        async (context) => ({
          operation: data.length === 0 ? 'delete' : 'overwrite',
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
