// services: none
// Issue #54, item 1, as a user met it: a feature declared `long` over a double column and `string`
// over a long column passed `floe plan` and `floe apply` (exit 0); online then served 1 for 0.91
// and "123", training sets returned the source's values, and `floe consistency` crashed with "The
// number 0.787 cannot be converted to a BigInt". Now plan and apply refuse with exit 2 naming the
// view, the feature and both types, nothing is created, materialization refuses too, so
// consistency never meets a mismatch; the widenings (int → long, float → double) apply and serve.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { FeatureStore } from '../../../features/feature-store.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { FloeError } from '../../../core/errors.js';
import type { CommandResult } from '../../support/cli-project.js';
import { featuresModule, floeCommand, writeSqlCatalogProject } from '../../support/cli-project.js';
import { createTableWithRows } from '../../support/features/tables.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const directory = scratchFolder('declared-types');
const catalogConfig = { uri: path.join(directory, 'catalog.db'), warehouse: path.join(directory, 'warehouse') };
const VIEW = 'driver_hourly_stats';
const WINDOW = { start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-05-02T00:00:00Z') };

/** features.ts of the quickstart's view with these feature types; the source's columns are double, double, long, int, float. */
function features(types: { conv_rate: string; avg_daily_trips: string; rides?: string; score?: string }): string {
  const extra = [
    ...(types.rides === undefined ? [] : [`{ name: 'rides', type: '${types.rides}' }`]),
    ...(types.score === undefined ? [] : [`{ name: 'score', type: '${types.score}' }`]),
  ];
  return `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp' });
export const view = defineFeatureView({
  name: '${VIEW}',
  entities: ['driver'],
  source: 'driver_stats',
  features: [{ name: 'conv_rate', type: '${types.conv_rate}' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: '${types.avg_daily_trips}' }${extra.map((feature) => `, ${feature}`).join('')}],
  online: { buckets: 4 },
});
`;
}

/**
 * A project folder of its own for each definition (features.ts is imported once per path by a
 * process, so a changed file under the same path would not be read again), all on one catalog.
 */
async function project(name: string, types: Parameters<typeof features>[0]): Promise<string> {
  const folder = path.join(directory, name);
  await mkdir(folder);
  await writeSqlCatalogProject(folder, { project: 'declared-types', catalog: catalogConfig, features: features(types) });
  return folder;
}

const run = (folder: string, command: string, ...args: string[]): Promise<CommandResult> =>
  floeCommand([command, '--project', folder, ...args]);

function assertNoStackTrace(result: CommandResult): void {
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /, `a stack trace:\n${result.stderr}`);
}

const longOverDouble = new RegExp(
  `Feature view ${VIEW}: feature conv_rate is declared long, but source driver_stats \\(table rides\\.driver_stats\\) has it as double`,
);
const stringOverLong = new RegExp(
  `Feature view ${VIEW}: feature avg_daily_trips is declared string, but source driver_stats \\(table rides\\.driver_stats\\) has it as long`,
);

let catalog: Catalog;
let engine: Engine;

before(async () => {
  catalog = await loadCatalog({ type: 'sql', name: 'floe_oracle', create: true, ...catalogConfig });
  engine = await Engine.create({ threads: 1 });
  const micros = (iso: string) => ({ micros: BigInt(Date.parse(iso)) * 1000n });
  await createTableWithRows(
    { directory, catalog, engine, context: () => assert.fail('not used') },
    'rides.driver_stats',
    [
      { name: 'driver_id', type: 'long', required: true },
      { name: 'conv_rate', type: 'double' },
      { name: 'acc_rate', type: 'double' },
      { name: 'avg_daily_trips', type: 'long' },
      { name: 'rides', type: 'int' },
      { name: 'score', type: 'float' },
      { name: 'event_timestamp', type: 'timestamptz', required: true },
    ],
    [
      [
        [1001n, 0.91, 0.5, 123n, 7, 0.25, micros('2024-05-01T10:00:00Z')],
        [1002n, 0.286, 0.75, 62n, 3, 1.5, micros('2024-05-01T11:00:00Z')],
      ],
    ],
  );
});

after(async () => {
  engine.close();
  await catalog.close();
});

