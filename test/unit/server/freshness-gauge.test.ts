// The feature server's freshness gauges: now − watermark and the last commit time per view, both
// from one read of the views' metadata per scrape; a view without a watermark has no freshness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerMetrics } from '../../../server/metrics.js';

test('each scrape reads the views once and answers freshness and last commit per view', async () => {
  let reads = 0;
  const now = Date.parse('2024-05-02T00:00:00Z');
  const metrics = new ServerMetrics({
    freshness: {
      read: async () => {
        reads++;
        return [
          { featureView: 'drivers', watermarkMs: now - 90_000, lastCommitMs: now - 30_500 },
          { featureView: 'pushed_only', watermarkMs: null, lastCommitMs: now - 1_000 },
          { featureView: 'never_written', watermarkMs: null, lastCommitMs: null },
        ];
      },
      clock: () => now,
    },
  });
  const lines = (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('floe_feature_'));
  assert.deepEqual(lines, [
    'floe_feature_freshness_seconds{feature_view="drivers"} 90',
    `floe_feature_last_commit_timestamp_seconds{feature_view="drivers"} ${(now - 30_500) / 1000}`,
    `floe_feature_last_commit_timestamp_seconds{feature_view="pushed_only"} ${(now - 1_000) / 1000}`,
  ]);
  assert.equal(reads, 1);
  await metrics.registry.metrics();
  assert.equal(reads, 2, 'every scrape reads again');
});
