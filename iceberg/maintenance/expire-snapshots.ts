/**
 * Expire snapshots: commit `remove-snapshots` (and the refs that aged out), then delete the files
 * only the expired snapshots reached — their manifest lists, manifests no remaining snapshot lists,
 * and data and delete files no remaining snapshot reads — computed against the table as reloaded
 * AFTER the commit. Nothing is deleted unless the commit succeeded. Safe to run again: a retried
 * commit recomputes its selection, deleting a file that is already gone succeeds, and a second run
 * finds nothing more to expire (files a crash left behind are orphans for removeOrphanFiles).
 */
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.js';
import { commitChange } from '../commit/commit.js';
import type { CommitOptions } from '../commit/commit.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import type { TableRequirement, TableUpdate } from '../table-updates/updates.js';
import type { Snapshot } from '../spec/snapshot.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { selectExpired } from './expire-selection.js';
import type { ExpireOptions } from './expire-selection.js';
import { reachableFrom, statisticsFiles } from './reachable-files.js';

export interface ExpireSnapshotsOptions extends ExpireOptions {
  /** The clock that ages are measured from. */
  readonly nowMs?: number;
  /** Delete the expired snapshots' files after the commit (default true). */
  readonly cleanExpiredFiles?: boolean;
  readonly deleteConcurrency?: number;
  readonly commit?: CommitOptions;
}

export interface ExpireSnapshotsResult {
  readonly expiredSnapshotIds: readonly bigint[];
  readonly removedRefs: readonly string[];
  /** Files deleted after the commit, by kind (all 0 when cleanExpiredFiles is false). */
  readonly deleted: {
    readonly manifestLists: number;
    readonly manifests: number;
    readonly dataFiles: number;
    readonly deleteFiles: number;
    readonly statisticsFiles: number;
  };
  readonly table: LoadedTable;
}

/** The metadata change alone: what `expireSnapshots` commits. `removed` tells what the last prepared attempt removes. */
export function expireSnapshotsChange(
  options: ExpireSnapshotsOptions = {},
): TableChange & { readonly removed: { snapshots: Snapshot[]; refs: string[] } } {
  const removed = { snapshots: [] as Snapshot[], refs: [] as string[] };
  return {
    description: 'expire snapshots',
    removed,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      const { metadata } = base;
      const selection = selectExpired(metadata, options, options.nowMs ?? Date.now());
      const ids = new Set(selection.snapshotIds);
      removed.snapshots = metadata.snapshots.filter((snapshot) => ids.has(snapshot.snapshotId));
      removed.refs = [...selection.refs];
      if (ids.size === 0 && selection.refs.length === 0) return { requirements: [], updates: [] };
      // The selection depends on where every ref points: if one moves meanwhile, recompute.
      const requirements: TableRequirement[] = [
        { type: 'assert-table-uuid', uuid: metadata.tableUuid },
        ...Object.entries(metadata.refs).map(([ref, value]): TableRequirement => ({
          type: 'assert-ref-snapshot-id',
          ref,
          snapshotId: value.snapshotId,
        })),
      ];
      const updates: TableUpdate[] = [
        ...selection.refs.map((refName): TableUpdate => ({ action: 'remove-snapshot-ref', refName })),
        ...(ids.size === 0 ? [] : [{ action: 'remove-snapshots', snapshotIds: [...ids] } satisfies TableUpdate]),
      ];
      return { requirements, updates };
    },
  };
}

export async function expireSnapshots(
  catalog: Catalog,
  identifier: TableIdentifier,
  options: ExpireSnapshotsOptions = {},
): Promise<ExpireSnapshotsResult> {
  const change = expireSnapshotsChange(options);
  const base = await catalog.loadTable(identifier);
  await commitChange(catalog, identifier, change, options.commit);
  const expired = change.removed.snapshots;
  const none = { manifestLists: 0, manifests: 0, dataFiles: 0, deleteFiles: 0, statisticsFiles: 0 };
  // Reloaded: snapshots committed by others after our commit reach files too.
  const current = await catalog.loadTable(identifier);
  const result = { expiredSnapshotIds: expired.map((snapshot) => snapshot.snapshotId), removedRefs: change.removed.refs, table: current };
  if (expired.length === 0 || options.cleanExpiredFiles === false) return { ...result, deleted: none };

  const expiredIds = new Set(expired.map((snapshot) => snapshot.snapshotId));
  const stillThere = current.metadata.snapshots.filter((snapshot) => expiredIds.has(snapshot.snapshotId));
  if (stillThere.length > 0) return { ...result, deleted: none }; // someone restored them: delete nothing

  const retained = await reachableFrom(current, current.metadata.snapshots, { liveOnly: true });
  const candidates = await reachableFrom(current, expired, { liveOnly: false, skipManifests: retained.manifests });
  const minus = (from: Set<string>, keep: Set<string>): string[] => [...from].filter((file) => !keep.has(file));
  const statistics = minus(statisticsFiles(base.metadata, expiredIds), statisticsFiles(current.metadata));
  const toDelete = {
    manifestLists: minus(candidates.manifestLists, retained.manifestLists),
    manifests: minus(candidates.manifests, retained.manifests),
    dataFiles: minus(candidates.dataFiles, retained.dataFiles),
    deleteFiles: minus(candidates.deleteFiles, retained.deleteFiles),
    statisticsFiles: statistics,
  };
  for (const kind of ['dataFiles', 'deleteFiles', 'statisticsFiles', 'manifests', 'manifestLists'] as const) {
    await mapWithConcurrency(toDelete[kind], options.deleteConcurrency ?? 8, (location) => current.io.delete(location));
  }
  return {
    ...result,
    deleted: {
      manifestLists: toDelete.manifestLists.length,
      manifests: toDelete.manifests.length,
      dataFiles: toDelete.dataFiles.length,
      deleteFiles: toDelete.deleteFiles.length,
      statisticsFiles: toDelete.statisticsFiles.length,
    },
  };
}
