/**
 * What a compaction did, from its steps' results: one function for the compact workflow and the
 * library call (`compactTable`). Deterministic and free of I/O, so workflows may run it.
 */
import { defined } from './defined.js';

/** An online table (rewritten to the latest row per entity) or a source table (small files merged, deletes applied). */
export type CompactionTargetKind = 'online' | 'source';

/** What the summary reads of a compaction plan (features/compaction/plan.ts). */
export interface PlannedCompaction {
  readonly target:
    { readonly kind: 'online'; readonly table: string; readonly featureView: string } | { readonly kind: 'source'; readonly table: string };
  readonly snapshotId: string | null;
  readonly dataFiles: number;
  readonly deleteFiles: number;
  readonly skippedOtherSpec: number;
  readonly minFiles?: number;
  readonly belowThreshold?: number;
  readonly smallFileBytes?: number;
}

export interface RewriteResult {
  /** The compaction's snapshot (or the earlier one carrying its key); null when nothing was rewritten. */
  readonly snapshotId: string | null;
  readonly alreadyCommitted: boolean;
  readonly attempts: number;
  readonly groupsRewritten: number;
  readonly dataFilesRemoved: number;
  readonly dataFilesAdded: number;
  readonly deleteFilesRemoved: number;
  /** Rows in the removed data files (before deletes) and in the files written instead. */
  readonly rowsBefore: number;
  readonly rowsAfter: number;
}

/**
 * Why a plan rewrites nothing, by the rule `selectGroups` applies: partitions that have at most
 * `minFiles` data files (source tables: data files under `smallFileBytes`) and no delete file, and
 * groups of an older partition spec. JSON-only.
 */
export interface KeptGroups {
  readonly kind: CompactionTargetKind;
  /** The planned snapshot; null for a table without one. */
  readonly snapshotId: string | null;
  readonly minFiles: number;
  /** Partitions (in plans of older workers, source data files) that the rule keeps as they are. */
  readonly belowThreshold: number;
  readonly skippedOtherSpec: number;
  /** Source tables: the size under which a data file counts toward `minFiles`. */
  readonly smallFileBytes?: number;
}

/** What a compaction did: JSON-friendly. */
export interface CompactionSummary {
  readonly table: string;
  readonly kind: CompactionTargetKind;
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
  plan: PlannedCompaction,
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
      : {
          kept: {
            kind: target.kind,
            snapshotId: plan.snapshotId,
            minFiles: plan.minFiles,
            belowThreshold: plan.belowThreshold,
            skippedOtherSpec: plan.skippedOtherSpec,
            ...defined({ smallFileBytes: plan.smallFileBytes }),
          },
        }),
  };
}
