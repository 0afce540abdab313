import { defineQuery, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ConsistencyActivities } from '../activities/consistency.js';
import type { ConsistencyInput, ConsistencyProgress, ConsistencyResult } from '../contracts/consistency.js';
import { seedFromWorkflowId } from '../contracts/consistency.js';
import { dataStepRetry, quickStepRetry } from './activity-retry.js';
import { defined } from '../contracts/defined.js';

export const consistencyProgressQuery = defineQuery<ConsistencyProgress>('progress');

const checking = proxyActivities<ConsistencyActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: dataStepRetry(),
});

const reporting = proxyActivities<ConsistencyActivities>({
  startToCloseTimeout: '10 minutes',
  retry: quickStepRetry(),
});

/**
 * Checks that a view's online values equal the offline values at the instant they are exact for
 * (features/consistency), then appends the report to the report table under the key
 * `workflowId/runId`, so a retried append commits once. The result names the mismatching entities.
 */
export async function consistency(input: ConsistencyInput): Promise<ConsistencyResult> {
  const { workflowId, runId } = workflowInfo();
  const seed = input.seed ?? seedFromWorkflowId(workflowId);
  let progress: ConsistencyProgress = { phase: 'checking', featureView: input.featureView, seed, mismatches: null };
  setHandler(consistencyProgressQuery, () => progress);
  const enter = (next: Partial<ConsistencyProgress>): void => {
    progress = { ...progress, ...next };
    setCurrentDetails(
      `**${progress.phase}** ${progress.featureView}${progress.mismatches === null ? '' : `: ${progress.mismatches} mismatch(es)`}`,
    );
  };
  enter({});
  const report = await checking.checkConsistency({
    featureView: input.featureView,
    seed,
    ...defined({ sample: input.sample, examples: input.examples }),
  });
  enter({ phase: 'reporting', mismatches: report.mismatches });
  const appended = await reporting.appendConsistencyReport({
    report,
    ...defined({ reportTable: input.reportTable }),
    idempotencyKey: `${workflowId}/${runId}`,
  });
  enter({ phase: 'done' });
  return { ...report, reportTable: appended.table, reportSnapshotId: appended.snapshotId };
}
