import { ActivityCancellationType, defineQuery, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CompactActivities } from '../activities/compact.js';
import type { CompactOptions, CompactProgress, CompactResult, CompactTarget } from '../contracts/compact.js';
import { summarizeCompaction } from '../contracts/compaction-summary.js';
import { dataStepRetry, quickStepRetry } from './activity-retry.js';
import { defined } from '../contracts/defined.js';

export const compactProgressQuery = defineQuery<CompactProgress>('progress');

const planning = proxyActivities<CompactActivities>({
  startToCloseTimeout: '10 minutes',
  retry: quickStepRetry(),
});

const dataWork = proxyActivities<CompactActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: dataStepRetry(),
});

/**
 * Compacts a feature view's online table (or a source table): plan the current snapshot; rewrite
 * the partitions that need it and commit one replace validated against that snapshot, with the key
 * `workflowId/snapshotId` so a retried step commits once; expire old snapshots; remove orphan files.
 */
export async function compact(target: CompactTarget, options: CompactOptions = {}): Promise<CompactResult> {
  let progress: CompactProgress = { phase: 'planning', table: null, groupsPlanned: 0, rewrite: null };
  setHandler(compactProgressQuery, () => progress);
  // The workflow's page in the Temporal UI shows the phase as the run's current details.
  const enter = (next: Partial<CompactProgress>): void => {
    progress = { ...progress, ...next };
    setCurrentDetails(`**${progress.phase}** ${progress.table ?? ''}: ${progress.groupsPlanned} partition group(s) to rewrite`);
  };
  enter({});
  const plan = await planning.planCompaction({
    request: target,
    options: defined({ minFiles: options.minFiles }),
  });
  const table = plan.target.table;
  enter({ phase: 'rewriting', table, groupsPlanned: plan.groups.length });
  const idempotencyKey = `${workflowInfo().workflowId}/${plan.snapshotId ?? 'empty'}`;
  // Cancellable: a cancelled rewrite stops before its commit and what it wrote is left for orphan
  // removal; one cancelled while committing still commits or not as a whole (one atomic replace).
  const rewrite = await dataWork.rewriteCompaction({ plan, idempotencyKey });
  enter({ rewrite });
  const cleanup = {
    ...(options.retentionSeconds === undefined ? {} : { retentionMs: options.retentionSeconds * 1000 }),
    ...defined({ retainLast: options.retainLast }),
  };
  let expired = { snapshotsExpired: 0, filesDeleted: 0 };
  let orphans = { orphansRemoved: 0, tooYoung: 0 };
  if (!options.skipCleanup) {
    enter({ phase: 'expiring' });
    expired = await dataWork.expireSnapshots({ table, options: cleanup });
    enter({ phase: 'removing-orphans' });
    orphans = await dataWork.removeOrphans({ table, options: cleanup });
  }
  enter({ phase: 'done' });
  return summarizeCompaction(plan, rewrite, expired, orphans);
}
