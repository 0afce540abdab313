// Aggregated views as users declare them: the features they yield, their names and types, the
// tile grid, and declarations refused with the field named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregatedFeaturesOf, longestWindowSeconds, tileSeconds } from '../../../features/aggregations.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import { Registry } from '../../../features/registry.js';
import { FloeError } from '../../../core/errors.js';

const base = { name: 'trips', entities: ['driver'], source: 'trips' };

describe('aggregation definitions', () => {
  it('take allowedLateness only on a push-fed aggregated view, and no longer than its delay', () => {
    const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
    const source = defineIcebergSource({ name: 'trips', table: 'rides.trips', timestampField: 'ts' });
    const push = definePushSource({ name: 'trips_push', batchSource: 'trips' });
    const aggregations = [{ column: 'amount', functions: ['sum' as const], windows: ['1h'] }];
    const registry = (view: Parameters<typeof defineFeatureView>[0]) => new Registry([entity, source, push, defineFeatureView(view)]);
    const fed = { ...base, source: 'trips_push', aggregations };
    assert.doesNotThrow(() => registry({ ...fed, allowedLateness: { minutes: 5 }, delay: { minutes: 5 } }));
    assert.throws(
      () => registry({ ...fed, allowedLateness: { minutes: 10 }, delay: { minutes: 5 } }),
      /Feature view trips: allowedLateness \(600 s\) is longer than delay \(300 s\)/,
    );
    assert.throws(
      () => registry({ ...base, aggregations, allowedLateness: { minutes: 5 }, delay: { minutes: 5 } }),
      /Feature view trips: allowedLateness is for a view with aggregations whose source is a push source; trips reads the Iceberg source trips/,
    );
    assert.throws(
      () => registry({ ...base, source: 'trips_push', features: [{ name: 'amount', type: 'double' }], allowedLateness: { minutes: 1 } }),
      /allowedLateness is for a view with aggregations whose source is a push source; trips has no aggregations/,
    );
  });

  it('name features <column>_<function>_<window> in declaration order, typed by function', () => {
    const view = defineFeatureView({
      ...base,
      aggregations: [
        { column: 'amount', functions: ['count', 'sum', 'avg'], windows: ['1h', '1d'] },
        { column: 'rating', type: 'long', functions: ['last', 'sum'], windows: ['30d'] },
        { column: 'tip', functions: ['max'], windows: ['7d'], name: 'biggest_tip' },
      ],
    });
    assert.deepEqual(
      view.features.map((feature) => `${feature.name}:${feature.type}`),
      [
        'amount_count_1h:long',
        'amount_count_1d:long',
        'amount_sum_1h:double',
        'amount_sum_1d:double',
        'amount_avg_1h:double',
        'amount_avg_1d:double',
        'rating_last_30d:long',
        'rating_sum_30d:long',
        'biggest_tip:double',
      ],
    );
    assert.equal(aggregatedFeaturesOf(view)[8]!.windowSeconds, 7 * 86_400);
    assert.equal(longestWindowSeconds(view), 30 * 86_400);
    assert.equal(tileSeconds(view), 3_600);
  });

  it('refuse features beside aggregations, a name over several windows, sum of a string and a bad window', () => {
    const cases: [object, string][] = [
      [
        { ...base, features: [{ name: 'a', type: 'double' }], aggregations: [{ column: 'a', functions: ['sum'], windows: ['1h'] }] },
        'aggregations',
      ],
      [{ ...base, aggregations: [{ column: 'a', functions: ['sum'], windows: ['1h', '2h'], name: 'x' }] }, 'aggregations.0.name'],
      [{ ...base, aggregations: [{ column: 'a', type: 'string', functions: ['avg'], windows: ['1h'] }] }, 'aggregations.0.functions'],
      [{ ...base, aggregations: [{ column: 'a', functions: ['sum'], windows: ['1 hour'] }] }, 'aggregations.0.windows.0'],
      [{ ...base, aggregations: [{ column: 'a', functions: ['sum'], windows: ['1h', '1h'] }] }, 'features.a_sum_1h'],
      [base, 'features'],
    ];
    for (const [input, field] of cases) {
      assert.throws(
        () => defineFeatureView(input as Parameters<typeof defineFeatureView>[0]),
        (error: unknown) => error instanceof FloeError && error.kind === 'invalid-input' && error.context['field'] === field,
        `expected a refusal naming ${field}`,
      );
    }
  });
});