describe('floe plan and floe apply: a declared type that is not the source column type', () => {
  it('long over a double and string over a long: plan and apply exit 2 naming the view, the feature and both types, and create nothing', async () => {
    const folder = await project('refused', { conv_rate: 'long', avg_daily_trips: 'string' });
    const plan = await run(folder, 'plan');
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assertNoStackTrace(plan);
    assert.match(plan.stdout, longOverDouble);
    assert.match(plan.stdout, stringOverLong);
    assert.match(plan.stdout, /a declared type is the column's type or a widening of it: int → long, float → double/);

    const apply = await run(folder, 'apply');
    assert.equal(apply.code, 2, apply.stdout + apply.stderr);
    assertNoStackTrace(apply);
    assert.match(apply.stderr, longOverDouble);
    assert.match(apply.stderr, stringOverLong);
    assert.equal(await catalog.tableExists({ namespace: ['floe_online'], name: VIEW }), false, 'no online table was created');
    const store = await FeatureStore.open(folder);
    try {
      assert.equal((await store.plan()).fromVersion, 0, 'no registry version was written');
    } finally {
      await store.close();
    }
  });

  it('the reproduction: materialization refuses the definitions apply refused, so consistency never compares a converted value', async () => {
    const folder = await project('reproduction', { conv_rate: 'long', avg_daily_trips: 'string' });
    const store = await FeatureStore.open(folder);
    try {
      await store.engine.withConnection(async (connection) => registerIcebergFunctions(connection));
      await assert.rejects(
        materializeWindow(store.runtime, VIEW, WINDOW, 'declared-types-mismatch'),
        (error: unknown) => FloeError.is(error, 'invalid-input') && !error.retryable && longOverDouble.test(error.message),
      );
      await assert.rejects(
        store
          .getHistoricalFeatures({
            entities: { sql: "SELECT 1001::BIGINT AS driver_id, TIMESTAMPTZ '2024-05-01 12:00:00+00' AS event_timestamp" },
            features: [`${VIEW}:conv_rate`],
          })
          .toArrow(),
        (error: unknown) => FloeError.is(error, 'invalid-input') && longOverDouble.test(error.message),
      );
    } finally {
      await store.close();
    }
    const consistency = await run(folder, 'consistency', VIEW, '--local');
    assert.equal(consistency.code, 2, consistency.stdout + consistency.stderr);
    assertNoStackTrace(consistency);
    assert.doesNotMatch(consistency.stderr, /BigInt/);
    assert.match(consistency.stderr, new RegExp(`Feature view ${VIEW} has no online table floe_online\\.${VIEW} yet: materialize it`));
  });

  it('the widenings (int declared long, float declared double) and the exact types apply, and serve online what the training set returns', async () => {
    const folder = await project('widened', { conv_rate: 'double', avg_daily_trips: 'long', rides: 'long', score: 'double' });
    const plan = await run(folder, 'plan');
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const apply = await run(folder, 'apply');
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    const store = await FeatureStore.open(folder);
    try {
      await store.engine.withConnection(async (connection) => registerIcebergFunctions(connection));
      await materializeWindow(store.runtime, VIEW, WINDOW, 'declared-types-widened');
      const refs = ['conv_rate', 'avg_daily_trips', 'rides', 'score'].map((feature) => `${VIEW}:${feature}`);
      const online = await store.getOnlineFeatures({ features: refs, entityRows: [{ driver_id: 1001 }, { driver_id: 1002 }] });
      const offline = await store
        .getHistoricalFeatures({
          entities: {
            sql: "SELECT * FROM (VALUES (1001::BIGINT, TIMESTAMPTZ '2024-05-01 23:00:00+00'), (1002::BIGINT, TIMESTAMPTZ '2024-05-01 23:00:00+00')) AS t(driver_id, event_timestamp)",
          },
          features: refs,
        })
        .toArrow();
      const offlineOf = (name: string) => [0, 1].map((row) => offline.getChild(name)?.get(row) as unknown);
      const onlineOf = (name: string) => online.features.find((feature) => feature.ref === `${VIEW}:${name}`)!.values;
      assert.deepEqual(onlineOf('conv_rate'), [0.91, 0.286]);
      assert.deepEqual(offlineOf('conv_rate'), [0.91, 0.286]);
      assert.deepEqual(onlineOf('score'), [0.25, 1.5]);
      assert.deepEqual(offlineOf('score'), [0.25, 1.5]);
      assert.deepEqual(onlineOf('rides').map(String), ['7', '3']);
      assert.deepEqual(offlineOf('rides'), [7n, 3n], 'an int column declared long reads as a long offline');
      assert.deepEqual(onlineOf('avg_daily_trips').map(String), ['123', '62']);
      assert.deepEqual(offlineOf('avg_daily_trips'), [123n, 62n]);
    } finally {
      await store.close();
    }
  });
});
