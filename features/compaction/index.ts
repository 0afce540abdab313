/**
 * Compaction of a table: plan the current snapshot, rewrite what needs it (online partitions with
 * many files or delete files into the latest row per entity; source data files with
 * merge-on-read deletes into files without the deleted rows) in one validated replace, then expire
 * old snapshots and remove orphan files. `compactTable` runs the steps in one process; the compact
 * workflow runs them as activities.
 */
import type { FeatureContext } from '../context.js';
import type { CleanupOptions } from './cleanup.js';
import { expireOldSnapshots, removeOldOrphans } from './cleanup.js';
import type { CompactionPlan, CompactionPlanOptions } from './plan.js';
import { planCompaction } from './plan.js';
import { rewriteAndCommit } from './rewrite.js';
import type { CompactionRequest, CompactionTarget } from './target.js';
import { resolveCompactionTarget } from './target.js';
import type { CompactionSummary } from '../../contracts/compaction-summary.js';
import { summarizeCompaction } from '../../contracts/compaction-summary.js';

export * from './cleanup.js';
export * from './plan.js';
export * from './rewrite.js';
export type { CompactionSummary } from '../../contracts/compaction-summary.js';
export * from './target.js';

export interface CompactionOptions extends CompactionPlanOptions, CleanupOptions {
  /** Default `compact/<table>/<planned snapshot id>`: a rerun on the same snapshot commits nothing twice. */
  readonly idempotencyKey?: string;
  /** Skip expiry and orphan removal. */
  readonly skipCleanup?: boolean;
}

export async function compactTable(
  context: FeatureContext,
  request: CompactionRequest | CompactionTarget,
  options: CompactionOptions = {},
): Promise<CompactionSummary> {
  const target = 'kind' in request ? request : await resolveCompactionTarget(context, request);
  return compactPlanned(context, await planCompaction(context, target, options), options);
}

/** The same, from a plan already made (the caller looked at it first): rewrite, commit, clean up. */
export async function compactPlanned(
  context: FeatureContext,
  plan: CompactionPlan,
  options: CompactionOptions = {},
): Promise<CompactionSummary> {
  const { target } = plan;
  const idempotencyKey = options.idempotencyKey ?? `compact/${target.table}/${plan.snapshotId ?? 'empty'}`;
  const name = idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_').slice(-80);
  const rewrite = await rewriteAndCommit(context, plan, { idempotencyKey, filePrefix: `compact-${name}-${Date.now()}` });
  const expired = options.skipCleanup ? { snapshotsExpired: 0, filesDeleted: 0 } : await expireOldSnapshots(context, target.table, options);
  const orphans = options.skipCleanup ? { orphansRemoved: 0, tooYoung: 0 } : await removeOldOrphans(context, target.table, options);
  return summarizeCompaction(plan, rewrite, expired, orphans);
}
