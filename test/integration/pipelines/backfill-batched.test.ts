// services: temporal, python
// The backfill workflow with windowsPerActivity on the Temporal dev server: chunks in batches, each
// one activity, every chunk committed once under its child's key, across continue-as-new, a rerun in
// either mode, a batch retried after its first window landed, and a cancel in the middle of a
// batch. Every online table is read back by pyiceberg and compared with the brute-force answer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { readWatermark } from '../../../features/online-table/table-state.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { BackfillInput, BackfillProgress } from '../../../contracts/backfill.js';
import { backfillChunkWorkflowId } from '../../../contracts/ids.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  HALF_DAYS,
  holdWriteUntilCancelled,
  onlineRows,
  onlineSnapshots,
  RANGE,
  recordRun,
  startPipelineWorker,
  VIEW,
} from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('backfill-batched');
let source: SourceTable;
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
});

const keysOf = (workflowId: string, windows: readonly { start: string; end: string }[]): string[] =>
  windows.map((window) => `${backfillChunkWorkflowId(workflowId, VIEW, window.start, window.end)}/${window.start}/${window.end}`).sort();

describe('backfill workflow in batches', () => {
  test('commits every chunk once under its child key, continuing as new; reruns batched or by children append nothing', async () => {
    const worker = await startPipelineWorker(source);
    try {
      const workflowId = `backfill-batched-${randomUUID()}`;
      const byChildren: BackfillInput = { featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 2, chunksPerRun: 4 };
      const input: BackfillInput = { ...byChildren, windowsPerActivity: 3 };
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [input],
      });
      const result = await handle.result();

      const expected = expectedRows(source.rows, HALF_DAYS);
      assert.equal(result.chunks, 5);
      assert.equal(result.runs, 2, 'four chunks per run: five chunks take two runs');
      assert.equal(result.rows, expected.length);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(
        committedWindows(snapshots).sort((a, b) => a.start.localeCompare(b.start)),
        HALF_DAYS,
      );
      assert.deepEqual(
        snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']).sort(),
        keysOf(workflowId, HALF_DAYS),
        'each chunk committed under the key its child would have used',
      );
      const watermark = await readWatermark({ registry: worker.runtime.project.registry, catalog: worker.runtime.catalog }, VIEW);
      assert.equal(watermark?.toISOString(), RANGE.end);
      const progress = await handle.query<BackfillProgress>('progress');
      assert.deepEqual(
        { state: progress.state, done: progress.chunksDone, total: progress.chunksTotal, rows: progress.rows },
        { state: 'completed', done: 5, total: 5, rows: expected.length },
      );

      for (const again of [input, byChildren]) {
        const rerun = await worker.client.workflow.execute<typeof backfill>('backfill', {
          taskQueue: worker.taskQueue,
          workflowId,
          args: [again],
        });
        assert.equal(rerun.rows, expected.length);
        assert.equal((await onlineSnapshots(source, worker.onlineNamespace)).length, 5);
      }
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);
      await recordRun(worker.client, workflowId, handle.firstExecutionRunId, 'backfill-batched');
    } finally {
      await worker.close();
    }
  });

  test('a batch retried after its first window committed does not append that window twice', async () => {
    let failed = false;
    // The first attempt fails after writing its second window, its first one committed.
    const worker = await startPipelineWorker(source, {
      hooks: {
        afterWrite: async () => {
          const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
          if (failed || snapshots.length !== 1) return;
          failed = true;
          throw new Error('the worker lost its storage connection');
        },
      },
    });
    try {
      const workflowId = `backfill-batched-retry-${randomUUID()}`;
      const result = await worker.client.workflow.execute<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1, windowsPerActivity: 5 }],
      });
      assert.ok(failed, 'the first attempt failed in the middle of its batch');
      const expected = expectedRows(source.rows, HALF_DAYS);
      assert.equal(result.rows, expected.length);
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']).sort(), keysOf(workflowId, HALF_DAYS));
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);
    } finally {
      await worker.close();
    }
  });

  test('cancelling in the middle of a batch leaves only whole windows', async () => {
    // The batch's second window holds after writing until its cancellation arrives.
    const { hooks, holding } = holdWriteUntilCancelled(2);
    const worker = await startPipelineWorker(source, { hooks });
    try {
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId: `backfill-batched-cancel-${randomUUID()}`,
        args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1, windowsPerActivity: 5 }],
      });
      await holding;
      const running = await handle.query<BackfillProgress>('progress');
      assert.equal(running.current.length, 5, 'the whole batch shows as under way');
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(
        failure instanceof WorkflowFailedError && failure.cause instanceof CancelledFailure,
        `the backfill ends cancelled, got ${String(failure)}`,
      );
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(committedWindows(snapshots), [HALF_DAYS[0]]);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, [HALF_DAYS[0]!]));
      assert.equal((await handle.query<BackfillProgress>('progress')).state, 'cancelled');
    } finally {
      await worker.close();
    }
  });
});
