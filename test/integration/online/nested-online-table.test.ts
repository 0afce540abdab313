// services: rest-catalog, python
/**
 * Nested and JSON features' online table as another engine sees it (issue #54 item 6), on the SQL
 * and the REST catalog: Floe materializes a view of list, map and json features; `floe apply`'s
 * evolution adds a struct and a json feature (fresh ids for every field inside, above the table's
 * last column id); a second window fills them. pyiceberg, reading the Parquet files by field id,
 * returns the values Floe wrote, a long past 2^53 inside a map exact, and null for the columns of
 * rows written before they were added; Floe's online read returns the same latest values.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import type { FeatureContext } from '../../../features/context.js';
import { onlineTableChange, planOnlineTable } from '../../../features/registry-store/online-evolution.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import type { IcebergType } from '../../../iceberg/spec/types.js';
import { at } from '../../support/features/historical-builders.js';
import { BIG, createNestedSource, NESTED_EXPECTED, NESTED_FEATURES, nestedDefinitions } from '../../support/features/nested-source.js';
import type { OpsContext } from '../../support/iceberg/ops-context.js';
import { commit, load, pyRows, restContext, sqlContext } from '../../support/iceberg/ops-context.js';

const NOW_MS = Number(at(100) / 1000n);
const FIRST = { start: new Date(Number(at(-10) / 1000n)), end: new Date(Number(at(0) / 1000n) + 500) };
const SECOND = { start: FIRST.end, end: new Date(NOW_MS) };

function nestedIds(type: IcebergType): number[] {
  if (typeof type === 'string') return [];
  if (type.type === 'list') return [type.elementId, ...nestedIds(type.element)];
  if (type.type === 'map') return [type.keyId, type.valueId, ...nestedIds(type.key), ...nestedIds(type.value)];
  return type.fields.flatMap((field) => [field.id, ...nestedIds(field.type)]);
}

for (const [label, open] of [
  ['SQL catalog', sqlContext],
  ['REST catalog', restContext],
] as const) {
  describe(`nested features' online table on the ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('nested-online');
    });
    after(async () => {
      await context.close();
    });

    it('pyiceberg reads what Floe materialized, before and after apply added nested columns', async () => {
      const source = `${context.namespace}.drivers`;
      const onlineTable = `${context.namespace}.profiles_online`;
      const workDirectory = join(context.dir, 'work');
      await createNestedSource({ catalog: context.catalog, engine: context.engine, identifier: source, workDirectory });
      const featureContext = (registry: Registry): FeatureContext => ({
        registry,
        catalog: context.catalog,
        engine: context.engine,
        workDirectory,
      });

      // First the list, map and json features only.
      const first = new Registry(
        nestedDefinitions(source, { onlineTable, features: NESTED_FEATURES.filter((feature) => feature.name !== 'profile') }),
      );
      const created = await ensureOnlineTable(context.catalog, onlineTableLayout(first, first.featureView('profiles')));
      await materializeWindow(featureContext(first), 'profiles', FIRST, 'nested-first');

      // Then apply adds the struct feature.
      const full = new Registry(nestedDefinitions(source, { onlineTable }));
      const layout = onlineTableLayout(full, full.featureView('profiles'));
      const { plan, problems } = await planOnlineTable(context.catalog, layout);
      assert.deepEqual(problems, []);
      assert.equal(plan.action, 'evolve');
      assert.deepEqual(plan.action === 'evolve' ? plan.add.map((column) => column.name) : [], ['profile']);
      await commit(context, layout.identifier, onlineTableChange(layout));
      const evolved = await load(context, layout.identifier);
      const schema = currentSchema(evolved.metadata);
      const ids = schema.fields.flatMap((field) => [field.id, ...nestedIds(field.type)]);
      assert.equal(new Set(ids).size, ids.length, `every field id is its own: ${ids.join(', ')}`);
      const profile = schema.fields.find((field) => field.name === 'profile')!;
      assert.ok(
        [profile.id, ...nestedIds(profile.type)].every((id) => id > created.metadata.lastColumnId),
        'the new column and its fields take ids above the table’s last one',
      );
      assert.equal(evolved.metadata.lastColumnId, Math.max(...ids));
      await materializeWindow(featureContext(full), 'profiles', SECOND, 'nested-second');

      const rows = await pyRows(context, layout.identifier, 'event_ts');
      const pick = (row: Record<string, unknown>) => ({
        driver_id: row['driver_id'],
        embedding: row['embedding'],
        scores: row['scores'],
        meta: row['meta'],
        profile: row['profile'],
        config: row['config'],
      });
      const byDriver = (driver: string) => rows.filter((row) => row['driver_id'] === driver).map(pick);
      assert.deepEqual(byDriver('1'), [
        { driver_id: '1', embedding: [9, 9], scores: [1], meta: [{ key: 'a', value: '0' }], profile: null, config: '{}' },
        {
          driver_id: '1',
          embedding: [0.5, -1.25, 3],
          scores: [Math.fround(0.1)],
          meta: [
            { key: 'a', value: '1' },
            { key: 'big', value: BIG.toString() },
          ],
          profile: { name: 'Ann', age: 42 },
          config: '{"tier":"gold","limits":[1,2]}',
        },
      ]);
      assert.deepEqual(byDriver('2'), [{ driver_id: '2', embedding: [1.5, null], scores: [], meta: [], profile: null, config: null }]);

      const store = new OnlineStore({ registry: full, catalog: context.catalog, engine: context.engine, clock: () => NOW_MS });
      const online = await store.getOnlineFeatures({
        features: ['profiles'],
        entityRows: [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }],
      });
      assert.deepEqual(Object.fromEntries(online.features.map((feature) => [feature.feature, feature.values])), {
        ...NESTED_EXPECTED,
        // Driver 2's row was materialized before the struct column existed.
        profile: [NESTED_EXPECTED['profile']![0], null, null],
      });
    });
  });
}
