// The consistency check's pure parts: typed, bit-exact value comparison (floating sums and
// averages of aggregated views within a relative tolerance), the schedule a view's
// `consistency` section plans (beside unchanged materialize and compaction plans), and the seed a
// scheduled run derives from its workflow id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { consistencySchedulePlan, schedulePlans } from '../../../../client/schedule-plan.js';
import { seedFromWorkflowId } from '../../../../contracts/consistency.js';
import { projectConfigSchema } from '../../../../features/config.js';
import { expandAggregations } from '../../../../features/aggregations.js';
import { comparisonOf, FLOATING_SUM_RELATIVE_TOLERANCE, sameFeatureValue } from '../../../../features/consistency/index.js';
import type { FeatureViewInput } from '../../../../features/definitions.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { Registry } from '../../../../features/registry.js';

describe('sameFeatureValue', () => {
  test('equal values of each presented type are the same', () => {
    for (const [online, offline] of [
      [null, null],
      [1.5, 1.5],
      [0.1 + 0.2, 0.1 + 0.2],
      [Number.NaN, Number.NaN],
      [12n, 12n],
      [12n, 12],
      ['2024-05-03T11:59:59.999999Z', '2024-05-03T11:59:59.999999Z'],
      [true, true],
      ['abc', 'abc'],
    ] as const)
      assert.equal(sameFeatureValue(online, offline), true, `${String(online)} vs ${String(offline)}`);
  });

  test('values differing in any bit, type or presence differ', () => {
    for (const [online, offline] of [
      [null, 0],
      [0, null],
      [0.30000000000000004, 0.3],
      [0, -0],
      [12n, 13n],
      [12n, 12.5],
      [12n, '12'],
      [1n, true],
      ['2024-05-03T11:59:59.999999Z', '2024-05-03T11:59:59.999998Z'],
      [true, false],
      ['abc', 'abd'],
    ] as const)
      assert.equal(sameFeatureValue(online, offline), false, `${String(online)} vs ${String(offline)}`);
  });
});

describe('floating sums and averages', () => {
  test('only sum of a float or double column and avg are compared within the tolerance', () => {
    const features = expandAggregations([
      { column: 'amount', type: 'double', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['1h'] },
      { column: 'trips', type: 'long', functions: ['sum', 'avg'], windows: ['1h'] },
      { column: 'score', type: 'float', functions: ['sum'], windows: ['1h'] },
    ]);
    assert.deepEqual(
      features.map((feature) => [feature.name, comparisonOf(feature)]),
      [
        ['amount_count_1h', 'exact'],
        ['amount_sum_1h', 'floating-sum'],
        ['amount_avg_1h', 'floating-sum'],
        ['amount_min_1h', 'exact'],
        ['amount_max_1h', 'exact'],
        ['amount_last_1h', 'exact'],
        ['trips_sum_1h', 'exact'],
        ['trips_avg_1h', 'floating-sum'],
        ['score_sum_1h', 'floating-sum'],
      ],
    );
    assert.equal(comparisonOf(undefined), 'exact', 'a plain feature');
  });

  test('values summed in another order are the same; any real difference is not', () => {
    const values = [0.1, 0.2, 0.3];
    const forward = values.reduce((total, value) => total + value, 0);
    const backward = [...values].reverse().reduce((total, value) => total + value, 0);
    assert.notEqual(forward, backward, 'the order changes the last bits');
    assert.equal(sameFeatureValue(forward, backward, 'floating-sum'), true);
    assert.equal(sameFeatureValue(forward, backward), false, 'bit-exact unless asked');
    for (const [online, offline] of [
      [10.158, 10.158000000000001],
      [0.4869, 0.48690000000000017],
      [0, -0],
      [Number.NaN, Number.NaN],
      [-1e300, -1e300 * (1 + FLOATING_SUM_RELATIVE_TOLERANCE / 2)],
    ] as const)
      assert.equal(sameFeatureValue(online, offline, 'floating-sum'), true, `${online} vs ${offline}`);
    for (const [online, offline] of [
      [1, 1 + 1e-9],
      [1000.25 + 9.178, 9.178],
      [1e-300, -1e-300],
      [0, 1e-300],
      [Number.POSITIVE_INFINITY, Number.MAX_VALUE],
      [Number.NaN, 1],
      [null, 0],
    ] as const)
      assert.equal(sameFeatureValue(online, offline, 'floating-sum'), false, `${String(online)} vs ${String(offline)}`);
  });
});

describe('consistency schedules', () => {
  const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
  const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
  const view = (name: string, sections: Pick<FeatureViewInput, 'consistency' | 'compaction' | 'schedule'> = {}) =>
    defineFeatureView({ name, entities: ['driver'], source: 'stats', features: [{ name: 'trips', type: 'long' }], ...sections });

  test('a view with a consistency section gets a floe-consistency schedule; the other plans stay as they were', () => {
    const sections = { schedule: { every: { hours: 1 } }, compaction: { every: { hours: 6 } } };
    const without = schedulePlans(new Registry([entity, source, view('hourly', sections), view('manual')]), { taskQueue: 'floe' });
    const registry = new Registry([
      entity,
      source,
      view('hourly', { ...sections, consistency: { every: { hours: 1 }, offset: { minutes: 30 }, sample: 500 } }),
      view('manual'),
    ]);
    const plans = schedulePlans(registry, { taskQueue: 'floe' });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      ['floe-materialize-hourly', 'floe-compact-hourly', 'floe-consistency-hourly'],
    );
    assert.deepEqual(plans.slice(0, 2), without, 'materialize and compaction plans are unchanged');
    const plan = plans[2]!;
    assert.equal(plan.action.workflowType, 'consistency');
    assert.equal(plan.action.workflowId, 'floe-consistency-hourly');
    assert.deepEqual(plan.action.args, [{ featureView: 'hourly', sample: 500 }]);
    assert.deepEqual(plan.spec, { intervals: [{ every: '3600s', offset: '1800s' }] });
    assert.equal(plan.policies?.overlap, 'SKIP');
    assert.equal(consistencySchedulePlan(registry.featureView('manual'), { taskQueue: 'floe' }), undefined);
  });

  test('a consistency schedule needs a positive interval and a positive sample, named in the error', () => {
    assert.throws(() => view('bad', { consistency: { every: {} } }), /every must be longer than zero/);
    assert.throws(() => view('bad', { consistency: { every: { hours: 1 }, sample: 0 } }), /consistency\.sample/);
  });

  test("each scheduled run's id gives its own seed, the same on every replay", () => {
    const first = seedFromWorkflowId('floe-consistency-hourly-2024-05-03T12:00:00Z');
    assert.equal(seedFromWorkflowId('floe-consistency-hourly-2024-05-03T12:00:00Z'), first);
    assert.notEqual(seedFromWorkflowId('floe-consistency-hourly-2024-05-03T13:00:00Z'), first);
    assert.ok(Number.isSafeInteger(first) && first >= 0);
  });
});

test('the report table defaults to floe_monitoring.consistency and can be configured', () => {
  const base = { project: 'p', catalog: { type: 'sql', uri: 'catalog.db', warehouse: 'warehouse' } };
  assert.equal(projectConfigSchema.parse(base).monitoring.consistencyTable, 'floe_monitoring.consistency');
  assert.equal(
    projectConfigSchema.parse({ ...base, monitoring: { consistencyTable: 'ops.consistency' } }).monitoring.consistencyTable,
    'ops.consistency',
  );
});
