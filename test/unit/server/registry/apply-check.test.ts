import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { defineOnDemandView, defineRequestSource } from '../../../../features/on-demand.js';
import { definePushSource } from '../../../../features/push-source.js';
import { Registry } from '../../../../features/registry.js';
import { ApplyCheck } from '../../../../server/registry/apply-check.js';
import { FeastObjects } from '../../../../server/registry/feast-objects.js';
import type { ProtoObject } from '../../../../server/registry/feast-objects.js';

const registry = new Registry([
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({
    name: 'driver_stats',
    table: 'rides.driver_stats',
    timestampField: 'event_timestamp',
    createdTimestampField: 'created',
  }),
  definePushSource({ name: 'driver_push', batchSource: 'driver_stats' }),
  defineFeatureView({
    name: 'stats',
    entities: ['driver'],
    source: 'driver_stats',
    ttl: { hours: 6 },
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
  }),
  defineRequestSource({ name: 'ride', fields: [{ name: 'distance_km', type: 'double' }] }),
  defineOnDemandView({
    name: 'ride_features',
    sources: ['stats:conv_rate', 'ride'],
    features: [{ name: 'expected', type: 'double' }],
    compute: () => ({ expected: null }),
  }),
  defineFeatureService({ name: 'model', features: ['stats:conv_rate', 'ride_features'] }),
]);
const sqlite = { type: 'sql' as const, name: 'floe', uri: '/data/catalog.db', warehouse: '/data/warehouse' };
const objects = new FeastObjects(registry, { project: 'p', catalog: sqlite, sourceForm: 'iceberg', loadedAt: new Date(0) });
const check = new ApplyCheck(registry, objects);

/** A copy of a proto object with `path` set to `value`. */
function changed(object: ProtoObject, path: readonly string[], value: unknown): ProtoObject {
  const copy = structuredClone(object);
  let at = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

describe("Floe's definitions as Feast's protos", () => {
  test('an Iceberg source on a SQLite catalog is an IcebergSource naming the table; --registry-file-sources makes it a FileSource', () => {
    const source = objects.dataSource('driver_stats')!;
    assert.equal(source.type, 'BATCH_ICEBERG');
    const configuration = JSON.parse((source.customOptions as { configuration: Buffer }).configuration.toString('utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { ...configuration, endpoint: undefined, warehouse: undefined },
      {
        ...configuration,
        catalog_type: 'sql',
        catalog_name: 'floe',
        namespace: 'rides',
        table: 'driver_stats',
        endpoint: undefined,
        warehouse: undefined,
      },
    );
    assert.equal(configuration.endpoint, 'sqlite:////data/catalog.db');
    const file = new FeastObjects(registry, { project: 'p', catalog: sqlite, sourceForm: 'file', loadedAt: new Date(0) });
    assert.deepEqual(file.dataSource('driver_stats')!.fileOptions, { uri: 'iceberg://rides/driver_stats' });
  });

  test('a view has its entity columns, typed features, TTL and source; a push source sits over its batch source', () => {
    const { spec } = objects.featureView(registry.featureView('stats')) as { spec: ProtoObject };
    assert.deepEqual(spec.entityColumns, [{ name: 'driver_id', valueType: 'INT64' }]);
    assert.deepEqual(
      (spec.features as ProtoObject[]).map((feature) => [feature.name, feature.valueType]),
      [
        ['conv_rate', 'DOUBLE'],
        ['trips', 'INT64'],
      ],
    );
    assert.deepEqual(spec.ttl, { seconds: 21_600, nanos: 0 });
    assert.equal((objects.dataSource('driver_push')!.batchSource as ProtoObject).name, 'driver_stats');
  });
});

describe('feast apply against what Floe holds', () => {
  const view = objects.featureView(registry.featureView('stats'));

  test("Floe's own objects are the same: nothing to refuse", () => {
    assert.equal(check.entity(objects.entity(registry.entities.get('driver')!)), undefined);
    for (const name of ['driver_stats', 'driver_push', 'ride']) assert.equal(check.dataSource(objects.dataSource(name)!), undefined, name);
    assert.equal(check.featureView(view), undefined);
    assert.equal(check.onDemandView(objects.onDemandView(registry.onDemandViews.get('ride_features')!)), undefined);
    assert.equal(check.featureService(objects.featureService(registry.featureService('model'))), undefined);
    assert.equal(check.entity({ spec: { name: '__dummy' } }), undefined, "Feast's own placeholder entity");
  });

  test('a change names the object and each difference', () => {
    assert.equal(
      check.featureView(changed(view, ['spec', 'ttl'], { seconds: 3600 })),
      'feast apply would change feature view stats: ttl 3600s where Floe has 21600s',
    );
    assert.equal(
      check.featureView(changed(view, ['spec', 'features'], [{ name: 'conv_rate', valueType: 'FLOAT' }])),
      'feast apply would change feature view stats: features conv_rate FLOAT where Floe has conv_rate DOUBLE, trips INT64',
    );
    assert.equal(
      check.entity({ spec: { name: 'driver', joinKey: 'id', valueType: 'INT64' } }),
      'feast apply would change entity driver: join key id where Floe has driver_id',
    );
    const iceberg = objects.dataSource('driver_stats')!;
    const elsewhere = { ...iceberg, customOptions: { configuration: Buffer.from(JSON.stringify({ namespace: 'rides', table: 'other' })) } };
    assert.equal(
      check.dataSource(elsewhere),
      'feast apply would change data source driver_stats: table rides.other where Floe has rides.driver_stats',
    );
  });

  test('adding or deleting what Floe defines is refused; deleting what it does not hold changes nothing', () => {
    assert.equal(
      check.featureView(changed(view, ['spec', 'name'], 'new_view')),
      "feast apply would add feature view new_view, which Floe's features.ts does not define",
    );
    assert.equal(
      check.deletion('feature service', 'model'),
      "feast apply would delete feature service model, which Floe's features.ts defines",
    );
    assert.equal(check.deletion('feature view', 'gone'), undefined);
  });
});
