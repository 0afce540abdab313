// services: temporal, python
// The consistency workflow on the Temporal dev server: after materialize, a late row caught by an
// incremental run, compaction and a backfill, every sampled online value equals the offline value
// at the instant it is exact for (0 mismatches); a wrong row planted in the online table is named
// by entity and feature. The report lands in an Iceberg table and on the feature server's gauge.
// A view's `consistency` section schedules the check (a triggered run).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { schedulePlans } from '../../../client/schedule-plan.js';
import { applySchedules, setSchedulePaused } from '../../../client/schedules.js';
import { consistencyScheduleId } from '../../../contracts/ids.js';
import type { ConsistencyProgress, ConsistencyResult } from '../../../contracts/consistency.js';
import { seedFromWorkflowId } from '../../../contracts/consistency.js';
import { latestMismatchRates } from '../../../features/consistency/index.js';
import { FloeError } from '../../../core/errors.js';
import { OnlineStore } from '../../../features/online/index.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { compact } from '../../../workflows/compact.js';
import type { consistency } from '../../../workflows/consistency.js';
import type { materialize } from '../../../workflows/materialize.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import { appendSourceRows, createDriverStatsCatalog, recordRun, startPipelineWorker, VIEW } from '../../support/pipelines/pipeline.js';
import { plantOnlineRow } from '../../support/pipelines/plant-online-row.js';
import { deleteSchedule, listedSchedule, pausedState } from '../../support/pipelines/schedule-runs.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('consistency');

const FEATURES = ['conv_rate', 'acc_rate', 'avg_daily_trips'];
const WATERMARK = '2024-05-03T12:00:00.000Z';

