// Temporal's own cost for a workflow of materialize's shape: two steps, one after the other, that
// do nothing, with the data step's and the commit's activity options. bench materialize runs it on
// the same server, on a worker with the same activity slots, as the floor its orchestration
// overhead is read against.
import { CancellationScope, proxyActivities } from '@temporalio/workflow';
import { COMMIT_STEP_OPTIONS, DATA_STEP_OPTIONS } from '../../workflows/materialize.js';

export interface TwoStepActivities {
  prepareNothing(): Promise<null>;
  commitNothing(): Promise<null>;
}

const dataWork = proxyActivities<TwoStepActivities>(DATA_STEP_OPTIONS);
const committing = proxyActivities<TwoStepActivities>(COMMIT_STEP_OPTIONS);

export async function twoSteps(): Promise<null> {
  await dataWork.prepareNothing();
  return CancellationScope.nonCancellable(() => committing.commitNothing());
}
