// services: temporal, python
// The materialize workflow since `materialize-prepares-in-one-step` and
// `materialize-commits-outside-the-workflow-task`: planning, the latest rows and the online files are
// one activity, then the commit is another (no local activity holds the workflow task); the window
// lands once (read back by pyiceberg, compared with the brute-force answer) and a second run of the
// same id finds its commit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { before, test } from 'node:test';
import type { materialize } from '../../../workflows/materialize.js';
import { localActivityRuns } from '../../support/histories.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import {
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  recordRun,
  startPipelineWorker,
  VIEW,
} from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('materialize-one-step');
let source: SourceTable;
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
});

const WINDOW = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' };

test('a window is prepared in one step and committed in another, once', async () => {
  const worker = await startPipelineWorker(source);
  try {
    const workflowId = `materialize-one-step-${randomUUID()}`;
    const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ featureView: VIEW, ...WINDOW }],
    });
    const result = await handle.result();
    const expected = expectedRows(source.rows, [WINDOW]);
    assert.equal(result.rows, expected.length);
    assert.equal(result.alreadyCommitted, false);
    assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);
    const history = await handle.fetchHistory();
    const steps = (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    assert.deepEqual(steps, ['prepareWindow', 'commitOnline']);
    assert.deepEqual(localActivityRuns(history), []);

    const again = await worker.client.workflow.execute<typeof materialize>('materialize', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ featureView: VIEW, ...WINDOW }],
    });
    assert.equal(again.alreadyCommitted, true);
    assert.equal((await onlineSnapshots(source, worker.onlineNamespace)).length, 1);
    await recordRun(worker.client, workflowId, handle.firstExecutionRunId, 'materialize-committed-outside-the-workflow-task');
  } finally {
    await worker.close();
  }
});
