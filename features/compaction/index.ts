/**
 * Compaction of a table: plan the current snapshot, rewrite what needs it (online partitions with
 * many files or delete files into the latest row per entity; source data files with
 * merge-on-read deletes into files without the deleted rows) in one validated replace, then expire
 * old snapshots and remove orphan files. `compactTable` runs the steps in one process; the compact
 * workflow runs them as activities.
 */
import type { MaterializationContext } from '../materialization.js';
import type { CleanupOptions } from './cleanup.js';
import { expireOldSnapshots, removeOldOrphans } from './cleanup.js';
import type { CompactionPlanOptions } from './plan.js';
import { planCompaction } from './plan.js';
import type { RewriteResult } from './rewrite.js';
import { rewriteAndCommit } from './rewrite.js';
import type { CompactionRequest, CompactionTarget } from './target.js';
import { resolveCompactionTarget } from './target.js';

export * from './cleanup.js';
export * from './plan.js';
export * from './rewrite.js';
export * from './target.js';

export interface CompactionOptions extends CompactionPlanOptions, CleanupOptions {
  /** Default `compact/<table>/<planned snapshot id>`: a rerun on the same snapshot commits nothing twice. */
  readonly idempotencyKey?: string;
  /** Skip expiry and orphan removal. */
  readonly skipCleanup?: boolean;
}

/** What a compaction did: JSON-friendly. */
export interface CompactionSummary {
  readonly table: string;
  readonly kind: CompactionTarget['kind'];
  readonly featureView: string | null;
  readonly plannedSnapshotId: string | null;
  readonly snapshotId: string | null;
  readonly alreadyCommitted: boolean;
  readonly partitionsRewritten: number;
  /** Live data files of the table before and after the rewrite (files appended meanwhile not counted). */
  readonly dataFilesBefore: number;
  readonly dataFilesAfter: number;
  readonly deleteFilesBefore: number;
  readonly deleteFilesRemoved: number;
  /** Rows in the rewritten files before, and in the files written instead. */
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  readonly snapshotsExpired: number;
  readonly expiredFilesDeleted: number;
  readonly orphansRemoved: number;
}

export async function compactTable(context: MaterializationContext, request: CompactionRequest | CompactionTarget, options: CompactionOptions = {}): Promise<CompactionSummary> {
  const target = 'kind' in request ? request : await resolveCompactionTarget(context, request);
  const plan = await planCompaction(context, target, options);
  const idempotencyKey = options.idempotencyKey ?? `compact/${target.table}/${plan.snapshotId ?? 'empty'}`;
  const name = idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_').slice(-80);
  const rewrite = await rewriteAndCommit(context, plan, { idempotencyKey, filePrefix: `compact-${name}-${Date.now()}` });
  const expired = options.skipCleanup ? { snapshotsExpired: 0, filesDeleted: 0 } : await expireOldSnapshots(context, target.table, options);
  const orphans = options.skipCleanup ? { orphansRemoved: 0, tooYoung: 0 } : await removeOldOrphans(context, target.table, options);
  return summarize(target, plan, rewrite, expired, orphans);
}

export function summarize(
  target: CompactionTarget,
  plan: Awaited<ReturnType<typeof planCompaction>>,
  rewrite: RewriteResult,
  expired: { snapshotsExpired: number; filesDeleted: number },
  orphans: { orphansRemoved: number },
): CompactionSummary {
  return {
    table: target.table,
    kind: target.kind,
    featureView: target.kind === 'online' ? target.featureView : null,
    plannedSnapshotId: plan.snapshotId,
    snapshotId: rewrite.snapshotId,
    alreadyCommitted: rewrite.alreadyCommitted,
    partitionsRewritten: rewrite.groupsRewritten,
    dataFilesBefore: plan.dataFiles,
    dataFilesAfter: plan.dataFiles - rewrite.dataFilesRemoved + rewrite.dataFilesAdded,
    deleteFilesBefore: plan.deleteFiles,
    deleteFilesRemoved: rewrite.deleteFilesRemoved,
    rowsBefore: rewrite.rowsBefore,
    rowsAfter: rewrite.rowsAfter,
    snapshotsExpired: expired.snapshotsExpired,
    expiredFilesDeleted: expired.filesDeleted,
    orphansRemoved: orphans.orphansRemoved,
  };
}
