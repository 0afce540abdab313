// services: temporal, python
// The consistency workflow on an aggregated view, on the Temporal dev server: after materialize,
// late rows caught by an incremental run, compaction and a backfill, every sampled entity's online
// aggregates (combined from tiles) equal getHistoricalFeatures' at the instant they are exact for
// (0 mismatches). The source's conv_rate values are thousandths and the late rows add tenths and
// thirds: doubles whose sums depend on the order they are added in (tiles first online, window
// order offline), compared within the documented tolerance (features/consistency/compare.ts). A
// wrong delta tile planted in the online table is named by entity and by exactly the features it
// changes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import type { ConsistencyResult } from '../../../contracts/consistency.js';
import { expandAggregations } from '../../../features/aggregations.js';
import type { AggregationDefinition } from '../../../features/aggregations.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { Definition } from '../../../features/registry.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import { appendSourceRows, createDriverStatsCatalog, startPipelineWorker } from '../../support/pipelines/pipeline.js';
import { plantOnlineTile } from '../../support/pipelines/plant-online-tile.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('consistency-aggregated');

const VIEW = 'driver_windows';
const WATERMARK = '2024-05-03T12:00:00.000Z';
const AGGREGATIONS = [
  { column: 'conv_rate', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['2h', '1d'] },
  { column: 'avg_daily_trips', type: 'long', functions: ['sum', 'last'], windows: ['6h'] },
] as const;

function definitions(sourceTable: string): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_stats', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'driver_stats',
      aggregations: AGGREGATIONS.map((aggregation) => ({
        ...aggregation,
        functions: [...aggregation.functions],
        windows: [...aggregation.windows],
      })),
      online: { buckets: 4 },
    }),
  ];
}

test('consistency on an aggregated view: 0 mismatches after materialize, late rows, compaction and a backfill; a planted wrong tile is named', async () => {
  let source = await createDriverStatsCatalog(path.join(scratch, 'source'));
  const worker = await startPipelineWorker(source, { definitions });
  const reportTable = `monitoring_${randomUUID().slice(0, 8)}.consistency`;
  const features = expandAggregations(AGGREGATIONS as unknown as AggregationDefinition[]).map((feature) => feature.name);
  try {
    const run = <T>(type: string, args: unknown[]): Promise<T> =>
      worker.client.workflow.execute(type, { taskQueue: worker.taskQueue, workflowId: `${type}-${randomUUID()}`, args });
    const check = (extra: Record<string, unknown> = {}): Promise<ConsistencyResult> =>
      run<ConsistencyResult>('consistency', [{ featureView: VIEW, sample: 1000, seed: 11, reportTable, ...extra }]);

    await run<MaterializeResult>('materialize', [
      { featureView: VIEW, start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
    ]);
    const first = await check();
    assert.equal(first.exactAsOf, '2024-05-01T23:59:59.999999Z');
    assert.equal(first.mismatches, 0, JSON.stringify(first.features));

    // Late rows inside the window already materialized (a correction with a later created time and
    // new events), with values whose double sums depend on the order of addition; an incremental run.
    const late = source.rows.filter((row) => row.driver_id === 1005 && row.event_timestamp < '2024-05-02').at(-1)!;
    source = await appendSourceRows(source, [
      { ...late, conv_rate: 0.1, avg_daily_trips: 4242, created: '2024-05-02T05:00:00.000Z' },
      ...[1003, 1010, 1017, 1033].flatMap((driver, index) => [
        {
          ...late,
          driver_id: driver,
          conv_rate: 0.7 + index / 3,
          event_timestamp: '2024-05-01T22:30:00.000Z',
          created: '2024-05-02T05:00:00.000Z',
        },
        {
          ...late,
          driver_id: driver,
          conv_rate: 0.2 / (index + 3),
          event_timestamp: '2024-05-01T23:45:00.000Z',
          created: '2024-05-02T05:00:00.000Z',
        },
      ]),
    ]);
    const incremental = await run<MaterializeResult>('materialize', [{ featureView: VIEW, end: '2024-05-02T12:00:00.000Z' }]);
    assert.equal(incremental.late?.rows, 9, 'the incremental run read the late rows');
    const afterLate = await check();
    assert.equal(afterLate.exactAsOf, '2024-05-02T11:59:59.999999Z');
    assert.equal(afterLate.mismatches, 0, JSON.stringify(afterLate.features));

    await run('compact', [{ featureView: VIEW }, { minFiles: 0, skipCleanup: true }]);
    const compacted = await check();
    assert.equal(compacted.exactAsOf, afterLate.exactAsOf);
    assert.equal(compacted.mismatches, 0, JSON.stringify(compacted.features));
    await run('backfill', [{ featureViews: [VIEW], start: '2024-05-02T12:00:00.000Z', end: WATERMARK, chunk: '6h', parallelism: 2 }]);
    const healthy = await check();
    assert.equal(healthy.exactAsOf, '2024-05-03T11:59:59.999999Z', 'the online values are exact just before the watermark');
    assert.equal(healthy.sampled, 40, 'every driver (fewer than the sample size)');
    assert.equal(healthy.mismatches, 0, JSON.stringify(healthy.features));
    assert.deepEqual(
      healthy.features.map((feature) => [feature.feature, feature.mismatches]),
      features.map((feature) => [feature, 0]),
    );

    // A wrong delta for driver 1010 in the last tile before the watermark: one more row of 1000.25.
    // It changes conv_rate's count, sum, avg and max over both windows, and nothing else.
    await plantOnlineTile(worker.runtime, VIEW, {
      driverId: 1010,
      tileStart: '2024-05-03T10:00:00.000Z',
      partials: { conv_rate__count: 1, conv_rate__sum: 1000.25, conv_rate__max: 1000.25 },
    });
    const planted = await check({ examples: 3 });
    assert.equal(planted.exactAsOf, healthy.exactAsOf, 'a row without a window does not move the watermark');
    const wrong = ['count', 'sum', 'avg', 'max'].flatMap((fn) => ['2h', '1d'].map((window) => `conv_rate_${fn}_${window}`));
    assert.deepEqual(
      planted.features.filter((feature) => feature.mismatches > 0).map((feature) => feature.feature),
      features.filter((feature) => wrong.includes(feature)),
    );
    assert.equal(planted.mismatches, wrong.length);
    for (const feature of planted.features.filter((candidate) => candidate.mismatches > 0)) {
      assert.equal(feature.mismatches, 1, feature.feature);
      assert.deepEqual(
        feature.examples.map((example) => example.entity),
        ['{"driver_id":1010}'],
        feature.feature,
      );
    }
    const max = planted.features.find((feature) => feature.feature === 'conv_rate_max_2h')!;
    assert.equal(max.examples[0]!.online, '1000.25');
  } finally {
    await worker.close();
  }
});
