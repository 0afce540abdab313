// Temporal's own cost for a workflow of materialize's shape: a step, then a local step (the
// commit), that do nothing, with the same options. bench materialize runs it on the same server, on
// a worker with the same activity slots, as the floor its orchestration overhead is read against.
import { CancellationScope, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { DATA_STEP_OPTIONS, LOCAL_STEP_OPTIONS } from '../../workflows/materialize.js';

export interface TwoStepActivities {
  prepareNothing(): Promise<null>;
  commitNothing(): Promise<null>;
}

const dataWork = proxyActivities<TwoStepActivities>(DATA_STEP_OPTIONS);
const committing = proxyLocalActivities<TwoStepActivities>(LOCAL_STEP_OPTIONS);

export async function twoSteps(): Promise<null> {
  await dataWork.prepareNothing();
  return CancellationScope.nonCancellable(() => committing.commitNothing());
}
