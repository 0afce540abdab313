// services: temporal, python
// Scheduled materialization on the Temporal dev server: a schedule made from a feature view's
// definition fires and its window lands; a schedule backfill over past intervals produces exactly
// the rows of a manual backfill of the same range; replaying it commits nothing twice; pause,
// resume and list work on it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { FeatureViewInput } from '../../../features/definitions.js';
import { schedulePlans } from '../../../client/schedule-plan.js';
import { applySchedules, setSchedulePaused } from '../../../client/schedules.js';
import type { backfill } from '../../../workflows/backfill.js';
import { materializeScheduleId } from '../../../contracts/ids.js';
import type { PipelineWorker } from '../../support/pipelines/pipeline.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  recordRun,
  startPipelineWorker,
} from '../../support/pipelines/pipeline.js';
import {
  deleteSchedule,
  listedSchedule,
  nextRunResult,
  recentRows,
  triggerAfter,
  waitForScheduleIdle,
} from '../../support/pipelines/schedule-runs.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('schedules');

const HOUR = 3_600_000;

describe('scheduled materialization', () => {
  test('a triggered schedule run ends at its scheduled time and the next one starts at the watermark', async () => {
    // Source rows around now, so the runs' windows (which end at the trigger time) hold some.
    const source = await createDriverStatsCatalog(path.join(scratch, 'recent'), recentRows(Date.now()));
    const view = `scheduled_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 1 }, paused: true } });
    const scheduleId = materializeScheduleId(view);
    try {
      const plans = schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue });
      assert.deepEqual(
        plans.map((plan) => plan.scheduleId),
        [scheduleId],
      );
      assert.deepEqual(await applySchedules(worker.client, plans), [{ scheduleId, featureView: view, outcome: 'created' }]);
      const handle = worker.client.schedule.getHandle(scheduleId);

      await handle.trigger();
      const first = await nextRunResult(worker.client, scheduleId, 1);
      await triggerAfter(handle, first.end);
      const second = await nextRunResult(worker.client, scheduleId, 2);

      assert.equal(Date.parse(first.end) - Date.parse(first.start), HOUR, 'the first run reaches back one interval');
      assert.equal(second.start, first.end, 'the second run starts at the watermark the first one left');
      assert.ok(Date.parse(second.end) > Date.parse(second.start));
      const windows = committedWindows(await onlineSnapshots(source, worker.onlineNamespace, view));
      assert.deepEqual(
        windows,
        [first, second].map(({ start, end }) => ({ start, end })),
      );
      const expected = expectedRows(source.rows, windows);
      assert.ok(expected.length > 0, 'the triggered windows hold rows');
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace, view), expected);
      await recordRun(worker.client, first.workflowId, undefined, 'materialize-schedule-started');
    } finally {
      await deleteSchedule(worker.client, scheduleId);
      await worker.close();
    }
  });

  test('a schedule backfill over past intervals lands exactly the rows of a manual backfill, and replaying it adds nothing', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'history'));
    const view = `backfilled_${randomUUID().slice(0, 8)}`;
    const schedule: FeatureViewInput['schedule'] = { every: { hours: 12 }, paused: true };
    const scheduled = await startPipelineWorker(source, { viewName: view, schedule });
    const manual = await startPipelineWorker(source, { viewName: view, schedule });
    const scheduleId = materializeScheduleId(view);
    try {
      await applySchedules(scheduled.client, schedulePlans(scheduled.runtime.project.registry, { taskQueue: scheduled.taskQueue }));
      const handle = scheduled.client.schedule.getHandle(scheduleId);
      // Neither bound is a scheduled time, so the runs are 05-01 12:00, 05-02 00:00, 05-02 12:00 and 05-03 00:00.
      const range = { start: new Date('2024-05-01T06:00:00Z'), end: new Date('2024-05-03T06:00:00Z') };
      await handle.backfill({ ...range, overlap: 'BUFFER_ALL' });
      await waitForScheduleIdle(scheduled.client, scheduleId, 4);

      const windows = committedWindows(await onlineSnapshots(source, scheduled.onlineNamespace, view));
      const halfDays = [
        '2024-05-01T00:00:00.000Z',
        '2024-05-01T12:00:00.000Z',
        '2024-05-02T00:00:00.000Z',
        '2024-05-02T12:00:00.000Z',
        '2024-05-03T00:00:00.000Z',
      ];
      assert.deepEqual(
        windows,
        halfDays.slice(0, -1).map((start, index) => ({ start, end: halfDays[index + 1]! })),
        'consecutive 12-hour windows, the first one reaching back one interval',
      );

      // The same range by hand: a backfill workflow with one chunk per interval, into another online table.
      await manual.client.workflow.execute<typeof backfill>('backfill', {
        taskQueue: manual.taskQueue,
        workflowId: `manual-${view}`,
        args: [{ featureViews: [view], start: halfDays[0]!, end: halfDays.at(-1)!, chunk: '12h', parallelism: 2 }],
      });
      const fromSchedule = await onlineRows(source, scheduled.onlineNamespace, view);
      assert.deepEqual(fromSchedule, await onlineRows(source, manual.onlineNamespace, view));
      assert.deepEqual(fromSchedule, expectedRows(source.rows, windows));

      // Backfilling the same times again: each run finds its window committed under the same id.
      await handle.backfill({ ...range, overlap: 'BUFFER_ALL' });
      await waitForScheduleIdle(scheduled.client, scheduleId, 8);
      assert.equal((await onlineSnapshots(source, scheduled.onlineNamespace, view)).length, 4);
      assert.deepEqual(await onlineRows(source, scheduled.onlineNamespace, view), fromSchedule);
    } finally {
      await deleteSchedule(scheduled.client, scheduleId);
      await scheduled.close();
      await manual.close();
    }
  });

  test('apply updates an existing schedule and keeps it paused; pause, resume and list', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'apply'));
    const view = `applied_${randomUUID().slice(0, 8)}`;
    const first: PipelineWorker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 1 } } });
    const scheduleId = materializeScheduleId(view);
    try {
      await applySchedules(first.client, schedulePlans(first.runtime.project.registry, { taskQueue: first.taskQueue }));
      await setSchedulePaused(first.client, { featureView: view }, true, 'maintenance');
      const changed = await startPipelineWorker(source, {
        viewName: view,
        schedule: { every: { minutes: 30 }, overlap: 'skip' },
        taskQueue: first.taskQueue,
      });
      try {
        const applied = await applySchedules(
          changed.client,
          schedulePlans(changed.runtime.project.registry, { taskQueue: changed.taskQueue }),
        );
        assert.deepEqual(applied, [{ scheduleId, featureView: view, outcome: 'updated' }]);
      } finally {
        await changed.close();
      }
      const described = await first.client.schedule.getHandle(scheduleId).describe();
      assert.equal(described.state.paused, true, 'apply keeps an operator’s pause');
      assert.equal(described.policies.overlap, 'SKIP');
      assert.equal(described.spec.intervals?.[0]?.every, 30 * 60_000);
      assert.deepEqual(described.action.type === 'startWorkflow' ? described.action.args : undefined, [
        { featureView: view, lookbackSeconds: 1800 },
      ]);

      const listed = await listedSchedule(first.client, scheduleId);
      assert.equal(listed.paused, true);
      assert.equal(listed.note, 'maintenance');
      await setSchedulePaused(first.client, { featureView: view }, false);
      assert.equal((await first.client.schedule.getHandle(scheduleId).describe()).state.paused, false);
      await assert.rejects(
        setSchedulePaused(first.client, { featureView: 'no_such_view' }, true),
        /No schedule floe-materialize-no_such_view/,
      );
    } finally {
      await deleteSchedule(first.client, scheduleId);
      await first.close();
    }
  });
});
