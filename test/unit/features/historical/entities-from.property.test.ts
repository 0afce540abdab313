// getHistoricalFeatures with `entities: { from, start, end }` (no entity list): the entity rows are
// the named source's own rows with start ≤ event time < end (a view's name stands for its source),
// each with its keys (through the source's fieldMapping) and its event time, duplicates kept. The
// result must equal the brute-force point-in-time join over exactly those rows.
import fc from 'fast-check';
import type * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { FloeError } from '../../../../core/errors.js';
import { and, eq, notEq } from '../../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../../iceberg/expressions/expression.js';
import { reference } from '../../../support/features/point-in-time-reference.js';
import type { LongFeatureRow } from '../../../support/features/historical-builders.js';
import {
  at,
  columnValues,
  createLongFeatureTable,
  eventSecond,
  inTwoBatches,
  longFeatureRow,
  nullable,
  timeCell,
} from '../../../support/features/historical-builders.js';
import { createTableWithRows, deleteWhere, withWorkspace } from '../../../support/features/tables.js';
import type { Workspace } from '../../../support/features/tables.js';
import { defined } from '../../../../contracts/defined.js';

const iso = (seconds: number): string => new Date(Number(at(seconds) / 1000n)).toISOString();

interface RowA {
  readonly driver: number | null;
  readonly t: number | null;
  readonly created: number | null;
  readonly x: number | null;
}

const maybe = nullable(8);
// Few drivers and times, so the same (driver, time) often appears twice: duplicate entity rows.
const rowA: fc.Arbitrary<RowA> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 3 })),
  t: maybe(eventSecond),
  created: maybe(fc.integer({ min: 0, max: 1 }), 3),
  x: maybe(
    fc.integer({ min: 0, max: 2 }).map((n) => n / 2),
    4,
  ),
});

/** The result's rows as sorted JSON lines: a source's rows come in no order of their own. */
function rowsOf(table: arrow.Table, columns: readonly string[]): string[] {
  const values = columns.map((column) => columnValues(table, column));
  return Array.from({ length: table.numRows }, (_, index) => JSON.stringify(values.map((column) => column[index]))).sort();
}

let run = 0;

async function sources(workspace: Workspace, rowsA: readonly RowA[], rowsB: readonly LongFeatureRow[], ttlA: number, filterA?: Expression) {
  run += 1;
  await createTableWithRows(
    workspace,
    `src.a${run}`,
    [
      { name: 'drv', type: 'long' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'created', type: 'timestamp' },
      { name: 'x_raw', type: 'double' },
    ],
    inTwoBatches(rowsA.map((row) => [row.driver === null ? null : BigInt(row.driver), timeCell(row.t), timeCell(row.created), row.x])),
  );
  await createLongFeatureTable(workspace, `src.b${run}`, rowsB);
  return workspace.context([
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineEntity({ name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] }),
    // The join key is `drv` in this table: the fieldMapping names it driver_id, for the features and the entity rows alike.
    defineIcebergSource({
      name: 'sa',
      table: `src.a${run}`,
      timestampField: 'ts',
      createdTimestampField: 'created',
      fieldMapping: { drv: 'driver_id', x_raw: 'x' },
      ...defined({ filter: filterA }),
    }),
    defineIcebergSource({ name: 'sb', table: `src.b${run}`, timestampField: 'ts' }),
    defineFeatureView({
      name: 'va',
      entities: ['driver'],
      source: 'sa',
      features: [{ name: 'x', type: 'double' }],
      ...(ttlA === 0 ? {} : { ttl: { seconds: ttlA } }),
    }),
    defineFeatureView({ name: 'vb', entities: ['driver'], source: 'sb', features: [{ name: 'x', type: 'long' }] }),
    defineFeatureView({ name: 'vc', entities: ['customer'], source: 'sb', features: [{ name: 'x', type: 'long' }] }),
  ]);
}

