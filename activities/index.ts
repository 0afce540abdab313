import type { MaterializationContext } from '../features/materialization.js';
import { createCompactActivities } from './compact.js';
import type { CompactHooks } from './compact.js';
import { createMaterializeActivities } from './materialize.js';
import type { MaterializeHooks } from './materialize.js';

/**
 * Every activity the Floe worker registers, built from the process's shared dependencies. `hooks`
 * are test-only seams (see MaterializeHooks, CompactHooks).
 */
export function createActivities(context: MaterializationContext, options: { readonly hooks?: MaterializeHooks & CompactHooks } = {}) {
  return { ...createMaterializeActivities(context, options.hooks), ...createCompactActivities(context, options.hooks) };
}
