// services: temporal, python
// The materialize workflow under failure, on the Temporal dev server: a commit that fails with a
// transient error (before landing, and after landing with the answer lost), a commit that loses a
// race to another writer, a cancellation while the compute step runs DuckDB, and windows opened
// from the watermark. The online table is read back by pyiceberg each time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { fastAppend } from '../../../iceberg/write/fast-append.js';
import type { materialize } from '../../../workflows/materialize.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { localActivityRuns } from '../../support/histories.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  recordRun,
  startPipelineWorker,
  VIEW,
} from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('resilience');
let source: SourceTable;
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
});

const DAY2 = { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };

/** A catalog whose commits go through `intercept` first; everything else is the real catalog's. */
function interceptCommits(
  catalog: Catalog,
  intercept: (commit: () => ReturnType<Catalog['commitTable']>, call: number) => ReturnType<Catalog['commitTable']>,
): Catalog {
  let calls = 0;
  return new Proxy(catalog, {
    get(target, property, receiver) {
      if (property === 'commitTable') {
        return (...args: Parameters<Catalog['commitTable']>) => intercept(() => target.commitTable(...args), ++calls);
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('materialize under failure', () => {
  test('a transient commit failure, before and after landing, is retried and the window lands exactly once', async () => {
    const worker = await startPipelineWorker(source, {
      wrapCatalog: (catalog) =>
        interceptCommits(catalog, async (commit, call) => {
          // 1: the store is briefly unavailable; 2: the commit lands but its answer is lost.
          if (call === 1) throw new FloeError('io', 'injected: the catalog is briefly unavailable', { retryable: true });
          const landed = await commit();
          if (call === 2) throw new FloeError('io', 'injected: connection reset after the commit landed', { retryable: true });
          return landed;
        }),
    });
    try {
      const workflowId = `materialize-transient-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureView: VIEW, ...DAY2 }],
      });
      const result: MaterializeResult = await handle.result();
      assert.equal(result.alreadyCommitted, true, 'the third attempt found the second attempt’s commit by its idempotency key');
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.equal(snapshots.length, 1);
      assert.equal(snapshots[0]!.snapshotId, result.onlineSnapshotId);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, [DAY2]));

      const events = (await handle.fetchHistory()).events ?? [];
      const commit = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'commitOnline');
      const started = events.find(
        (event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(commit?.eventId),
      );
      // History keeps the step's last attempt, with the failure before it. On a loaded machine an
      // attempt can also time out: one past the third counts only after a timeout of Temporal's.
      const last = started?.activityTaskStartedEventAttributes;
      const after = last?.lastFailure?.message ?? '';
      assert.ok(
        last?.attempt === 3 ? after.startsWith('injected:') : (last?.attempt ?? 0) > 3 && Boolean(last?.lastFailure?.timeoutFailureInfo),
        `the commit step ran three attempts (its last: attempt ${last?.attempt} after ${after || 'no failure'})`,
      );
      await recordRun(worker.client, workflowId, undefined, 'materialize-transient-failure-commit-activity');
    } finally {
      await worker.close();
    }
  });

  test('a commit that loses a race to another writer is replayed on the new head', async () => {
    let competitor: Catalog | undefined;
    const worker = await startPipelineWorker(source, {
      wrapCatalog: (catalog) => {
        competitor = catalog;
        return interceptCommits(catalog, async (commit, call) => {
          if (call === 1) {
            // Another writer appends (nothing) first, so this commit's base is stale.
            const identifier = { namespace: [worker.onlineNamespace], name: VIEW };
            await commitChange(
              competitor!,
              identifier,
              fastAppend([], { idempotencyKey: 'competing-writer', summary: { 'floe.window-end': '2024-05-01T00:00:00.000Z' } }),
            );
          }
          return commit();
        });
      },
      onlineNamespace: `online_conflict_${randomUUID().slice(0, 8)}`,
    });
    try {
      const workflowId = `materialize-conflict-${randomUUID()}`;
      const result = await worker.client.workflow.execute<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureView: VIEW, ...DAY2 }],
      });
      assert.equal(result.alreadyCommitted, false);
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual(
        snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']),
        ['competing-writer', `${workflowId}/${DAY2.start}/${DAY2.end}`],
      );
      assert.equal(snapshots[1]!.summary['floe.watermark'], DAY2.end, 'the watermark is restated on the new head');
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, [DAY2]));
      await recordRun(worker.client, workflowId, undefined, 'materialize-retried-conflict-commit-activity');
    } finally {
      await worker.close();
    }
  });

  test('cancelling during the compute step interrupts DuckDB and commits nothing', async () => {
    let reachedCompute!: () => void;
    const computing = new Promise<void>((resolve) => (reachedCompute = resolve));
    let interrupted: unknown;
    const engine: { current?: Awaited<ReturnType<typeof startPipelineWorker>>['runtime']['engine'] } = {};
    const worker = await startPipelineWorker(source, {
      hooks: {
        // Stands in for a long computation: a query that only DuckDB's interrupt ends.
        beforeCompute: async ({ signal }) => {
          reachedCompute();
          await engine
            .current!.withConnection(
              (connection) => connection.runAndReadAll('SELECT count(*) FROM range(1000000000000) a, range(1000) b'),
              { signal },
            )
            .catch((error: unknown) => {
              interrupted = error;
              throw error;
            });
        },
      },
    });
    engine.current = worker.runtime.engine;
    try {
      const workflowId = `materialize-cancel-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureView: VIEW, ...DAY2 }],
      });
      await computing;
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(
        failure instanceof WorkflowFailedError && failure.cause instanceof CancelledFailure,
        `materialize ends cancelled, got ${String(failure)}`,
      );
      assert.ok(interrupted !== undefined, 'the running DuckDB query was interrupted');
      const events = (await handle.fetchHistory()).events ?? [];
      assert.ok(
        events.some((event) => event.activityTaskCanceledEventAttributes),
        'the compute step reported its cancellation (the workflow waited for it)',
      );
      assert.ok(
        !events.some((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'commitOnline') &&
          localActivityRuns({ events }).length === 0,
        'no commit was attempted',
      );
      assert.equal(
        await worker.runtime.catalog.tableExists({ namespace: [worker.onlineNamespace], name: VIEW }),
        false,
        'nor an empty online table created',
      );
    } finally {
      await worker.close();
    }
  });

  test('windows opened from the watermark follow on without gap or overlap', async () => {
    const worker = await startPipelineWorker(source);
    try {
      const first = await worker.client.workflow.execute<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `materialize-first-${randomUUID()}`,
        args: [{ featureView: VIEW, end: '2024-05-01T12:00:00.000Z', lookbackSeconds: 12 * 3600 }],
      });
      assert.deepEqual(
        { start: first.start, end: first.end },
        { start: '2024-05-01T00:00:00.000Z', end: '2024-05-01T12:00:00.000Z' },
        'no watermark: end minus the lookback',
      );
      const secondId = `materialize-second-${randomUUID()}`;
      const second = await worker.client.workflow.execute<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: secondId,
        args: [{ featureView: VIEW, end: '2024-05-02T18:00:00.000Z', lookbackSeconds: 12 * 3600 }],
      });
      assert.deepEqual(
        { start: second.start, end: second.end },
        { start: '2024-05-01T12:00:00.000Z', end: '2024-05-02T18:00:00.000Z' },
        'catches up from the watermark',
      );
      const secondHistory = await worker.client.workflow.getHandle(secondId).fetchHistory();
      assert.deepEqual(
        (secondHistory.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
        ['readWatermark', 'prepareWindow', 'commitOnline'],
        'the watermark read and the commit ran as activities, outside the workflow task',
      );
      assert.deepEqual(localActivityRuns(secondHistory), []);
      await recordRun(worker.client, secondId, undefined, 'materialize-from-watermark-catalog-steps-outside');
      const nothingNew = await worker.client.workflow
        .execute<typeof materialize>('materialize', {
          taskQueue: worker.taskQueue,
          workflowId: `materialize-third-${randomUUID()}`,
          args: [{ featureView: VIEW, end: '2024-05-02T00:00:00.000Z' }],
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(nothingNew instanceof WorkflowFailedError);
      assert.match(String(nothingNew.cause?.message), /already materialized up to 2024-05-02T18:00:00Z/);
      const windows = committedWindows(await onlineSnapshots(source, worker.onlineNamespace));
      assert.deepEqual(windows, [
        { start: '2024-05-01T00:00:00.000Z', end: '2024-05-01T12:00:00.000Z' },
        { start: '2024-05-01T12:00:00.000Z', end: '2024-05-02T18:00:00.000Z' },
      ]);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(source.rows, windows));
    } finally {
      await worker.close();
    }
  });
});
