// services: temporal, python
// A feature view's (and a source's) compaction section as a Temporal Schedule: applied by the same
// code as `floe schedule apply`, listed beside the materialize schedules, and a triggered run compacts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { schedulePlans } from '../../../client/schedule-plan.js';
import { applySchedules, setSchedulePaused } from '../../../client/schedules.js';
import type { CompactResult } from '../../../contracts/compact.js';
import { compactScheduleId, compactSourceScheduleId } from '../../../contracts/ids.js';
import { defineIcebergSource } from '../../../features/definitions.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { BUCKETS, driverDefinitions } from '../../support/pipelines/definitions.js';
import { appendSourceRows, createDriverStatsCatalog, onlineRows, startPipelineWorker } from '../../support/pipelines/pipeline.js';
import { deleteSchedule, listedSchedule, pausedState } from '../../support/pipelines/schedule-runs.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('compaction-schedule');

test('a triggered compaction schedule compacts the online table with the definition’s settings', async () => {
  const source = await createDriverStatsCatalog(path.join(scratch, 'scheduled'));
  const view = `compacted_${randomUUID().slice(0, 8)}`;
  const worker = await startPipelineWorker(source, { viewName: view, compaction: { every: { hours: 6 }, minFiles: 2, paused: true } });
  const scheduleId = compactScheduleId(view);
  try {
    for (const [start, end] of [
      ['2024-05-01T00:00:00.000Z', '2024-05-01T06:00:00.000Z'],
      ['2024-05-01T06:00:00.000Z', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01T12:00:00.000Z', '2024-05-01T18:00:00.000Z'],
    ] as const) {
      await worker.client.workflow.execute('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `materialize-${randomUUID()}`,
        args: [{ featureView: view, start, end }],
      });
    }
    const before = await onlineRows(source, worker.onlineNamespace, view);

    const plans = schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      [scheduleId],
    );
    assert.deepEqual(await applySchedules(worker.client, plans), [{ scheduleId, featureView: view, outcome: 'created' }]);
    const listed = await listedSchedule(worker.client, scheduleId);
    assert.deepEqual(
      { featureView: listed.featureView, paused: listed.paused, spec: listed.spec },
      { featureView: view, paused: true, spec: 'every 6h' },
    );

    const handle = worker.client.schedule.getHandle(scheduleId);
    await handle.trigger();
    const result = await firstRunResult(worker.client, scheduleId);
    assert.equal(result.featureView, view);
    assert.equal(result.partitionsRewritten, BUCKETS);
    assert.equal(result.dataFilesBefore, 3 * BUCKETS);
    assert.equal(result.dataFilesAfter, BUCKETS);
    const files = await runPyiceberg<{ rows: unknown[] }>('inspect', {
      catalog: source.oracle,
      identifier: `${worker.onlineNamespace}.${view}`,
      what: 'data_files',
    });
    assert.equal(files.rows.length, BUCKETS);
    const after = await onlineRows(source, worker.onlineNamespace, view);
    assert.equal(after.length, result.rowsAfter);
    assert.equal(result.rowsBefore, before.length);
  } finally {
    await deleteSchedule(worker.client, scheduleId);
    await worker.close();
  }
});

test("a source's compaction schedule merges its table's small files", async () => {
  const rows = driverStatsRows();
  let source = await createDriverStatsCatalog(
    path.join(scratch, 'source-scheduled'),
    rows.filter((_, row) => row % 5 < 2),
  );
  for (const part of [2, 3, 4])
    source = await appendSourceRows(
      source,
      rows.filter((_, row) => row % 5 === part),
    );
  const worker = await startPipelineWorker(source, {
    definitions: (table) => [
      ...driverDefinitions(table).filter((definition) => definition.kind !== 'source'),
      defineIcebergSource({
        name: 'driver_stats',
        table,
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
        compaction: { every: { hours: 6 }, minFiles: 2, paused: true },
      }),
    ],
  });
  const scheduleId = compactSourceScheduleId('driver_stats');
  try {
    const plans = schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      [scheduleId],
    );
    assert.deepEqual(await applySchedules(worker.client, plans), [
      { scheduleId, featureView: null, source: 'driver_stats', outcome: 'created' },
    ]);
    const listed = await listedSchedule(worker.client, scheduleId);
    assert.deepEqual(
      { featureView: listed.featureView, source: 'source' in listed ? listed.source : undefined, paused: listed.paused, spec: listed.spec },
      { featureView: null, source: 'driver_stats', paused: true, spec: 'every 6h' },
    );

    await setSchedulePaused(worker.client, { source: 'driver_stats' }, false);
    assert.equal((await listedSchedule(worker.client, scheduleId)).paused, false);
    await setSchedulePaused(worker.client, { source: 'driver_stats' }, true, 'maintenance');
    assert.deepEqual(await pausedState(worker.client, scheduleId), [true, 'maintenance']);

    await worker.client.schedule.getHandle(scheduleId).trigger();
    const result = await firstRunResult(worker.client, scheduleId);
    assert.equal(result.kind, 'source');
    assert.equal(result.table, source.table);
    assert.deepEqual([result.dataFilesBefore, result.dataFilesAfter, result.rowsAfter], [5, 1, rows.length]);
    const files = await runPyiceberg<{ rows: unknown[] }>('inspect', {
      catalog: source.oracle,
      identifier: source.table,
      what: 'data_files',
    });
    assert.equal(files.rows.length, 1);
  } finally {
    await deleteSchedule(worker.client, scheduleId);
    await worker.close();
  }
});

async function firstRunResult(client: Client, scheduleId: string): Promise<CompactResult> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const action = (await client.schedule.getHandle(scheduleId).describe()).info.recentActions[0];
    if (action)
      return (await client.workflow
        .getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId)
        .result()) as CompactResult;
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not start a run`);
}