describe('consistency workflow', () => {
  test('reports 0 mismatches after materialize, a late row, compaction and a backfill; names a planted wrong row', async () => {
    let source: SourceTable = await createDriverStatsCatalog(path.join(scratch, 'source'));
    const worker = await startPipelineWorker(source);
    const reportTable = `monitoring_${randomUUID().slice(0, 8)}.consistency`;
    try {
      const run = <T>(type: string, args: unknown[]): Promise<T> =>
        worker.client.workflow.execute(type, { taskQueue: worker.taskQueue, workflowId: `${type}-${randomUUID()}`, args });
      await run<Awaited<ReturnType<typeof materialize>>>('materialize', [
        { featureView: VIEW, start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
      ]);
      // A late correction inside the window already materialized (driver 1005's newest row of the
      // first day, with a later created time and other values), then an incremental run catches it.
      const late = source.rows.filter((row) => row.driver_id === 1005 && row.event_timestamp < '2024-05-02').at(-1)!;
      source = await appendSourceRows(source, [{ ...late, conv_rate: 0.123, avg_daily_trips: 4242, created: '2024-05-02T05:00:00.000Z' }]);
      const incremental = await run<Awaited<ReturnType<typeof materialize>>>('materialize', [
        { featureView: VIEW, end: '2024-05-02T12:00:00.000Z' },
      ]);
      assert.equal(incremental.late?.rows, 1, 'the incremental run read the late row');
      await run<Awaited<ReturnType<typeof compact>>>('compact', [{ featureView: VIEW }, { minFiles: 0, skipCleanup: true }]);
      await run<Awaited<ReturnType<typeof backfill>>>('backfill', [
        { featureViews: [VIEW], start: '2024-05-02T12:00:00.000Z', end: WATERMARK, chunk: '6h', parallelism: 2 },
      ]);

      const workflowId = `consistency-${VIEW}-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof consistency>('consistency', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureView: VIEW, sample: 1000, seed: 7, reportTable }],
      });
      const healthy: ConsistencyResult = await handle.result();
      assert.equal(healthy.exactAsOf, '2024-05-03T11:59:59.999999Z', 'the online values are exact just before the watermark');
      assert.equal(healthy.sampled, 40, 'every driver (fewer than the sample size)');
      assert.equal(healthy.population, 40);
      assert.equal(healthy.mismatches, 0, JSON.stringify(healthy.features));
      assert.deepEqual(
        healthy.features.map((feature) => [feature.feature, feature.mismatches, feature.mismatchRate]),
        FEATURES.map((feature) => [feature, 0, 0]),
      );
      assert.equal(healthy.reportTable, reportTable);
      const progress = await handle.query<ConsistencyProgress>('progress');
      assert.deepEqual(progress, { phase: 'done', featureView: VIEW, seed: 7, mismatches: 0 });
      await recordRun(worker.client, workflowId, undefined, 'consistency-healthy');

      // A wrong row for driver 1010, newer than its real latest one but before the watermark: what a
      // buggy materialization could leave. Appended straight to the online table.
      await plantOnlineRow(worker.runtime, VIEW, { driverId: 1010, eventTs: '2024-05-03T11:59:00.000000Z' });
      const planted = await run<ConsistencyResult>('consistency', [{ featureView: VIEW, sample: 1000, seed: 7, reportTable, examples: 3 }]);
      assert.equal(planted.exactAsOf, healthy.exactAsOf, 'a row without a window does not move the watermark');
      assert.equal(planted.mismatches, FEATURES.length);
      for (const feature of planted.features) {
        assert.equal(feature.mismatches, 1, feature.feature);
        assert.equal(feature.mismatchRate, 1 / 40);
        assert.deepEqual(
          feature.examples.map((example) => example.entity),
          ['{"driver_id":1010}'],
          feature.feature,
        );
      }
      const conv = planted.features.find((feature) => feature.feature === 'conv_rate')!;
      assert.equal(conv.examples[0]!.online, '99.5');
      const trips = planted.features.find((feature) => feature.feature === 'avg_daily_trips')!;
      assert.equal(trips.examples[0]!.online, '-1');

      // The report table holds both checks; the latest rows carry the planted mismatch rate.
      const latest = await latestMismatchRates(worker.runtime, reportTable);
      assert.deepEqual(
        latest.map((row) => [row.featureView, row.feature, row.mismatchRate]),
        [...FEATURES].sort().map((feature) => [VIEW, feature, 1 / 40]),
      );

      // The feature server's gauge reads the latest rows on scrape.
      const server = createFeatureServer({
        store: new OnlineStore({ registry: worker.runtime.registry, catalog: worker.runtime.catalog, engine: worker.runtime.engine }),
        consistency: { table: reportTable, read: (table) => latestMismatchRates(worker.runtime, table) },
      });
      try {
        const metrics = await server.inject({ method: 'GET', url: '/metrics' });
        for (const feature of FEATURES)
          assert.match(
            metrics.body,
            new RegExp(`floe_online_offline_mismatch_rate\\{view="${VIEW}",feature="${feature}"\\} 0\\.025\\n`),
            metrics.body
              .split('\n')
              .filter((line) => line.includes('mismatch'))
              .join('\n'),
          );
      } finally {
        await server.close();
      }
    } finally {
      await worker.close();
    }
  });

  test("a view's consistency section schedules the check: a triggered run samples with its own seed and reports to the default table", async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'scheduled'));
    const view = `scheduled_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, consistency: { every: { hours: 1 }, sample: 10, paused: true } });
    const scheduleId = consistencyScheduleId(view);
    try {
      await worker.client.workflow.execute('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `materialize-${randomUUID()}`,
        args: [{ featureView: view, start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' }],
      });
      const plans = schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue });
      assert.deepEqual(
        plans.map((plan) => plan.scheduleId),
        [scheduleId],
      );
      assert.deepEqual(await applySchedules(worker.client, plans), [{ scheduleId, featureView: view, outcome: 'created' }]);
      assert.equal((await listedSchedule(worker.client, scheduleId)).featureView, view);
      await setSchedulePaused(worker.client, { featureView: view, schedule: 'consistency' }, false);
      assert.equal((await listedSchedule(worker.client, scheduleId)).paused, false);
      await setSchedulePaused(worker.client, { featureView: view, schedule: 'consistency' }, true, 'checking by hand');
      assert.deepEqual(await pausedState(worker.client, scheduleId), [true, 'checking by hand']);
      await assert.rejects(setSchedulePaused(worker.client, { featureView: view, schedule: 'compaction' }, true), (error: unknown) => {
        assert.ok(FloeError.is(error) && error.kind === 'not-found');
        assert.match(error.message, new RegExp(`No schedule floe-compact-${view} for the compaction schedule of feature view ${view}`));
        return true;
      });
      await worker.client.schedule.getHandle(scheduleId).trigger();
      const run = await scheduledRun(worker, scheduleId);
      assert.equal(run.result.featureView, view);
      assert.equal(run.result.sampled, 10);
      assert.equal(run.result.mismatches, 0);
      assert.equal(run.result.seed, seedFromWorkflowId(run.workflowId), "the seed comes from the run's id");
      assert.equal(run.result.reportTable, 'floe_monitoring.consistency');
      const latest = await latestMismatchRates(worker.runtime, 'floe_monitoring.consistency');
      assert.deepEqual(
        latest.map((row) => [row.featureView, row.feature, row.mismatchRate]),
        [...FEATURES].sort().map((feature) => [view, feature, 0]),
      );
    } finally {
      await deleteSchedule(worker.client, scheduleId);
      await worker.close();
    }
  });
});

async function scheduledRun(worker: PipelineWorker, scheduleId: string): Promise<{ workflowId: string; result: ConsistencyResult }> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const action = (await worker.client.schedule.getHandle(scheduleId).describe()).info.recentActions[0];
    if (action) {
      const { workflowId, firstExecutionRunId } = action.action.workflow;
      return {
        workflowId,
        result: (await worker.client.workflow.getHandle(workflowId, firstExecutionRunId).result()) as ConsistencyResult,
      };
    }
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not start a run`);
}
