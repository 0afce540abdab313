// Every recorded workflow history must replay against today's workflow code. A failure here means
// a workflow change is not backward compatible: guard it with patched() (see the README).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const historiesDirectory = path.join(here, 'histories');

async function loadHistories() {
  const files = (await readdir(historiesDirectory)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const history = historyFromJSON(JSON.parse(await readFile(path.join(historiesDirectory, file), 'utf8')));
      // The recorded run's own id: workflows derive ids from it (a backfill's children), so a replay under another id diverges.
      const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || path.basename(file, '.json');
      return { file, workflowId, history };
    }),
  );
}

async function replayAll(workflowsPath: string) {
  const histories = await loadHistories();
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
  return { histories, results };
}

test('every recorded history replays against the current workflows', async () => {
  const { histories, results } = await replayAll(WORKFLOWS_PATH);
  assert.ok(histories.length > 0, `no histories in ${historiesDirectory}`);
  for (const result of results) assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  assert.equal(results.length, histories.length);
});

test('a workflow changed incompatibly fails replay with a determinism violation', async () => {
  // The same workflow types, each with a step first that its recorded runs never took: what an
  // unguarded edit does. Every history, of every workflow type, must catch it.
  const { histories, results } = await replayAll(path.join(here, 'changed-workflows', 'index.ts'));
  for (const type of ['materialize', 'backfill', 'training-set', 'compact']) {
    assert.ok(
      histories.some((history) => history.file.startsWith(type)),
      `no recorded ${type} history to check against`,
    );
  }
  assert.equal(results.length, histories.length);
  for (const result of results)
    assert.ok(result.error instanceof DeterminismViolationError, `${result.workflowId} replayed without a determinism violation`);
});

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
