// Every recorded workflow history must replay against today's workflow code. A failure here means
// a workflow change is not backward compatible: guard it with patched() (see the README).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { quietBundleLogger } from '../../workers/source-bundle.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';
import { HISTORIES_DIRECTORY, loadRecordedHistories } from '../support/histories.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function replayAll(workflowsPath: string) {
  const histories = await loadRecordedHistories();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundleLogger });
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
  return { histories, results };
}

test('every recorded history replays against the current workflows', async () => {
  const { histories, results } = await replayAll(WORKFLOWS_PATH);
  assert.ok(histories.length > 0, `no histories in ${HISTORIES_DIRECTORY}`);
  for (const result of results) assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  assert.equal(results.length, histories.length);
});

test('a workflow changed incompatibly fails replay with a determinism violation', async () => {
  // The same workflow types, each with a step first that its recorded runs never took: what an
  // unguarded edit does. Every history, of every workflow type, must catch it.
  const { histories, results } = await replayAll(path.join(here, 'changed-workflows', 'index.ts'));
  for (const type of ['materialize', 'backfill', 'training-set', 'compact', 'consistency']) {
    assert.ok(
      histories.some((history) => history.file.startsWith(type)),
      `no recorded ${type} history to check against`,
    );
  }
  assert.equal(results.length, histories.length);
  for (const result of results)
    assert.ok(result.error instanceof DeterminismViolationError, `${result.workflowId} replayed without a determinism violation`);
});
