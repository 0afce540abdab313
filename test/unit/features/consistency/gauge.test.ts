// The feature server's floe_online_offline_mismatch_rate gauge: the latest report rows by view and
// feature, read at most once per refresh interval, the last good values kept when a read fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LatestMismatchRate } from '../../../../features/consistency/index.js';
import { ServerMetrics } from '../../../../server/metrics.js';

test('the gauge shows the latest rows, rereads only after the refresh interval, and keeps values over a failed read', async () => {
  let now = 0;
  let reads = 0;
  let answer: () => Promise<LatestMismatchRate[]> = async () => [
    { featureView: 'drivers', feature: 'conv_rate', mismatchRate: 0.025, checkedAt: '2024-05-03T12:00:00.000Z' },
    { featureView: 'drivers', feature: 'trips', mismatchRate: 0, checkedAt: '2024-05-03T12:00:00.000Z' },
  ];
  const metrics = new ServerMetrics({
    consistency: {
      table: 'ops.consistency',
      read: (table) => {
        assert.equal(table, 'ops.consistency');
        reads++;
        return answer();
      },
      refreshMs: 1000,
      clock: () => now,
    },
  });
  const gauge = async (): Promise<string[]> =>
    (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('floe_online_offline_mismatch_rate{'));

  assert.deepEqual(await gauge(), [
    'floe_online_offline_mismatch_rate{view="drivers",feature="conv_rate"} 0.025',
    'floe_online_offline_mismatch_rate{view="drivers",feature="trips"} 0',
  ]);
  answer = async () => [{ featureView: 'drivers', feature: 'conv_rate', mismatchRate: 0, checkedAt: '2024-05-03T13:00:00.000Z' }];
  now = 999;
  assert.equal((await gauge()).length, 2, 'within the interval the last read serves');
  assert.equal(reads, 1);
  now = 1000;
  assert.deepEqual(await gauge(), ['floe_online_offline_mismatch_rate{view="drivers",feature="conv_rate"} 0']);
  answer = () => Promise.reject(new Error('catalog down'));
  now = 5000;
  assert.deepEqual(await gauge(), ['floe_online_offline_mismatch_rate{view="drivers",feature="conv_rate"} 0']);
  assert.equal(reads, 3);
});

test('without a report table there is no gauge', async () => {
  assert.doesNotMatch(await new ServerMetrics().registry.metrics(), /floe_online_offline_mismatch_rate/);
});
