/**
 * The workflow bundle the test workers run, built once per test process and kept on disk between
 * processes by the workers' own cache for source checkouts (workers/source-bundle.ts). The replay
 * suite builds its own and does not use this.
 */
import { sourceWorkflowBundle } from '../../workers/source-bundle.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';

let bundle: Promise<{ code: string }> | undefined;

export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= sourceWorkflowBundle(WORKFLOWS_PATH);
  return bundle;
}
