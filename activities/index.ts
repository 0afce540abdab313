import type { MaterializationContext } from '../features/materialization.js';
import { createMaterializeActivities } from './materialize.js';
import type { MaterializeHooks } from './materialize.js';
import { createTrainingSetActivities } from './training-set.js';
import type { TrainingSetHooks } from './training-set.js';
import type { IoProperties } from '../iceberg/io/file-io-for.js';

/**
 * Every activity the Floe worker registers, built from the process's shared dependencies. `hooks`
 * and `trainingSetHooks` are test-only seams (see MaterializeHooks, TrainingSetHooks).
 */
export function createActivities(context: MaterializationContext & { readonly ioProperties?: IoProperties }, options: { readonly hooks?: MaterializeHooks; readonly trainingSetHooks?: TrainingSetHooks } = {}) {
  return { ...createMaterializeActivities(context, options.hooks), ...createTrainingSetActivities(context, options.trainingSetHooks) };
}
