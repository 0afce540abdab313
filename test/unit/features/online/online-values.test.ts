import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { entityKeys, keyLookup } from '../../../../features/online/entity-keys.js';
import { resolveFeatureRefs, resolveSelection } from '../../../../features/selection.js';
import { isoMicros, presentValue, responseRows } from '../../../../features/online/response.js';
import { Registry } from '../../../../features/registry.js';
import { FloeError } from '../../../../core/errors.js';

const registry = new Registry([
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' }),
  defineFeatureView({
    name: 'driver_hourly_stats',
    entities: ['driver'],
    source: 'stats',
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'acc_rate', type: 'double' },
    ],
  }),
  defineFeatureService({ name: 'model_v1', features: ['driver_hourly_stats:acc_rate'] }),
]);

describe('feature references', () => {
  test('view:feature and view resolve per view, in order, without repeats', () => {
    const projections = resolveFeatureRefs(registry, [
      'driver_hourly_stats:acc_rate',
      'driver_hourly_stats:acc_rate',
      'driver_hourly_stats:conv_rate',
    ]);
    assert.deepEqual(
      projections.map((projection) => [projection.view.name, projection.features]),
      [['driver_hourly_stats', ['acc_rate', 'conv_rate']]],
    );
    assert.deepEqual(resolveFeatureRefs(registry, ['driver_hourly_stats'])[0]!.features, ['conv_rate', 'acc_rate']);
  });

  test('unknown views and features are not-found errors that list what exists', () => {
    assert.throws(
      () => resolveFeatureRefs(registry, ['nope:conv_rate']),
      (error: unknown) =>
        FloeError.is(error, 'not-found') && /No feature view named "nope"; defined: driver_hourly_stats/.test(error.message),
    );
    assert.throws(
      () => resolveFeatureRefs(registry, ['driver_hourly_stats:speed']),
      (error: unknown) => FloeError.is(error, 'not-found') && /has no feature "speed"; it has: conv_rate, acc_rate/.test(error.message),
    );
    assert.throws(
      () => resolveFeatureRefs(registry, ['a:b:c']),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
    assert.throws(
      () => resolveFeatureRefs(registry, []),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
  });

  test('a feature service resolves to its projections; an unknown one is not-found and lists the defined ones', () => {
    assert.deepEqual(
      resolveSelection(registry, { featureService: 'model_v1' }).map((projection) => [projection.view.name, projection.features]),
      [['driver_hourly_stats', ['acc_rate']]],
    );
    assert.throws(
      () => resolveSelection(registry, { featureService: 'model_v2' }),
      (error: unknown) => FloeError.is(error, 'not-found') && /No feature service named "model_v2"; defined: model_v1/.test(error.message),
    );
  });
});

describe('entity keys', () => {
  const columns = [{ name: 'driver_id', type: 'long' as const }];

  test('numbers, numeric strings and bigints name the same long key', () => {
    const keys = entityKeys(
      [{ driver_id: 1001 }, { driver_id: '1001' }, { driver_id: 1001n }, { driver_id: '9223372036854775807' }],
      columns,
      'v',
    );
    assert.deepEqual(keys.values, [[1001n], [1001n], [1001n], [9223372036854775807n]]);
    assert.equal(keys.distinct.size, 2);
    assert.equal(keys.lookups[0], keyLookup([1001n]));
  });

  test('a missing or mistyped key names the row, the column and the view', () => {
    assert.throws(
      () => entityKeys([{ driver_id: 1 }, { rider: 2 }], columns, 'driver_hourly_stats'),
      /Entity row 1: join key driver_id of feature view driver_hourly_stats must be present/,
    );
    assert.throws(() => entityKeys([{ driver_id: 1.5 }], columns, 'v'), /must be an integer/);
    assert.throws(() => entityKeys([{ driver_id: '12a' }], columns, 'v'), /must be an integer/);
    assert.throws(() => entityKeys([{ driver_id: '99999999999999999999' }], columns, 'v'), /64-bit/);
  });

  test('composite keys differ when any part differs', () => {
    assert.notEqual(keyLookup([1n, 'a']), keyLookup([1n, 'b']));
    assert.notEqual(keyLookup(['a\u0001b']), keyLookup(['a', 'b']));
  });
});

describe('values', () => {
  test('timestamps print in UTC as Feast does (0, 3 or 6 fraction digits), before and after the epoch', () => {
    assert.equal(isoMicros(1_714_608_000_123_456n), '2024-05-02T00:00:00.123456Z');
    assert.equal(isoMicros(0n), '1970-01-01T00:00:00Z');
    assert.equal(isoMicros(-1n), '1969-12-31T23:59:59.999999Z');
  });

  test('timestamps print the same in number arithmetic as in bigint arithmetic, near and beyond 2^53 µs', () => {
    const reference = (micros: bigint): string => {
      const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
      const full = `${new Date(Number(millis)).toISOString().slice(0, -1)}${String(Number(micros - millis * 1000n)).padStart(3, '0')}Z`;
      return full.replace(/\.000000Z$/, 'Z').replace(/(\.\d{3})000Z$/, '$1Z');
    };
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
          fc.bigInt({ min: -2000n, max: 2000n }),
          fc.bigInt({ min: limit - 2000n, max: limit + 2000n }),
          fc.bigInt({ min: -limit - 2000n, max: -limit + 2000n }),
        ),
        (micros) => assert.equal(isoMicros(micros), reference(micros)),
      ),
      { numRuns: 2000 },
    );
  });

  test('dates, binary and longs keep their meaning', () => {
    assert.equal(presentValue('date', 19_845), '2024-05-02');
    assert.equal(presentValue('binary', new Uint8Array([1, 2, 3])), 'AQID');
    assert.equal(presentValue('long', 2n ** 62n), 2n ** 62n);
    assert.equal(presentValue('double', null), null);
  });

  test('responseRows turns vectors into one object per entity row', () => {
    const rows = responseRows({
      entities: [{ name: 'driver_id', values: [1n, 2n] }],
      features: [
        {
          ref: 'v:f',
          featureView: 'v',
          feature: 'f',
          type: 'double',
          values: [0.5, null],
          statuses: ['PRESENT', 'NOT_FOUND'],
          eventTimestamps: ['x', null],
        },
      ],
      reads: [],
    });
    assert.deepEqual(rows, [
      { driver_id: 1n, 'v:f': 0.5 },
      { driver_id: 2n, 'v:f': null },
    ]);
  });
});
