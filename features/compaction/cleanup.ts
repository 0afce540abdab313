import { expireSnapshots } from '../../iceberg/maintenance/expire-snapshots.js';
import { removeOrphanFiles } from '../../iceberg/maintenance/remove-orphan-files.js';
import type { FeatureContext } from '../context.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { defined } from '../../contracts/defined.js';

/** How long compaction keeps old snapshots and unreferenced files by default: 3 days, as Java's orphan removal. */
export const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

export interface CleanupOptions {
  /** Snapshots and unreferenced files younger than this stay. Default 3 days. */
  readonly retentionMs?: number;
  /** Keep at least this many snapshots of each branch; default the table's `history.expire.min-snapshots-to-keep` (1). */
  readonly retainLast?: number;
  readonly nowMs?: number;
}

export interface ExpireResult {
  readonly snapshotsExpired: number;
  readonly filesDeleted: number;
}

/** Expires snapshots older than the retention (keeping the last `retainLast`) and deletes the files only they read. */
export async function expireOldSnapshots(
  context: Pick<FeatureContext, 'catalog'>,
  table: string,
  options: CleanupOptions = {},
): Promise<ExpireResult> {
  const nowMs = options.nowMs ?? Date.now();
  const result = await expireSnapshots(context.catalog, parseTableIdentifier(table), {
    nowMs,
    olderThanMs: nowMs - (options.retentionMs ?? DEFAULT_RETENTION_MS),
    ...defined({ retainLast: options.retainLast }),
  });
  const deleted = result.deleted;
  return {
    snapshotsExpired: result.expiredSnapshotIds.length,
    filesDeleted: deleted.manifestLists + deleted.manifests + deleted.dataFiles + deleted.deleteFiles + deleted.statisticsFiles,
  };
}

export interface OrphanResult {
  readonly orphansRemoved: number;
  /** Unreferenced files younger than the retention: perhaps a writer's, about to be committed. */
  readonly tooYoung: number;
}

/** Deletes files under the table's location that no metadata refers to and that are older than the retention. */
export async function removeOldOrphans(
  context: Pick<FeatureContext, 'catalog'>,
  table: string,
  options: CleanupOptions = {},
): Promise<OrphanResult> {
  const nowMs = options.nowMs ?? Date.now();
  const loaded = await context.catalog.loadTable(parseTableIdentifier(table));
  const result = await removeOrphanFiles(loaded, { nowMs, olderThanMs: nowMs - (options.retentionMs ?? DEFAULT_RETENTION_MS) });
  return { orphansRemoved: result.orphans.length, tooYoung: result.tooYoung };
}
