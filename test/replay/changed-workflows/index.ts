// A deliberately incompatible edit of the workflows, for the replay test to catch: materialize
// schedules a step the recorded histories never saw before its first real one.
import { proxyActivities } from '@temporalio/workflow';
import type { MaterializeActivities } from '../../../activities/materialize.js';
import type { MaterializeInput, MaterializeResult } from '../../../workflows/materialize.js';
import { materialize as recordedMaterialize } from '../../../workflows/materialize.js';

export * from '../../../workflows/index.js';

const { commitOnline } = proxyActivities<MaterializeActivities>({ startToCloseTimeout: '1 minute' });

export async function materialize(input: MaterializeInput): Promise<MaterializeResult> {
  await commitOnline({ ...input, manifest: null, sourceSnapshotId: null, idempotencyKey: 'changed' });
  return recordedMaterialize(input);
}
