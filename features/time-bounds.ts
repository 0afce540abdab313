import type { FeatureViewDefinition } from './definitions.js';
import { durationSeconds } from './definitions.js';

/**
 * The latest instant a window of `view` may end at: now minus the view's `delay`. No window ends
 * after it, so a watermark never passes the present.
 */
export function latestWindowEnd(view: Pick<FeatureViewDefinition, 'delay'>, now: Date): Date {
  return new Date(now.getTime() - (durationSeconds(view.delay) ?? 0) * 1000);
}
