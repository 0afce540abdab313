// services: temporal, python
// No window ends in the future, whichever way it is asked for: a schedule's Backfill over the next
// day, a materialize workflow started with a future end (the UI's Start Workflow form), a backfill
// reaching past now. The watermark stays at or before now, and rows that arrive afterwards with
// event times in that range are materialized by the next scheduled run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';
import { schedulePlans } from '../../../client/schedule-plan.js';
import { applySchedules } from '../../../client/schedules.js';
import type { backfill } from '../../../workflows/backfill.js';
import { materializeScheduleId } from '../../../contracts/ids.js';
import type { materialize } from '../../../workflows/materialize.js';
import type { DriverStatsRow } from '../../support/driver-stats.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import {
  appendSourceRows,
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  recordRun,
  startPipelineWorker,
} from '../../support/pipelines/pipeline.js';
import { deleteSchedule, nextRunResult, recentRows, triggerAfter, waitForScheduleIdle } from '../../support/pipelines/schedule-runs.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const scratch = scratchFolder('future');

describe('windows never run ahead of the present', () => {
  test("a schedule's backfill over the next day runs as no-ops; rows arriving later land with the next run", async () => {
    let source = await createDriverStatsCatalog(path.join(scratch, 'schedule'), recentRows(Date.now()));
    const view = `future_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 6 }, paused: true } });
    const scheduleId = materializeScheduleId(view);
    try {
      await applySchedules(worker.client, schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue }));
      const handle = worker.client.schedule.getHandle(scheduleId);
      await handle.trigger();
      const first = await nextRunResult(worker.client, scheduleId, 1);

      // What the UI's Backfill dialog offers by default: now → now + 1 day.
      const backfillFrom = Date.now();
      await handle.backfill({ start: new Date(backfillFrom), end: new Date(backfillFrom + DAY), overlap: 'BUFFER_ALL' });
      await waitForScheduleIdle(worker.client, scheduleId, 5);
      const future = await Promise.all([2, 3, 4, 5].map((count) => nextRunResult(worker.client, scheduleId, count)));
      for (const run of future) {
        assert.match(run.skipped ?? '', /in the future/, `${run.workflowId} was skipped, saying why`);
        assert.equal(run.rows, 0);
      }
      await assertNothingAfter(source, worker, view, Date.now());
      await recordRun(worker.client, future[0]!.workflowId, undefined, 'materialize-future-scheduled-time');

      const arrived = lateRows(Date.parse(first.end), Date.now());
      source = await appendSourceRows(source, arrived);
      await triggerAfter(handle, first.end);
      const next = await nextRunResult(worker.client, scheduleId, 6);
      assert.equal(next.start, first.end, 'the next run starts where the watermark stayed');
      assert.ok(next.rows >= new Set(arrived.map((row) => row.driver_id)).size);
      await assertOnlineMatches(source, worker, view);
    } finally {
      await deleteSchedule(worker.client, scheduleId);
      await worker.close();
    }
  });

  test('a materialize workflow asked for a window ending tomorrow stops at the present', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'materialize'), recentRows(Date.now()));
    const view = `started_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view });
    try {
      const asked = { start: new Date(Date.now() - 2 * HOUR).toISOString(), end: new Date(Date.now() + DAY).toISOString() };
      const result = await worker.client.workflow.execute<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `future-materialize-${randomUUID()}`,
        args: [{ featureView: view, ...asked }],
      });
      assert.deepEqual(result.requested, asked);
      assert.equal(result.start, asked.start);
      assert.ok(
        Date.parse(result.end) <= Date.now() && Date.parse(result.end) > Date.parse(asked.start),
        `the window was cut at the present: ${result.end}`,
      );
      await assertNothingAfter(source, worker, view, Date.now());
      await assertOnlineMatches(source, worker, view);
    } finally {
      await worker.close();
    }
  });

  test('a backfill reaching a day into the future stops where it started, and says so', async () => {
    let source = await createDriverStatsCatalog(path.join(scratch, 'backfill'), recentRows(Date.now()));
    const view = `backfill_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 1 }, paused: true } });
    try {
      const hour = Math.floor(Date.now() / HOUR) * HOUR;
      const range = { start: new Date(hour - 3 * HOUR).toISOString(), end: new Date(hour + DAY).toISOString() };
      const workflowId = `future-backfill-${randomUUID()}`;
      const startedBefore = Date.now();
      const result = await worker.client.workflow.execute<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureViews: [view], ...range, chunk: '1h', parallelism: 2 }],
      });
      assert.match(result.skipped ?? '', /was not materialized: it lies after/);
      assert.equal(result.chunks, 4, 'three whole hours and the part of this hour before the backfill started');
      await assertNothingAfter(source, worker, view, Date.now());
      const windows = committedWindows(await onlineSnapshots(source, worker.onlineNamespace, view));
      const cut = Math.max(...windows.map((window) => Date.parse(window.end)));
      assert.ok(cut >= startedBefore - 5_000, 'the last chunk ends when the backfill started');
      await recordRun(worker.client, workflowId, undefined, 'backfill-stops-at-present');

      // Rows arriving afterwards, with event times in the backfilled range, land with the next incremental run.
      source = await appendSourceRows(source, lateRows(cut - 30 * 60_000, Date.now()));
      const incrementalId = `future-incremental-${randomUUID()}`;
      const next = await worker.client.workflow.execute<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: incrementalId,
        args: [{ featureView: view, end: new Date().toISOString() }],
      });
      assert.ok(next.late !== undefined, 'an incremental run reports the rows committed since the last one');
      await recordRun(worker.client, incrementalId, undefined, 'materialize-incremental-late-rows');
      await assertOnlineMatches(source, worker, view);
    } finally {
      await worker.close();
    }
  });
});

/** The watermark and every committed window end at or before `now`. */
async function assertNothingAfter(source: SourceTable, worker: PipelineWorker, view: string, now: number): Promise<void> {
  const snapshots = await onlineSnapshots(source, worker.onlineNamespace, view);
  for (const snapshot of snapshots) {
    for (const key of ['floe.window-end', 'floe.watermark']) {
      const value = snapshot.summary[key];
      if (value !== undefined) assert.ok(Date.parse(value) <= now, `${key} ${value} is after now (${new Date(now).toISOString()})`);
    }
  }
}

/** Online, per driver, the latest row by (event_ts, created_ts) equals the brute force over every source row before the watermark. */
async function assertOnlineMatches(source: SourceTable, worker: PipelineWorker, view: string): Promise<void> {
  const windows = committedWindows(await onlineSnapshots(source, worker.onlineNamespace, view));
  const watermark = new Date(Math.max(...windows.map((window) => Date.parse(window.end)))).toISOString();
  const earliest = new Date(Math.min(...windows.map((window) => Date.parse(window.start)))).toISOString();
  const expected = expectedRows(source.rows, [{ start: earliest, end: watermark }]);
  const online = latestPerKey(await onlineRows(source, worker.onlineNamespace, view));
  assert.ok(expected.length > 0);
  assert.deepEqual(online, expected);
}

function latestPerKey(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const key = String(row.driver_id);
    const known = latest.get(key);
    if (!known || `${String(row.event_ts)}|${String(row.created_ts)}` > `${String(known.event_ts)}|${String(known.created_ts)}`)
      latest.set(key, row);
  }
  return [...latest.values()].sort((a, b) => Number(a.driver_id) - Number(b.driver_id));
}

/** Rows for 4 new drivers, every 5 minutes from `from` to just before `to`: committed now, with event times in the past. */
function lateRows(from: number, to: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  for (let driver = 9001; driver <= 9004; driver++) {
    for (let time = from + driver, report = 0; time < to - 1_000; time += 5 * 60_000, report++) {
      rows.push({
        driver_id: driver,
        conv_rate: report / 100,
        acc_rate: driver / 10_000,
        avg_daily_trips: report,
        event_timestamp: new Date(time).toISOString(),
        created: new Date(time + 1).toISOString(),
      });
    }
  }
  return rows;
}