describe('getHistoricalFeatures with entities from a source (property)', () => {
  it('equals the brute-force point-in-time join over the source’s rows in [start, end), duplicates kept', async () => {
    await withWorkspace(async (workspace) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rowA, { maxLength: 16 }),
          fc.array(longFeatureRow, { maxLength: 10 }),
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: -5, max: 10 }),
          fc.integer({ min: 1, max: 8 }),
          fc.constantFrom('sa', 'va', 'sb', 'vb'),
          async (rowsA, rowsB, ttlA, start, length, from) => {
            const context = await sources(workspace, rowsA, rowsB, ttlA);
            const end = start + length;
            const sourceRows: readonly { driver: number | null; t: number | null }[] = from.endsWith('a') ? rowsA : rowsB;
            const entities = sourceRows
              .filter((row): row is { driver: number | null; t: number } => row.t !== null && start <= row.t && row.t < end)
              .map((row) => ({ driver: row.driver, t: row.t }));
            const driver = (entity: { driver: number | null }) => entity.driver;
            const expectedA = reference(entities, rowsA, {
              key: (row) => row.driver,
              entityKey: driver,
              ttl: ttlA,
              features: [(row) => row.x],
            });
            const expectedB = reference(entities, rowsB, {
              key: (row) => row.driver,
              entityKey: driver,
              ttl: 0,
              features: [(row) => row.x],
            });
            const expected = entities
              .map((entity, index) =>
                JSON.stringify([entity.driver, Number(at(entity.t) / 1000n), expectedA[index]![0], expectedB[index]![0]]),
              )
              .sort();

            const job = getHistoricalFeatures(context, {
              entities: { from, start: iso(start), end: new Date(iso(end)) },
              features: ['va:x', 'vb:x'],
              fullFeatureNames: true,
            });
            const result = await job.toArrow();
            assert.deepEqual(
              result.schema.fields.map((field) => field.name),
              ['driver_id', 'event_timestamp', 'va__x', 'vb__x'],
            );
            assert.deepEqual(rowsOf(result, ['driver_id', 'event_timestamp', 'va__x', 'vb__x']), expected);
            assert.equal(job.lastSummary?.entityRows, entities.length);
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  it('takes no row the source’s filter leaves out or a merge-on-read delete removed', async () => {
    await withWorkspace(async (workspace) => {
      const rows = [1, 2, 3, 4].flatMap((driver) => [0, 1, 2].map((t) => ({ driver, t, created: null, x: driver + t / 10 })));
      // Driver 4 is outside the source (its filter); driver 2's row at t=1 is deleted (a position delete).
      const context = await sources(workspace, rows, [], 0, notEq('drv', 4));
      assert.equal(await deleteWhere(workspace, `src.a${run}`, and(eq('drv', 2), eq('ts', at(1)))), 1);

      const result = await getHistoricalFeatures(context, {
        entities: { from: 'va', start: iso(0), end: iso(3) },
        features: ['va:x'],
      }).toArrow();
      assert.deepEqual(
        rowsOf(result, ['driver_id', 'event_timestamp', 'x']),
        [
          ...[1, 3].flatMap((driver) => [0, 1, 2].map((t) => JSON.stringify([driver, Number(at(t) / 1000n), driver + t / 10]))),
          ...[0, 2].map((t) => JSON.stringify([2, Number(at(t) / 1000n), 2 + t / 10])),
        ].sort(),
      );
    });
  });

  it('refuses a source without the key column, an unknown name and a backwards range, naming what is wrong', async () => {
    await withWorkspace(async (workspace) => {
      const context = await sources(workspace, [{ driver: 1, t: 0, created: null, x: 1 }], [{ driver: 1, t: 0, x: 1 }], 0);
      const window = { start: iso(-10), end: iso(10) };
      // vc joins on customer_id, which source sb's table does not have.
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { from: 'sb', ...window }, features: ['vc:x'] }).toArrow(),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          /source sb \(table src\.b\d+\) has no column "customer_id" \(join key customer_id of vc\); its columns are driver_id, ts, x/.test(
            error.message,
          ) &&
          error.context.column === 'customer_id' &&
          error.context.table === `src.b${run}`,
      );
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { from: 'nope', ...window }, features: ['va:x'] }).toArrow(),
        (error: unknown) =>
          FloeError.is(error, 'not-found') && /no source or feature view named "nope"; sources: sa, sb/.test(error.message),
      );
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { from: 'sa', start: window.end, end: window.start }, features: ['va:x'] }).toArrow(),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /entities\.end must be after entities\.start/.test(error.message),
      );
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { from: 'sa', start: 'yesterday', end: window.end }, features: ['va:x'] }).toArrow(),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /entities\.start "yesterday" is not an instant/.test(error.message),
      );
    });
  });
});
