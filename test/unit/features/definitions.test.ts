// Definitions as a data scientist writes them: feature services, source filters, online
// partitioning, and errors that name the object and the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { Registry } from '../../../features/registry.js';
import { FloeError } from '../../../core/errors.js';
import { and, eq, gtEq, isIn } from '../../../iceberg/expressions/expression.js';

const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
const view = defineFeatureView({
  name: 'hourly',
  entities: ['driver'],
  source: 'stats',
  features: [
    { name: 'a', type: 'double' },
    { name: 'b', type: 'long' },
    { name: 'c', type: 'string' },
  ],
});

describe('definitions', () => {
  it('feature services take views, "view", "view:feature" and objects, merging references to one view', () => {
    const service = defineFeatureService({
      name: 'model',
      features: ['hourly:a', { featureView: 'hourly', features: ['c', 'a'] }],
      tags: { team: 'ranking' },
    });
    assert.deepEqual(service.features, [{ featureView: 'hourly', features: ['a', 'c'] }]);
    assert.deepEqual(defineFeatureService({ name: 'all', features: [view, 'hourly:b'] }).features, [{ featureView: 'hourly' }]);
    const registry = new Registry([driver, source, view, service]);
    assert.deepEqual(
      registry.featureServiceProjections('model').map((projection) => [projection.view.name, projection.features]),
      [['hourly', ['a', 'c']]],
    );
    assert.deepEqual(
      registry.resolveFeatureReferences(['hourly:b', 'hourly:a', 'hourly:b']).map((projection) => projection.features),
      [['b', 'a']],
    );
    assert.deepEqual(
      registry.resolveFeatureReferences(['hourly']).map((projection) => projection.features),
      [['a', 'b', 'c']],
    );
  });

  it('a feature service naming a missing view or feature fails when the registry is built, naming the service and the field', () => {
    const broken = defineFeatureService({ name: 'broken', features: ['hourly:a', 'hourly:zzz'] });
    assert.throws(
      () => new Registry([driver, source, view, broken]),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') &&
        /Feature service broken refers to feature "hourly:zzz", which does not exist; hourly has: a, b, c/.test(error.message) &&
        error.context.object === 'broken' &&
        error.context.field === 'features.0',
    );
    assert.throws(() => defineFeatureService({ name: 'bad', features: ['not a reference'] }), /Invalid feature service bad: features\.0/);
  });

  it('source filters are iceberg/expressions filters in JSON-friendly form: Dates and safe bigints become text and numbers', () => {
    const filtered = defineIcebergSource({
      name: 'nl',
      table: 'rides.stats',
      timestampField: 'ts',
      filter: and(eq('country', 'NL'), gtEq('ts', new Date('2024-01-01T00:00:00Z')), isIn('tier', [1n, 2n])),
    });
    assert.deepEqual(filtered.filter, {
      op: 'and',
      args: [
        { op: 'eq', column: 'country', value: 'NL' },
        { op: 'gtEq', column: 'ts', value: '2024-01-01T00:00:00.000Z' },
        { op: 'in', column: 'tier', values: [1, 2] },
      ],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(filtered.filter)), filtered.filter);
    assert.throws(
      () =>
        defineIcebergSource({
          name: 'bad',
          table: 'rides.stats',
          timestampField: 'ts',
          filter: { op: 'like', column: 'x', value: 'a' } as never,
        }),
      /Invalid source bad: filter/,
    );
  });

  it('online tables are bucketed by default, or hourly, or both, but not neither', () => {
    assert.deepEqual(view.online, { enabled: true, bucketed: true, buckets: 256, hourly: false });
    const hourOnly = defineFeatureView({
      name: 'h',
      entities: ['driver'],
      source: 'stats',
      features: [{ name: 'a', type: 'double' }],
      online: { bucketed: false, hourly: true },
    });
    assert.equal(hourOnly.online.bucketed, false);
    assert.throws(
      () =>
        defineFeatureView({
          name: 'none',
          entities: ['driver'],
          source: 'stats',
          features: [{ name: 'a', type: 'double' }],
          online: { bucketed: false },
        }),
      /Invalid feature view none: online\.bucketed: an online table is partitioned by bucket, by hour or both/,
    );
  });

  it('a feature named like a join key is refused, naming the view and the feature', () => {
    const clash = defineFeatureView({
      name: 'clash',
      entities: ['driver'],
      source: 'stats',
      features: [{ name: 'driver_id', type: 'long' }],
    });
    assert.throws(
      () => new Registry([driver, source, clash]),
      (error: unknown) => FloeError.is(error) && error.context.object === 'clash' && error.context.field === 'features.driver_id',
    );
  });
});
