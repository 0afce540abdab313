// services: none
// The web UI's feature values (issue #57) over a real SQLite catalog: per feature of a view, the
// rows its last materialized window wrote to the online table, computed with DuckDB (histogram,
// null rate, min/max/mean, distinct count), checked against the rows the test wrote by hand; the
// consistency checks over time from the report table, read anew when a check is added; and only
// views the caller may see.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appendConsistencyReport } from '../../../features/consistency/index.js';
import { featureContext } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import type { UiServer } from '../../support/ui/ui-project.js';
import { CONSISTENCY_TABLE, startUiServer, UI_TOKENS, WATERMARK } from '../../support/ui/ui-project.js';

let ui: UiServer;

before(async () => {
  ui = await startUiServer(scratchFolder('ui-values'));
});

after(async () => {
  await ui?.close();
});

async function get(route: string, token: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${ui.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A check of driver_hourly at `checkedAt` with these mismatch rates of conv_rate and trips, of 10 sampled keys. */
async function check(checkedAt: string, rates: readonly [number, number]): Promise<void> {
  await appendConsistencyReport(featureContext(ui.runtime), CONSISTENCY_TABLE, {
    featureView: 'driver_hourly',
    checkedAt,
    exactAsOf: new Date(WATERMARK).toISOString(),
    onlineSnapshotId: null,
    seed: 1,
    sampled: 10,
    population: 5,
    mismatches: Math.round((rates[0] + rates[1]) * 10),
    features: [
      { feature: 'conv_rate', mismatches: rates[0] * 10, mismatchRate: rates[0], examples: [] },
      { feature: 'trips', mismatches: rates[1] * 10, mismatchRate: rates[1], examples: [] },
    ],
  });
}

test("a view's feature values: the last window's distribution per feature, and its consistency checks over time", async () => {
  await check('2024-05-02T00:10:00.000Z', [0, 0.1]);
  const { status, json } = await get('/ui/api/feature-values/driver_hourly', UI_TOKENS.admin);
  assert.equal(status, 200);
  // driver_hourly's window [W − 24h, W) holds drivers 1001 (0.5, 7 trips) and 1002 (0.25, 3), and
  // the stream's 1003, 1004 and 1005 (0.1, 1 each).
  assert.deepEqual(json.window, { start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' });
  assert.equal(json.table, 'floe_online.driver_hourly');
  assert.equal(json.note, null);
  const [conv, trips] = json.features as Record<string, unknown>[];
  const bins = (filled: Record<number, number>): number[] => Array.from({ length: 20 }, (_, index) => filled[index] ?? 0);
  assert.deepEqual(
    { ...conv, histogram: (conv!.histogram as { counts: number[] }).counts, mean: Number((conv!.mean as number).toFixed(12)) },
    {
      feature: 'conv_rate',
      type: 'double',
      rows: 5,
      nulls: 0,
      nullRate: 0,
      distinct: 3,
      min: '0.1',
      max: '0.5',
      mean: 0.21,
      histogram: bins({ 0: 3, 7: 1, 19: 1 }),
    },
  );
  assert.deepEqual(
    { ...trips, histogram: (trips!.histogram as { counts: number[]; edges: number[] }).counts },
    {
      feature: 'trips',
      type: 'long',
      rows: 5,
      nulls: 0,
      nullRate: 0,
      distinct: 3,
      min: '1',
      max: '7',
      mean: 2.6,
      histogram: bins({ 0: 3, 6: 1, 19: 1 }),
    },
  );
  assert.deepEqual((trips!.histogram as { edges: number[] }).edges.length, 21);
  assert.deepEqual(json.consistency, [
    { feature: 'conv_rate', checkedAt: '2024-05-02T00:10:00Z', mismatchRate: 0, sampled: 10 },
    { feature: 'trips', checkedAt: '2024-05-02T00:10:00Z', mismatchRate: 0.1, sampled: 10 },
  ]);

  // A new check is a new report snapshot: the page shows it, without waiting for the online table to move.
  await check('2024-05-02T00:20:00.000Z', [0.2, 0]);
  const again = await get('/ui/api/feature-values/driver_hourly', UI_TOKENS.admin);
  assert.deepEqual(
    (again.json.consistency as { checkedAt: string; feature: string; mismatchRate: number }[]).map((point) => [
      point.checkedAt,
      point.feature,
      point.mismatchRate,
    ]),
    [
      ['2024-05-02T00:10:00Z', 'conv_rate', 0],
      ['2024-05-02T00:10:00Z', 'trips', 0.1],
      ['2024-05-02T00:20:00Z', 'conv_rate', 0.2],
      ['2024-05-02T00:20:00Z', 'trips', 0],
    ],
  );
  assert.deepEqual(again.json.features, json.features);
});

test('a view never materialized, an aggregated view, and a view the caller may not see', async () => {
  const never = await get('/ui/api/feature-values/driver_live', UI_TOKENS.liveReader);
  assert.equal(never.status, 200);
  assert.deepEqual([never.json.note, never.json.features, never.json.window], ['Never materialized', [], null]);
  const tiles = await get('/ui/api/feature-values/driver_trip_totals', UI_TOKENS.admin);
  assert.equal(tiles.json.note, 'An aggregated view’s online table holds tiles, not feature values');
  assert.equal((await get('/ui/api/feature-values/driver_hourly', UI_TOKENS.liveReader)).status, 404);
  assert.equal((await get('/ui/api/feature-values/no_such_view', UI_TOKENS.admin)).status, 404);
});
