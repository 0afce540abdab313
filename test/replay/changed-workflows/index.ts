// A deliberately incompatible edit of the workflows, for the replay test to catch: each workflow
// schedules a step the recorded histories never saw before its first real one.
import { proxyActivities } from '@temporalio/workflow';
import type { CompactActivities } from '../../../activities/compact.js';
import type { MaterializeActivities } from '../../../activities/materialize.js';
import type { CompactOptions, CompactResult, CompactTarget } from '../../../contracts/compact.js';
import type { ConsistencyActivities } from '../../../activities/consistency.js';
import type { ConsistencyInput, ConsistencyResult } from '../../../contracts/consistency.js';
import { consistency as recordedConsistency } from '../../../workflows/consistency.js';
import { compact as recordedCompact } from '../../../workflows/compact.js';
import type { BackfillInput, BackfillResult } from '../../../contracts/backfill.js';
import { backfill as recordedBackfill } from '../../../workflows/backfill.js';
import type { MaterializeInput, MaterializeResult } from '../../../contracts/materialize.js';
import { materialize as recordedMaterialize } from '../../../workflows/materialize.js';
import type { TrainingSetInput, TrainingSetResult } from '../../../contracts/training-set.js';
import { trainingSet as recordedTrainingSet } from '../../../workflows/training-set.js';

export * from '../../../workflows/index.js';

const { commitOnline, readWatermark } = proxyActivities<MaterializeActivities>({ startToCloseTimeout: '1 minute' });

export async function materialize(input: MaterializeInput): Promise<MaterializeResult> {
  await commitOnline({
    featureView: input.featureView,
    start: input.start ?? '',
    end: input.end ?? '',
    manifest: null,
    sourceSnapshotId: null,
    idempotencyKey: 'changed',
  });
  return recordedMaterialize(input);
}

export async function backfill(input: BackfillInput): Promise<BackfillResult> {
  await readWatermark({ featureView: input.featureViews[0] ?? '' });
  return recordedBackfill(input);
}

export async function trainingSet(input: TrainingSetInput): Promise<TrainingSetResult> {
  await readWatermark({ featureView: 'changed' });
  return recordedTrainingSet(input);
}

const { removeOrphans } = proxyActivities<CompactActivities>({ startToCloseTimeout: '1 minute' });

export async function compact(target: CompactTarget, options: CompactOptions = {}): Promise<CompactResult> {
  await removeOrphans({ table: 'changed.changed', options: {} });
  return recordedCompact(target, options);
}

const { appendConsistencyReport } = proxyActivities<ConsistencyActivities>({ startToCloseTimeout: '1 minute' });

export async function consistency(input: ConsistencyInput): Promise<ConsistencyResult> {
  await appendConsistencyReport({
    report: {
      featureView: 'changed',
      checkedAt: '',
      exactAsOf: '',
      onlineSnapshotId: null,
      seed: 0,
      sampled: 0,
      population: 0,
      mismatches: 0,
      features: [],
    },
    idempotencyKey: 'changed',
  });
  return recordedConsistency(input);
}
