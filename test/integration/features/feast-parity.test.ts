// services: python
// Parity with Feast 0.67 (in the oracle venv): the same data — the very Parquet data files of
// Floe's Iceberg tables — and the same definitions given to Feast's get_historical_features (file
// offline store) and to Floe's getHistoricalFeatures give the same training rows, on fixtures
// covering TTL edges, ties settled by the created timestamp, duplicates and missing entities.
// Where Feast's file store contradicts its documentation (it loses some entity rows), the test
// records exactly which rows and Floe keeps the documented semantics.
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { pythonOracle } from '../../support/services.js';
import { runPython, stopPythonServers } from '../../support/python-fork-server.js';
import type { Workspace } from '../../support/features/tables.js';
import { createTableWithRows, withWorkspace } from '../../support/features/tables.js';

const FEAST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'oracles', 'feast_historical.py');
const T0 = Date.UTC(2024, 4, 1) * 1000; // µs
const at = (hours: number, extraMicros = 0) => ({ micros: BigInt(Math.round(T0 + hours * 3_600_000_000 + extraMicros)) });
const iso = (hours: number, extraMicros = 0) => {
  const micros = T0 + hours * 3_600_000_000 + extraMicros;
  return `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, -1)}${String(Math.round(micros % 1000)).padStart(3, '0')}Z`;
};

/** Entity rows: [request id, driver, hours after T0, extra µs]. */
const ENTITY_ROWS: readonly [string, number, number, number][] = [
  ['r1', 1, 3, 0], // two rows at 03:00: the one created later wins
  ['r2', 1, 2.5, 0], // between rows: the 02:00 row
  ['r3', 1, 0.5, 0], // before any row: nothing
  ['r4', 2, 2, 0], // the 00:00 row is exactly the 2h TTL old: still fresh
  ['r5', 2, 2, 1], // one microsecond later it is too old
  ['r6', 2, 5.99, 0], // long past the TTL
  ['r7', 3, 12, 0], // no hourly rows; a profile row
  ['r8', 1, 3, 0], // a duplicate of r1, kept
  ['r9', 4, 3, 0], // an entity nobody has heard of
  ['r10', 2, 6, 0], // a row at exactly the entity's time counts
];

