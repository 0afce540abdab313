// The pure parts of the pipelines: window rules, durations, chunking, backfill input checks,
// schedule plans from definitions, and the watermark read from snapshot summaries.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { watermarkOf } from '../../../features/online-table/table-state.js';
import { Registry } from '../../../features/registry.js';
import { schedulePlans } from '../../../client/schedule-plan.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import { planBackfill } from '../../../workflows/backfill.js';
import { backfillChunkWorkflowId } from '../../../contracts/ids.js';
import { chunkWindows, parseDurationSeconds, windowFor } from '../../../contracts/windows.js';
import { defined } from '../../../contracts/defined.js';

describe('windows', () => {
  test('a window starts at the watermark when it is before the end, else reaches back the lookback', () => {
    const end = '2024-05-02T00:00:00.000Z';
    assert.deepEqual(windowFor({ end, watermark: '2024-05-01T06:00:00.000Z', lookbackSeconds: 3600 }), {
      start: '2024-05-01T06:00:00.000Z',
      end,
    });
    assert.deepEqual(windowFor({ end, watermark: null, lookbackSeconds: 3600 }), { start: '2024-05-01T23:00:00.000Z', end });
    assert.deepEqual(
      windowFor({ end, watermark: end, lookbackSeconds: 3600 }),
      { start: '2024-05-01T23:00:00.000Z', end },
      'an end already covered is restated',
    );
    assert.match((windowFor({ end, watermark: null, lookbackSeconds: undefined }) as { problem: string }).problem, /no watermark yet/);
    assert.match(
      (windowFor({ end, watermark: '2024-05-03T00:00:00.000Z', lookbackSeconds: undefined }) as { problem: string }).problem,
      /already materialized up to 2024-05-03/,
    );
  });

  test('durations in short and ISO-8601 forms', () => {
    assert.equal(parseDurationSeconds('1d'), 86_400);
    assert.equal(parseDurationSeconds('1h30m'), 5_400);
    assert.equal(parseDurationSeconds('PT6H'), 21_600);
    assert.equal(parseDurationSeconds('P1DT12H'), 129_600);
    assert.equal(parseDurationSeconds('2w'), 1_209_600);
    for (const bad of ['daily', '', '0s', 'P', 'PT', '1x', '-1d']) assert.equal(parseDurationSeconds(bad), undefined, bad);
  });

  test('chunks cover the range exactly, the last one cut short', () => {
    assert.deepEqual(chunkWindows('2024-05-01T00:00:00Z', '2024-05-02T12:00:00Z', 86_400), [
      { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
      { start: '2024-05-02T00:00:00.000Z', end: '2024-05-02T12:00:00.000Z' },
    ]);
  });

  test('backfill chunks go window by window over every view; bad input names the field', () => {
    const plan = planBackfill({ featureViews: ['a', 'b'], start: '2024-05-01T00:00:00Z', end: '2024-05-03T00:00:00Z' });
    assert.equal(plan.parallelism, 2);
    assert.deepEqual(
      plan.chunks.map((chunk) => `${chunk.featureView}@${chunk.start.slice(0, 10)}`),
      ['a@2024-05-01', 'b@2024-05-01', 'a@2024-05-02', 'b@2024-05-02'],
    );
    assert.throws(
      () => planBackfill({ featureViews: [], start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' }),
      /featureViews: must be a non-empty list/,
    );
    assert.throws(
      () => planBackfill({ featureViews: ['a'], start: 'yesterday', end: '2024-05-02T00:00:00Z' }),
      /start: must be an ISO-8601 instant/,
    );
    assert.throws(
      () => planBackfill({ featureViews: ['a'], start: '2024-05-02T00:00:00Z', end: '2024-05-01T00:00:00Z' }),
      /must be before end/,
    );
    assert.throws(
      () => planBackfill({ featureViews: ['a'], start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z', parallelism: 0 }),
      /parallelism: must be an integer from 1 to 64/,
    );
  });

  test('a backfill reaching past the time it started is cut there, and says what it left out', () => {
    const input = { featureViews: ['a'], start: '2024-05-01T00:00:00Z', end: '2024-05-03T00:00:00Z' };
    const cut = planBackfill(input, '2024-05-02T06:00:00.000Z');
    assert.deepEqual(
      cut.chunks.map(({ start, end }) => [start, end]),
      [
        ['2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z'],
        ['2024-05-02T00:00:00.000Z', '2024-05-02T06:00:00.000Z'],
      ],
    );
    assert.equal(
      cut.skipped,
      '[2024-05-02T06:00:00Z, 2024-05-03T00:00:00Z) was not materialized: it lies after 2024-05-02T06:00:00Z, when the backfill started',
    );
    assert.deepEqual(planBackfill(input, '2024-04-30T00:00:00.000Z').chunks, [], 'a range wholly in the future runs nothing');
    assert.equal(planBackfill(input, '2024-05-04T00:00:00.000Z').skipped, undefined, 'a range in the past is whole');
  });

  test("a backfill chunk's workflow id is short, stable, and differs between backfills", () => {
    const id = backfillChunkWorkflowId(
      'backfill-driver_hourly_stats-20240501T000000Z-20240601T000000Z-1d',
      'driver_hourly_stats',
      '2024-05-02T00:00:00.000Z',
      '2024-05-03T00:00:00.000Z',
    );
    assert.match(id, /^driver_hourly_stats-20240502T000000Z-[0-9a-f]{8}$/);
    assert.equal(
      backfillChunkWorkflowId(
        'backfill-driver_hourly_stats-20240501T000000Z-20240601T000000Z-1d',
        'driver_hourly_stats',
        '2024-05-02T00:00:00.000Z',
        '2024-05-03T00:00:00.000Z',
      ),
      id,
    );
    assert.notEqual(
      backfillChunkWorkflowId('another-backfill', 'driver_hourly_stats', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z'),
      id,
    );
  });
});

describe('schedules from definitions', () => {
  const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
  const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
  const view = (name: string, schedule?: Parameters<typeof defineFeatureView>[0]['schedule']) =>
    defineFeatureView({
      name,
      entities: ['driver'],
      source: 'stats',
      features: [{ name: 'x', type: 'double' }],
      ...defined({ schedule }),
    });

  test('one schedule per scheduled view: interval, lookback, policies and a deterministic id', () => {
    const registry = new Registry([
      entity,
      source,
      view('hourly', { every: { hours: 1 }, offset: { minutes: 5 } }),
      view('manual'),
      view('nightly', { cron: ['0 2 * * *'], initialWindow: { days: 1 }, overlap: 'skip' }),
    ]);
    const plans = schedulePlans(registry, { taskQueue: 'floe' });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      ['floe-materialize-hourly', 'floe-materialize-nightly'],
    );
    const [hourly, nightly] = plans;
    assert.deepEqual(hourly!.spec, { intervals: [{ every: '3600s', offset: '300s' }] });
    assert.deepEqual(hourly!.action.args, [{ featureView: 'hourly', lookbackSeconds: 3600 }]);
    assert.equal(hourly!.action.workflowId, 'floe-materialize-hourly');
    assert.deepEqual(hourly!.policies, { overlap: 'BUFFER_ALL', catchupWindow: '86400s', pauseOnFailure: false });
    assert.deepEqual(nightly!.spec, { cronExpressions: ['0 2 * * *'], timezone: 'UTC' });
    assert.deepEqual(nightly!.action.args, [{ featureView: 'nightly', lookbackSeconds: 86_400 }]);
    assert.equal(nightly!.policies?.overlap, 'SKIP');
  });

  test('a schedule needs exactly one of every and cron, and cron needs initialWindow', () => {
    assert.throws(() => view('both', { every: { hours: 1 }, cron: ['* * * * *'] }), /exactly one of every and cron/);
    assert.throws(() => view('neither', {}), /exactly one of every and cron/);
    assert.throws(() => view('cron', { cron: ['0 * * * *'] }), /initialWindow/);
    assert.throws(() => view('zero', { every: { hours: 0 } }), /every must be longer than zero/);
    assert.throws(() => view('all', { every: { hours: 1 }, overlap: 'allowAll' as 'skip' }), /overlap/);
  });
});

describe('watermark', () => {
  test('the greatest window end among the ancestors, stopping at a carried watermark', () => {
    const snapshot = (id: bigint, parent: bigint | null, summary: Record<string, string>) => ({
      snapshotId: id,
      parentSnapshotId: parent,
      sequenceNumber: Number(id),
      timestampMs: 0,
      manifestList: 'x',
      summary: { operation: 'append', ...summary },
      schemaId: 0,
    });
    const metadata = (snapshots: ReturnType<typeof snapshot>[], head: bigint) =>
      ({ snapshots, refs: { main: { snapshotId: head, type: 'branch' } }, currentSnapshotId: head }) as unknown as TableMetadata;
    const older = snapshot(1n, null, { 'floe.window-end': '2024-05-03T00:00:00.000Z' });
    const backfilled = snapshot(2n, 1n, { 'floe.window-end': '2024-05-01T00:00:00.000Z' });
    const compaction = snapshot(3n, 2n, {});
    assert.equal(watermarkOf(metadata([older, backfilled, compaction], 3n)), Date.parse('2024-05-03T00:00:00.000Z'));
    // With the older snapshot expired, the carried watermark still holds it.
    const carried = snapshot(4n, null, { 'floe.window-end': '2024-05-01T00:00:00.000Z', 'floe.watermark': '2024-05-03T00:00:00.000Z' });
    assert.equal(watermarkOf(metadata([carried], 4n)), Date.parse('2024-05-03T00:00:00.000Z'));
    assert.equal(watermarkOf({ snapshots: [], refs: {}, currentSnapshotId: null } as unknown as TableMetadata), null);
  });
});
