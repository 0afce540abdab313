// services: temporal, python
// The backfill workflow on the Temporal dev server: chunks as child materialize workflows, bounded
// parallelism, continue-as-new with its progress carried, the progress query and search attribute,
// pause/resume, a clean cancel, and a rerun that commits nothing twice. Every online table is read
// back by pyiceberg and compared with the brute-force answer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { readWatermark } from '../../../features/online-table/table-state.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { BackfillInput, BackfillProgress } from '../../../contracts/backfill.js';
import { backfillChunkWorkflowId } from '../../../contracts/ids.js';
import { FLOE_PROGRESS } from '../../../contracts/search-attributes.js';
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

const scratch = scratchFolder('backfill');
let source: SourceTable;
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
});

describe('backfill workflow', () => {
  test('materializes every chunk exactly once through children, continuing as new, and a rerun appends nothing', async () => {
    const worker = await startPipelineWorker(source);
    try {
      const workflowId = `backfill-test-${randomUUID()}`;
      const input: BackfillInput = { featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 2, chunksPerRun: 2 };
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [input],
      });
      const result = await handle.result();

      const expected = expectedRows(source.rows, HALF_DAYS);
      assert.equal(result.chunks, 5);
      assert.equal(result.runs, 3, 'two chunks per run: five chunks take three runs');
      assert.equal(result.rows, expected.length);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);

      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(
        committedWindows(snapshots).sort((a, b) => a.start.localeCompare(b.start)),
        HALF_DAYS,
      );
      const keys = snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']);
      assert.deepEqual(
        [...keys].sort(),
        HALF_DAYS.map(
          (window) => `${backfillChunkWorkflowId(workflowId, VIEW, window.start, window.end)}/${window.start}/${window.end}`,
        ).sort(),
        'each chunk committed by its own deterministic child',
      );
      const watermark = await readWatermark({ registry: worker.runtime.project.registry, catalog: worker.runtime.catalog }, VIEW);
      assert.equal(watermark?.toISOString(), RANGE.end);

      // The last run answers the query, and the list's search attribute shows the same.
      const progress = await handle.query<BackfillProgress>('progress');
      assert.deepEqual(
        { state: progress.state, done: progress.chunksDone, total: progress.chunksTotal, rows: progress.rows, run: progress.run },
        { state: 'completed', done: 5, total: 5, rows: expected.length, run: 3 },
      );
      const description = await handle.describe();
      assert.equal(description.typedSearchAttributes.get(FLOE_PROGRESS), `5/5 chunks, ${expected.length} rows, completed`);

      // The whole backfill again under the same id: every child finds its commit.
      const again = await worker.client.workflow.execute<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [input],
      });
      assert.equal(again.rows, expected.length);
      assert.equal((await onlineSnapshots(source, worker.onlineNamespace)).length, 5);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);

      await recordRun(worker.client, workflowId, handle.firstExecutionRunId, 'backfill-continue-as-new');
      await recordRun(
        worker.client,
        backfillChunkWorkflowId(workflowId, VIEW, HALF_DAYS[0]!.start, HALF_DAYS[0]!.end),
        undefined,
        'materialize-backfill-child',
      );
    } finally {
      await worker.close();
    }
  });

  test('pause holds new chunks until resume', async () => {
    let heldOnce = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reachedHold!: () => void;
    const holding = new Promise<void>((resolve) => (reachedHold = resolve));
    // The first chunk waits after writing until the test has paused the backfill.
    const worker = await startPipelineWorker(source, {
      hooks: {
        afterWrite: async () => {
          if (heldOnce) return;
          heldOnce = true;
          reachedHold();
          await released;
        },
      },
    });
    try {
      const workflowId = `backfill-pause-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureViews: [VIEW], ...RANGE, chunk: '1d', parallelism: 1 }],
      });
      await holding;
      await handle.signal('pause');
      release();
      const paused = await waitFor(handle, (progress) => progress.current.length === 0 && progress.chunksDone === 1);
      assert.equal(paused.state, 'paused');
      await sleep(3_000);
      const stillPaused = await handle.query<BackfillProgress>('progress');
      assert.equal(stillPaused.chunksDone, 1, 'no chunk started while paused');
      assert.equal((await onlineSnapshots(source, worker.onlineNamespace)).length, 1);
      await handle.signal('resume');
      const result = await handle.result();
      assert.equal(result.chunks, 3);
      const days = [
        { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
        { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
        { start: '2024-05-03T00:00:00.000Z', end: '2024-05-03T12:00:00.000Z' },
      ];
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, days));
    } finally {
      release();
      await worker.close();
    }
  });

  test('cancelling cancels the running child and leaves only whole windows', async () => {
    // The second chunk's write step holds until its cancellation arrives.
    const { hooks, holding } = holdWriteUntilCancelled(2);
    const worker = await startPipelineWorker(source, { hooks });
    try {
      const workflowId = `backfill-cancel-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureViews: [VIEW], ...RANGE, chunk: '1d', parallelism: 1 }],
      });
      await holding;
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(
        failure instanceof WorkflowFailedError && failure.cause instanceof CancelledFailure,
        `the backfill ends cancelled, got ${String(failure)}`,
      );

      const secondChild = worker.client.workflow.getHandle(
        backfillChunkWorkflowId(workflowId, VIEW, '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z'),
      );
      assert.equal((await secondChild.describe()).status.name, 'CANCELLED');
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(committedWindows(snapshots), [{ start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' }]);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, committedWindows(snapshots)));
      const progress = await handle.query<BackfillProgress>('progress');
      assert.equal(progress.state, 'cancelled');
      assert.equal(progress.chunksDone, 1);
    } finally {
      await worker.close();
    }
  });

  test('bad input fails at once, naming the field; a chunk that fails stops the backfill', async () => {
    const worker = await startPipelineWorker(source);
    try {
      const badChunk = await worker.client.workflow
        .execute('backfill', {
          taskQueue: worker.taskQueue,
          workflowId: `backfill-bad-${randomUUID()}`,
          args: [{ featureViews: [VIEW], ...RANGE, chunk: 'daily' }],
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(badChunk instanceof WorkflowFailedError);
      assert.match(String(badChunk.cause?.message), /chunk: must be a duration/);

      const unknownView = await worker.client.workflow
        .execute('backfill', {
          taskQueue: worker.taskQueue,
          workflowId: `backfill-unknown-${randomUUID()}`,
          args: [{ featureViews: ['no_such_view'], ...RANGE }],
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(unknownView instanceof WorkflowFailedError);
      assert.match(String(unknownView.cause?.message), /Backfill stopped after 0 of 3 chunks/);
      assert.match(causeChain(unknownView), /No feature view named "no_such_view"/);
    } finally {
      await worker.close();
    }
  });
});

/** Every message down a failure's cause chain: the root cause is an activity's error inside a child. */
function causeChain(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) messages.push(current.message);
  return messages.join(' <- ');
}

async function waitFor(
  handle: { query<T>(name: string): Promise<T> },
  done: (progress: BackfillProgress) => boolean,
): Promise<BackfillProgress> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const progress = await handle.query<BackfillProgress>('progress');
    if (done(progress)) return progress;
    await sleep(200);
  }
  throw new Error('the backfill never reached the expected progress');
}
