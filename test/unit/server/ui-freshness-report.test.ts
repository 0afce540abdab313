// The web UI's freshness rule: a scheduled view is stale past two intervals plus its delay, or
// when never materialized; a cron schedule's interval is its initialWindow; views without a
// schedule, without an online table, or whose table cannot be read are told apart, never stale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoMillis } from '../../../contracts/instants.js';
import { defineFeatureView } from '../../../features/definitions.js';
import type { FeatureViewInput } from '../../../features/definitions.js';
import { freshnessReport } from '../../../server/ui/freshness-report.js';

const NOW = Date.parse('2024-05-02T12:00:00Z');
const SECOND = 1_000;

function view(name: string, extra: Partial<FeatureViewInput> = {}) {
  return defineFeatureView({ name, entities: ['driver'], source: 'driver_source', features: [{ name: 'trips', type: 'long' }], ...extra });
}

test('stale exactly past two intervals plus the delay, measured at the instant given', () => {
  const hourly = view('hourly', { schedule: { every: { hours: 1 } }, delay: { minutes: 5 } });
  const bound = 2 * 3_600 + 300;
  const at = (ageSeconds: number) =>
    freshnessReport([hourly], [{ featureView: 'hourly', watermarkMs: NOW - ageSeconds * SECOND, lastCommitMs: NOW - 60 * SECOND }], NOW)
      .views[0]!;
  assert.deepEqual(at(bound), {
    featureView: 'hourly',
    status: 'fresh',
    schedule: 'every 1h',
    cadenceSeconds: 3_600,
    delaySeconds: 300,
    staleAfterSeconds: bound,
    watermark: isoMillis(NOW - bound * SECOND),
    lastCommit: '2024-05-02T11:59:00Z',
    ageSeconds: bound,
  });
  assert.equal(at(bound + 1).status, 'stale');
  // A watermark ahead of the clock given (a clock behind the writer's) reads as age 0, not negative.
  assert.equal(at(-30).ageSeconds, 0);
});

test("a cron schedule's interval is its initialWindow", () => {
  const daily = view('daily', { schedule: { cron: ['0 2 * * *'], initialWindow: { days: 1 } } });
  const report = freshnessReport([daily], [{ featureView: 'daily', watermarkMs: NOW - 3 * 86_400 * SECOND, lastCommitMs: null }], NOW);
  assert.deepEqual(
    { ...report.views[0], watermark: undefined },
    {
      featureView: 'daily',
      status: 'stale',
      schedule: 'cron 0 2 * * *',
      cadenceSeconds: 86_400,
      delaySeconds: 0,
      staleAfterSeconds: 2 * 86_400,
      watermark: undefined,
      lastCommit: null,
      ageSeconds: 3 * 86_400,
    },
  );
});

test('stale views come first; never materialized is stale only with a schedule; no online table and an unreadable one are said as such', () => {
  const report = freshnessReport(
    [
      view('a_unscheduled'),
      view('b_offline', { online: { enabled: false } }),
      view('c_unreadable', { schedule: { every: { hours: 1 } } }),
      view('d_fresh', { schedule: { every: { hours: 1 } } }),
      view('e_never', { schedule: { every: { hours: 1 } } }),
    ],
    [
      { featureView: 'a_unscheduled', watermarkMs: NOW - 86_400 * SECOND, lastCommitMs: NOW },
      { featureView: 'b_offline', watermarkMs: NOW, lastCommitMs: NOW },
      { featureView: 'd_fresh', watermarkMs: NOW - 60 * SECOND, lastCommitMs: NOW },
      { featureView: 'e_never', watermarkMs: null, lastCommitMs: null },
    ],
    NOW,
  );
  assert.equal(report.now, '2024-05-02T12:00:00Z');
  assert.deepEqual(
    report.views.map((row) => [row.featureView, row.status, row.ageSeconds]),
    [
      ['e_never', 'stale', null],
      ['a_unscheduled', 'unscheduled', 86_400],
      ['b_offline', 'offline', null],
      ['c_unreadable', 'unknown', null],
      ['d_fresh', 'fresh', 60],
    ],
  );
});
