// `--again` of materialize and backfill: run windows already committed once more, under new ids.
import { FloeError } from '../core/errors.js';
import { againWorkflowId } from '../contracts/ids.js';

export const AGAIN_HELP =
  'run again under a new workflow id (the derived one + -again-<now>), so windows already committed commit anew: after a feature was added or re-added, say; their rows are newer, so online reads return them';

/** The id a run goes under: --workflow-id, else the derived one, or after --again a new one that commits a committed window anew. */
export function runWorkflowId(options: { workflowId?: string; again?: boolean }, derived: string, now: Date): string {
  if (options.again === true && options.workflowId !== undefined)
    throw new FloeError('invalid-input', '--again picks a new workflow id itself: give --again or --workflow-id, not both', {
      context: { field: '--again' },
    });
  if (options.workflowId !== undefined) return options.workflowId;
  return options.again === true ? againWorkflowId(derived, now.toISOString()) : derived;
}
