import type { MaterializationContext } from '../features/materialization.js';
import { createMaterializeActivities } from './materialize.js';
import type { MaterializeHooks } from './materialize.js';

/**
 * Every activity the Floe worker registers, built from the process's shared dependencies. `hooks`
 * are test-only seams (see MaterializeHooks).
 */
export function createActivities(context: MaterializationContext, options: { readonly hooks?: MaterializeHooks } = {}) {
  return { ...createMaterializeActivities(context, options.hooks) };
}