async function fixtures(workspace: Workspace): Promise<{ hourlyPath: string; profilePath: string }> {
  await createTableWithRows(
    workspace,
    'rides.driver_hourly',
    [
      { name: 'driver_id', type: 'long' },
      { name: 'event_timestamp', type: 'timestamptz' },
      { name: 'created', type: 'timestamptz' },
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
    [
      [
        [1n, at(1), at(1), 0.1, 1n],
        [1n, at(2), at(2), 0.2, 2n],
        [1n, at(3), at(3), 0.3, 3n],
      ],
      [
        [1n, at(3), at(3.5), 0.35, 35n],
        [2n, at(0), at(0), 0.9, 9n],
        [2n, at(6), at(6), 0.95, 95n],
      ],
    ],
  );
  await createTableWithRows(
    workspace,
    'rides.driver_profile',
    [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'rating', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
    [
      [
        [1n, at(0), 4.5, 100n],
        [3n, at(10), 3.0, 300n],
      ],
    ],
  );
  const dataFolder = async (name: string) => {
    const table = await workspace.catalog.loadTable({ namespace: ['rides'], name });
    return `${table.metadata.location.replace(/^file:\/\//, '')}/data`;
  };
  return { hourlyPath: await dataFolder('driver_hourly'), profilePath: await dataFolder('driver_profile') };
}

const definitions = [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({
    name: 'hourly_source',
    table: 'rides.driver_hourly',
    timestampField: 'event_timestamp',
    createdTimestampField: 'created',
  }),
  defineIcebergSource({ name: 'profile_source', table: 'rides.driver_profile', timestampField: 'ts' }),
  defineFeatureView({
    name: 'driver_hourly',
    entities: ['driver'],
    source: 'hourly_source',
    ttl: { hours: 2 },
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
  }),
  defineFeatureView({
    name: 'driver_profile',
    entities: ['driver'],
    source: 'profile_source',
    features: [
      { name: 'rating', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
  }),
];

after(stopPythonServers);

async function runFeast(request: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const { code, stdout, stderr } = await runPython(pythonOracle().python, FEAST, [], { stdin: JSON.stringify(request) });
  assert.equal(code, 0, `Feast failed:\n${stderr}`);
  return (JSON.parse(stdout) as { rows: Record<string, unknown>[] }).rows;
}

function floeRows(table: arrow.Table): Record<string, unknown>[] {
  return Array.from({ length: table.numRows }, (_, index) => {
    const row: Record<string, unknown> = {};
    for (const field of table.schema.fields) {
      const column = table.getChild(field.name)!;
      const value = column.get(index) as unknown;
      if (field.name === 'event_timestamp') {
        const micros = (column.data[0]!.values as BigInt64Array)[index]!;
        row[field.name] = `${new Date(Number(micros / 1000n)).toISOString().slice(0, -1)}${String(micros % 1000n).padStart(3, '0')}Z`;
      } else row[field.name] = typeof value === 'bigint' ? Number(value) : (value ?? null);
    }
    return row;
  });
}

describe('historical features: parity with Feast (file offline store)', () => {
  test('the same training rows on TTL edges, created-time ties, duplicates and missing entities, with and without full names', async () => {
    await withWorkspace(async (workspace) => {
      const { hourlyPath, profilePath } = await fixtures(workspace);
      const entityRows = ENTITY_ROWS.map(([request, driver, hours, extra]) => ({
        request_id: request,
        driver_id: driver,
        event_timestamp: iso(hours, extra),
      }));
      const entities = new arrow.Table({
        request_id: arrow.vectorFromArray(
          entityRows.map((row) => row.request_id),
          new arrow.Utf8(),
        ),
        driver_id: arrow.vectorFromArray(
          entityRows.map((row) => BigInt(row.driver_id)),
          new arrow.Int64(),
        ),
        event_timestamp: arrow.makeVector(
          arrow.makeData({
            type: new arrow.TimestampMicrosecond('UTC'),
            length: entityRows.length,
            nullCount: 0,
            data: new BigInt64Array(ENTITY_ROWS.map(([, , hours, extra]) => at(hours, extra).micros)),
          }),
        ),
      });
      const feastViews = [
        {
          name: 'driver_hourly',
          entities: ['driver'],
          path: hourlyPath,
          timestamp_field: 'event_timestamp',
          created_timestamp_field: 'created',
          ttl_seconds: 7200,
          features: [
            { name: 'conv_rate', type: 'double' },
            { name: 'trips', type: 'long' },
          ],
        },
        {
          name: 'driver_profile',
          entities: ['driver'],
          path: profilePath,
          timestamp_field: 'ts',
          created_timestamp_field: null,
          ttl_seconds: null,
          features: [
            { name: 'rating', type: 'double' },
            { name: 'trips', type: 'long' },
          ],
        },
      ];
      const cases = [
        { features: ['driver_hourly:conv_rate', 'driver_hourly:trips', 'driver_profile:rating', 'driver_profile:trips'], full: true },
        { features: ['driver_hourly:conv_rate', 'driver_hourly:trips', 'driver_profile:rating'], full: false },
      ];
      for (const { features, full } of cases) {
        const feast = await runFeast({
          entities: [{ name: 'driver', join_keys: [{ name: 'driver_id', type: 'long' }] }],
          feature_views: feastViews,
          entity_rows: entityRows,
          features,
          full_feature_names: full,
        });
        const floe = floeRows(
          await getHistoricalFeatures(workspace.context(definitions), { entities, features, fullFeatureNames: full }).toArrow(),
        );
        // Every row Feast returns is Floe's row for the same request, value for value.
        const floeByRequest = new Map(floe.map((row) => [row.request_id, row]));
        for (const row of feast)
          assert.deepEqual(
            floeByRequest.get(row.request_id),
            { ...row, driver_id: Number(row.driver_id) },
            `request ${String(row.request_id)}: features ${features.join(', ')} (full names: ${String(full)})`,
          );
        // Recorded disagreement: Feast's file (dask) offline store loses entity rows, against its
        // own documentation that every entity row gets features. `_filter_ttl` drops an entity row
        // whose key has rows but none fresh at its time (r3: before any row; r5, r6: past the TTL)
        // instead of giving it nulls, and `_drop_duplicates` keeps one of two entity rows with the
        // same keys and timestamp (r1, r8). Floe keeps every entity row, as documented.
        const feastIds = feast.map((row) => String(row.request_id)).sort();
        const lost = ENTITY_ROWS.map(([id]) => id).filter((id) => !feastIds.includes(id));
        assert.ok(lost.includes('r3') && lost.includes('r5') && lost.includes('r6'), `Feast lost ${lost.join(', ')}`);
        assert.equal(
          lost.filter((id) => id === 'r1' || id === 'r8').length,
          1,
          `Feast keeps one of the duplicate entity rows r1, r8; lost ${lost.join(', ')}`,
        );
        assert.equal(lost.length, 4);
        assert.equal(floe.length, ENTITY_ROWS.length);
        assert.deepEqual(
          floe.map((row) => row.request_id),
          ENTITY_ROWS.map(([id]) => id),
          'Floe keeps every entity row, in order',
        );
        // And the cases mean what they say (so agreement is not two engines failing alike).
        const r = Object.fromEntries(floe.map((row) => [row.request_id, row]));
        const conv = full ? 'driver_hourly__conv_rate' : 'conv_rate';
        assert.equal(r.r1?.[conv], 0.35);
        assert.equal(r.r4?.[conv], 0.9);
        assert.equal(r.r5?.[conv], null);
        assert.equal(r.r3?.[conv], null);
        assert.equal(r.r6?.[conv], null);
        assert.equal(r.r3?.[full ? 'driver_profile__rating' : 'rating'], 4.5, 'r3 still has its profile');
        assert.equal(r.r10?.[conv], 0.95);
      }
    });
  });
});
