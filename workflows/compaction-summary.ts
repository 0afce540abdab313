/**
 * What a compaction did, from its steps' results: one function for the compact workflow and the
 * library call (`compactTable`). Deterministic and free of I/O, so it lives with the workflows.
 */
import type { CompactionPlan, CompactionTarget, KeptGroups, RewriteResult } from '../features/compaction/index.js';

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
  /** What the plan left as it was, and by which rule (absent for plans recorded by older workers). */
  readonly kept?: KeptGroups;
}

export function summarizeCompaction(
  plan: CompactionPlan,
  rewrite: RewriteResult,
  expired: { readonly snapshotsExpired: number; readonly filesDeleted: number },
  orphans: { readonly orphansRemoved: number },
): CompactionSummary {
  const { target } = plan;
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
    ...(plan.minFiles === undefined || plan.belowThreshold === undefined
      ? {}
      : { kept: { kind: target.kind, snapshotId: plan.snapshotId, minFiles: plan.minFiles, belowThreshold: plan.belowThreshold, skippedOtherSpec: plan.skippedOtherSpec } }),
  };
}
