import type { FeatureContext } from '../features/context.js';
import { createCompactActivities } from './compact.js';
import { createConsistencyActivities } from './consistency.js';
import type { CompactHooks } from './compact.js';
import { createMaterializeActivities } from './materialize.js';
import type { MaterializeHooks } from './materialize.js';
import { createMaterializeWindowsActivities } from './materialize-windows.js';
import { createTrainingSetActivities } from './training-set.js';
import type { TrainingSetHooks } from './training-set.js';

/**
 * Every activity the Floe worker registers, built from the process's shared dependencies. `hooks`
 * and `trainingSetHooks` are test-only seams (see MaterializeHooks, CompactHooks, TrainingSetHooks).
 */
export function createActivities(
  context: FeatureContext,
  options: { readonly hooks?: MaterializeHooks & CompactHooks; readonly trainingSetHooks?: TrainingSetHooks } = {},
) {
  return {
    ...createMaterializeActivities(context, options.hooks),
    ...createMaterializeWindowsActivities(context, options.hooks),
    ...createCompactActivities(context, options.hooks),
    ...createTrainingSetActivities(context, options.trainingSetHooks),
    ...createConsistencyActivities(context),
  };
}
