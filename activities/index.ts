import type { MaterializationContext } from '../features/materialization.js';
import { createMaterializeActivities } from './materialize.js';

/** Every activity the Floe worker registers, built from the process's shared dependencies. */
export function createActivities(context: MaterializationContext) {
  return { ...createMaterializeActivities(context) };
}
