// services: temporal, python
// Cancelling a compaction while its rewrite step runs: the step stops before its commit, the
// workflow ends cancelled, and the online table is exactly as it was.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { BUCKETS } from '../../support/pipelines/definitions.js';
import { createDriverStatsCatalog, onlineRows, startPipelineWorker, VIEW } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('compaction-cancel');

test('a compaction cancelled during its rewrite commits nothing', async () => {
  const source = await createDriverStatsCatalog(path.join(scratch, 'cancel'));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const worker = await startPipelineWorker(source, {
    hooks: {
      // Hold the rewrite, its files written, until the cancellation reaches it.
      beforeCompactionCommit: ({ signal }) => {
        reached();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }));
      },
    },
  });
  try {
    for (const [start, end] of [
      ['2024-05-01T00:00:00.000Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00.000Z', '2024-05-02T00:00:00.000Z'],
    ] as const) {
      await worker.client.workflow.execute('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `materialize-${randomUUID()}`,
        args: [{ featureView: VIEW, start, end }],
      });
    }
    const before = await onlineRows(source, worker.onlineNamespace);
    const handle = await worker.client.workflow.start('compact', {
      taskQueue: worker.taskQueue,
      workflowId: `compact-${VIEW}-${randomUUID()}`,
      args: [{ featureView: VIEW }, { minFiles: 1 }],
    });
    await held;
    await handle.cancel();
    await assert.rejects(
      handle.result(),
      (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure,
    );
    const progress = await handle.query<{ phase: string }>('progress');
    assert.equal(progress.phase, 'rewriting');

    const snapshots = await runPyiceberg<{ rows: { operation: string }[] }>('inspect', {
      catalog: source.oracle,
      identifier: `${worker.onlineNamespace}.${VIEW}`,
      what: 'snapshots',
    });
    assert.deepEqual(
      snapshots.rows.map((row) => row.operation),
      ['append', 'append'],
    );
    const files = await runPyiceberg<{ rows: unknown[] }>('inspect', {
      catalog: source.oracle,
      identifier: `${worker.onlineNamespace}.${VIEW}`,
      what: 'data_files',
    });
    assert.equal(files.rows.length, 2 * BUCKETS);
    assert.deepEqual(await onlineRows(source, worker.onlineNamespace), before);
  } finally {
    await worker.close();
  }
});
