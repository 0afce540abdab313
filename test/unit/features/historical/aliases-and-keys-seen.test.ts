// getHistoricalFeatures with a view read under another name (`viewAliases`: `alias:feature` reads
// the view and names its features by the alias), and with `entities: { asOf, keysSeenSince }`: the
// keys the views' sources saw in [keysSeenSince, asOf], each once, with its features as of asOf.
// Tables are Iceberg tables written by Floe in a SQL catalog (SQLite).
import type * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { FloeError } from '../../../../core/errors.js';
import { defineOnDemandView } from '../../../../features/on-demand.js';
import { eq } from '../../../../iceberg/expressions/expression.js';
import type { Workspace } from '../../../support/features/tables.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

const H = 3_600_000_000n;
const T0 = 1_714_521_600_000_000n; // 2024-05-01T00:00:00Z in µs
const at = (hours: number) => ({ micros: T0 + BigInt(Math.round(hours * 3600)) * 1_000_000n });
const iso = (hours: number) => new Date(Number((T0 + BigInt(Math.round(hours * 3600)) * 1_000_000n) / 1000n)).toISOString();

/**
 * Driver 1 at hours 1, 2, 3 (a second row at 3 created later wins), driver 2 at 0 and 6, driver 3
 * at 10; driver 4 at hour 4 in DE, which the source's filter leaves out; a row with no driver at
 * hour 5. Profiles keyed by driver
 * (driver 5 only there) in a second table.
 */
async function tables(workspace: Workspace): Promise<void> {
  await createTableWithRows(
    workspace,
    'rides.stats',
    [
      { name: 'driver', type: 'long' },
      { name: 'event_ts', type: 'timestamptz' },
      { name: 'created', type: 'timestamptz' },
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
      { name: 'country', type: 'string' },
    ],
    [
      [
        [1n, at(1), at(1), 0.1, 1n, 'NL'],
        [1n, at(2), at(2), 0.2, 2n, 'NL'],
        [1n, at(3), at(3), 0.3, 3n, 'NL'],
        [2n, at(0), at(0), 0.9, 9n, 'NL'],
      ],
      [
        [1n, at(3), at(3.5), 0.35, 35n, 'NL'],
        [2n, at(6), at(6), 0.95, 95n, 'NL'],
        [3n, at(10), at(10), 0.5, 5n, 'NL'],
        [4n, at(4), at(4), 0.4, 4n, 'DE'],
        [null, at(5), at(5), 0.7, 7n, 'NL'],
      ],
    ],
  );
  await createTableWithRows(
    workspace,
    'rides.profiles',
    [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'rating', type: 'double' },
    ],
    [
      [
        [1n, at(0), 4.5],
        [5n, at(5), 3.5],
      ],
    ],
  );
}

const definitions = (ttlHours = 2) => [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({
    name: 'stats_source',
    table: 'rides.stats',
    timestampField: 'event_ts',
    createdTimestampField: 'created',
    fieldMapping: { driver: 'driver_id' },
    filter: eq('country', 'NL'),
  }),
  defineIcebergSource({ name: 'profile_source', table: 'rides.profiles', timestampField: 'ts' }),
  defineFeatureView({
    name: 'stats',
    entities: ['driver'],
    source: 'stats_source',
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
    ttl: { hours: ttlHours },
  }),
  defineFeatureView({
    name: 'profile',
    entities: ['driver'],
    source: 'profile_source',
    features: [{ name: 'rating', type: 'double' }],
  }),
];

function rows(table: arrow.Table): Record<string, unknown>[] {
  return table.toArray().map((row: { toJSON(): Record<string, unknown> }) => {
    const json = row.toJSON();
    return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value]));
  });
}

const names = (table: arrow.Table) => table.schema.fields.map((field) => field.name);

const ENTITIES = [
  { driver_id: 1, event_timestamp: iso(2.5) },
  { driver_id: 2, event_timestamp: iso(6) },
  { driver_id: 3, event_timestamp: iso(11) },
];

async function entityCsv(workspace: Workspace): Promise<string> {
  const file = path.join(workspace.directory, 'entities.csv');
  await writeFile(
    file,
    ['driver_id,event_timestamp', ...ENTITIES.map((row) => `${row.driver_id},${row.event_timestamp}`)].join('\n') + '\n',
  );
  return file;
}

describe('a view read under another name (viewAliases)', () => {
  it('names the features by the alias with full feature names, by the feature alone without, with the view’s values', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const context = workspace.context(definitions());
      const csv = await entityCsv(workspace);
      const plain = await getHistoricalFeatures(context, { entities: { csv }, features: ['stats:conv_rate', 'stats:trips'] }).toArrow();
      const aliased = await getHistoricalFeatures(context, {
        entities: { csv },
        features: ['recent:conv_rate', 'recent:trips'],
        viewAliases: { recent: 'stats' },
      }).toArrow();
      assert.deepEqual(names(aliased), ['driver_id', 'event_timestamp', 'conv_rate', 'trips']);
      assert.deepEqual(rows(aliased), rows(plain));
      const full = await getHistoricalFeatures(context, {
        entities: { csv },
        features: ['recent:conv_rate', 'recent:trips'],
        viewAliases: { recent: 'stats' },
        fullFeatureNames: true,
      }).toArrow();
      assert.deepEqual(names(full), ['driver_id', 'event_timestamp', 'recent__conv_rate', 'recent__trips']);
      assert.deepEqual(
        rows(full).map((row) => [row.driver_id, row.recent__conv_rate, row.recent__trips]),
        [
          [1, 0.2, 2],
          [2, 0.95, 95],
          [3, 0.5, 5],
        ],
      );
    });
  });

  it('reads one view twice, under its own name and an alias, each its own columns', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const table = await getHistoricalFeatures(workspace.context(definitions()), {
        entities: { csv: await entityCsv(workspace) },
        features: ['stats:trips', 'again:conv_rate', 'again:trips', 'profile:rating'],
        viewAliases: { again: 'stats' },
        fullFeatureNames: true,
      }).toArrow();
      assert.deepEqual(names(table), [
        'driver_id',
        'event_timestamp',
        'stats__trips',
        'again__conv_rate',
        'again__trips',
        'profile__rating',
      ]);
      assert.deepEqual(
        rows(table).map((row) => [row.stats__trips, row.again__conv_rate, row.again__trips, row.profile__rating]),
        [
          [2, 0.2, 2, 4.5],
          [95, 0.95, 95, null],
          [5, 0.5, 5, null],
        ],
      );
    });
  });

  it('beside an on-demand view of the same view: the view read under its own name feeds it, the alias is another read', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const context = workspace.context([
        ...definitions(),
        defineOnDemandView({
          name: 'derived',
          sources: ['stats:conv_rate', 'stats:trips'],
          features: [{ name: 'per_trip', type: 'double' }],
          compute: ({ stats: row }) => ({
            per_trip: row?.conv_rate == null || row.trips == null ? null : (row.conv_rate as number) / Number(row.trips),
          }),
        }),
      ]);
      for (const fullFeatureNames of [false, true]) {
        const table = await getHistoricalFeatures(context, {
          entities: { csv: await entityCsv(workspace) },
          features: ['recent:conv_rate', 'derived:per_trip'],
          viewAliases: { recent: 'stats' },
          fullFeatureNames,
        }).toArrow();
        const [conv, perTrip] = fullFeatureNames ? ['recent__conv_rate', 'derived__per_trip'] : ['conv_rate', 'per_trip'];
        assert.deepEqual(names(table), ['driver_id', 'event_timestamp', conv, perTrip]);
        assert.deepEqual(
          rows(table).map((row) => [row[conv], row[perTrip]]),
          [
            [0.2, 0.1],
            [0.95, 0.01],
            [0.5, 0.1],
          ],
        );
      }
    });
  });

  it('refuses an alias of an unknown view, an alias that is a view’s own name, and aliases with a feature service, naming them', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const context = workspace.context(definitions());
      const entities = { csv: await entityCsv(workspace) };
      assert.throws(
        () => getHistoricalFeatures(context, { entities, features: ['x:conv_rate'], viewAliases: { x: 'nope' } }),
        (error: unknown) =>
          FloeError.is(error, 'not-found') && /alias "x" names feature view "nope", which is not defined/.test(error.message),
      );
      assert.throws(
        () => getHistoricalFeatures(context, { entities, features: ['profile:conv_rate'], viewAliases: { profile: 'stats' } }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /alias "profile" is the name of a view itself/.test(error.message),
      );
      assert.throws(
        () => getHistoricalFeatures(context, { entities, featureService: 'any', viewAliases: { x: 'stats' } }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /viewAliases go with feature references/.test(error.message),
      );
    });
  });
});

describe('entities: { asOf, keysSeenSince }', () => {
  it('one row per key seen in the window (ends included, the source filter applied), with asOf as its timestamp and the features as of asOf', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const context = workspace.context(definitions());
      const window = async (since: number, asOf: number) =>
        rows(
          await getHistoricalFeatures(context, {
            entities: { asOf: iso(asOf), keysSeenSince: iso(since) },
            features: ['stats:conv_rate', 'stats:trips'],
          }).toArrow(),
        );
      // Driver 1's row at 3 (created later) as of 3; driver 2 seen at 0 exactly, its row 3 hours old: past the 2 h TTL.
      assert.deepEqual(await window(0, 3), [
        { event_timestamp: Date.parse(iso(3)), driver_id: 1, conv_rate: 0.35, trips: 35 },
        { event_timestamp: Date.parse(iso(3)), driver_id: 2, conv_rate: null, trips: null },
      ]);
      // Driver 4's DE row at 4 is filtered out, the row without a driver saw no key; driver 2 is seen at 6 exactly (the end is included).
      assert.deepEqual(await window(3.5, 6), [{ event_timestamp: Date.parse(iso(6)), driver_id: 2, conv_rate: 0.95, trips: 95 }]);
      assert.deepEqual(await window(11, 20), []);
    });
  });

  it('takes the keys of every view’s source, each once, and keeps microseconds of asOf', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const asOf = '2024-05-01T06:00:00.000001Z';
      const table = await getHistoricalFeatures(workspace.context(definitions(24)), {
        entities: { asOf, keysSeenSince: iso(0) },
        features: ['stats:trips', 'profile:rating'],
      }).toArrow();
      assert.deepEqual(
        rows(table).map((row) => [row.driver_id, row.trips, row.rating]),
        [
          [1, 35, 4.5],
          [2, 95, null],
          [5, null, 3.5],
        ],
      );
      const stamp = table.getChild('event_timestamp')!;
      assert.equal(stamp.type.toString(), 'Timestamp<MICROSECOND, UTC>');
      assert.equal(BigInt(stamp.data[0]!.values[0] as bigint), T0 + 6n * H + 1n);
    });
  });

  it('refuses a window that ends before it starts, and text that is no instant, naming the field', async () => {
    await withWorkspace(async (workspace) => {
      await tables(workspace);
      const context = workspace.context(definitions());
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { asOf: iso(1), keysSeenSince: iso(2) }, features: ['stats:trips'] }).toArrow(),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /keysSeenSince must not be after entities.asOf/.test(error.message),
      );
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { asOf: 'yesterday', keysSeenSince: iso(2) }, features: ['stats:trips'] }).toArrow(),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /entities.asOf "yesterday" is not an instant/.test(error.message),
      );
    });
  });
});
