// getHistoricalFeatures end to end (Iceberg tables written by Floe in a SQL catalog, Arrow entity
// rows, DuckDB) against a brute-force reference of the documented semantics: per entity row and
// view, the latest row at or before the entity's time, ties to the greatest created time (then to
// the greatest feature values, as Floe documents), NULL past the TTL or for a missing entity.
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { FloeError } from '../../../../core/errors.js';
import { reference } from '../../../support/features/point-in-time-reference.js';
import {
  at,
  columnValues,
  createLongFeatureTable,
  driverCustomerEntities,
  eventSecond,
  inTwoBatches,
  longFeatureRow,
  nullable,
  timeCell,
} from '../../../support/features/historical-builders.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

interface EntityRow {
  readonly driver: number | null;
  readonly customer: string | null;
  readonly t: number;
  readonly label: string;
}
interface RowA {
  readonly driver: number | null;
  readonly t: number | null;
  readonly created: number | null;
  readonly x: number | null;
  readonly y: string | null;
}
interface RowC {
  readonly customer: string | null;
  readonly t: number | null;
  readonly created: number | null;
  readonly y: string | null;
}

const maybe = nullable(8);
const entityArb: fc.Arbitrary<EntityRow> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 4 })),
  customer: maybe(fc.constantFrom('c1', 'c2', 'c3')),
  t: eventSecond,
  label: fc.constantFrom('p', 'q', "it's"),
});
const rowA: fc.Arbitrary<RowA> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 3 })),
  t: maybe(eventSecond),
  created: maybe(fc.integer({ min: 0, max: 1 }), 3),
  x: maybe(
    fc.integer({ min: 0, max: 2 }).map((n) => n / 2),
    4,
  ),
  y: maybe(fc.constantFrom('a', 'b'), 4),
});
const rowC: fc.Arbitrary<RowC> = fc.record({
  customer: maybe(fc.constantFrom('c1', 'c2')),
  t: maybe(eventSecond),
  created: maybe(fc.integer({ min: 0, max: 1 }), 3),
  y: maybe(fc.constantFrom('a', 'b'), 4),
});

function entityTable(entities: readonly EntityRow[]): arrow.Table {
  return driverCustomerEntities(entities, {
    label: arrow.vectorFromArray(
      entities.map((entity) => entity.label),
      new arrow.Utf8(),
    ),
  });
}

let run = 0;

describe('getHistoricalFeatures (property)', () => {
  it('equals a brute-force reference over random entities, ties, equal created times, TTL edges, missing entities and overlapping feature names', async () => {
    await withWorkspace(async (workspace) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(entityArb, { maxLength: 12 }),
          fc.array(rowA, { maxLength: 16 }),
          fc.array(longFeatureRow, { maxLength: 10 }),
          fc.array(rowC, { maxLength: 10 }),
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 0, max: 4 }),
          async (entities, rowsA, rowsB, rowsC, ttlA, ttlB, ttlC) => {
            run += 1;
            await createTableWithRows(
              workspace,
              `src.a${run}`,
              [
                { name: 'driver_id', type: 'long' },
                { name: 'ts', type: 'timestamptz' },
                { name: 'created', type: 'timestamp' },
                { name: 'x_raw', type: 'double' },
                { name: 'y', type: 'string' },
              ],
              inTwoBatches(
                rowsA.map((row) => [row.driver === null ? null : BigInt(row.driver), timeCell(row.t), timeCell(row.created), row.x, row.y]),
              ),
            );
            await createLongFeatureTable(workspace, `src.b${run}`, rowsB);
            await createTableWithRows(
              workspace,
              `src.c${run}`,
              [
                { name: 'customer', type: 'string' },
                { name: 'ts', type: 'timestamptz' },
                { name: 'created', type: 'timestamptz' },
                { name: 'y', type: 'string' },
              ],
              inTwoBatches(rowsC.map((row) => [row.customer, timeCell(row.t), timeCell(row.created), row.y])),
            );
            const seconds = (value: number) => (value === 0 ? {} : { ttl: { seconds: value } });
            const definitions = [
              defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
              defineEntity({ name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] }),
              defineIcebergSource({
                name: 'sa',
                table: `src.a${run}`,
                timestampField: 'ts',
                createdTimestampField: 'created',
                fieldMapping: { x_raw: 'x' },
              }),
              defineIcebergSource({ name: 'sb', table: `src.b${run}`, timestampField: 'ts' }),
              defineIcebergSource({
                name: 'sc',
                table: `src.c${run}`,
                timestampField: 'ts',
                createdTimestampField: 'created',
                fieldMapping: { customer: 'customer_id' },
              }),
              defineFeatureView({
                name: 'va',
                entities: ['driver'],
                source: 'sa',
                features: [
                  { name: 'x', type: 'double' },
                  { name: 'y', type: 'string' },
                ],
                ...seconds(ttlA),
              }),
              defineFeatureView({
                name: 'vb',
                entities: ['driver'],
                source: 'sb',
                features: [{ name: 'x', type: 'long' }],
                ...seconds(ttlB),
              }),
              defineFeatureView({
                name: 'vc',
                entities: ['customer'],
                source: 'sc',
                features: [{ name: 'y', type: 'string' }],
                ...seconds(ttlC),
              }),
              defineFeatureService({ name: 'everything', features: ['va', 'vb:x', { featureView: 'vc' }] }),
            ];
            const context = workspace.context(definitions);
            const table = entityTable(entities);
            const driver = (entity: EntityRow) => entity.driver;
            const expectedA = reference(entities, rowsA, {
              key: (row) => row.driver,
              entityKey: driver,
              ttl: ttlA,
              features: [(row) => row.x, (row) => row.y],
            });
            const expectedB = reference(entities, rowsB, {
              key: (row) => row.driver,
              entityKey: driver,
              ttl: ttlB,
              features: [(row) => row.x],
            });
            const expectedC = reference(entities, rowsC, {
              key: (row) => row.customer,
              entityKey: (entity) => entity.customer,
              ttl: ttlC,
              features: [(row) => row.y],
            });

            // Full names: every view's x and y side by side, through a feature service.
            const full = await getHistoricalFeatures(context, {
              entities: table,
              featureService: 'everything',
              fullFeatureNames: true,
            }).toArrow();
            assert.deepEqual(
              full.schema.fields.map((field) => field.name),
              ['driver_id', 'customer_id', 'event_timestamp', 'label', 'va__x', 'va__y', 'vb__x', 'vc__y'],
            );
            assert.equal(full.numRows, entities.length);
            assert.deepEqual(
              columnValues(full, 'label'),
              entities.map((entity) => entity.label),
            );
            assert.deepEqual(
              columnValues(full, 'driver_id'),
              entities.map((entity) => entity.driver),
            );
            assert.deepEqual(
              columnValues(full, 'event_timestamp'),
              entities.map((entity) => Number(at(entity.t) / 1000n)),
            );
            assert.deepEqual(
              columnValues(full, 'va__x'),
              expectedA.map((row) => row[0]),
            );
            assert.deepEqual(
              columnValues(full, 'va__y'),
              expectedA.map((row) => row[1]),
            );
            assert.deepEqual(
              columnValues(full, 'vb__x'),
              expectedB.map((row) => row[0]),
            );
            assert.deepEqual(
              columnValues(full, 'vc__y'),
              expectedC.map((row) => row[0]),
            );

            // Short names: fine when they do not collide, an error naming the column when they do.
            const short = await getHistoricalFeatures(context, { entities: table, features: ['vb:x', 'vc:y'] }).toArrow();
            assert.deepEqual(
              short.schema.fields.map((field) => field.name),
              ['driver_id', 'customer_id', 'event_timestamp', 'label', 'x', 'y'],
            );
            assert.deepEqual(
              columnValues(short, 'x'),
              expectedB.map((row) => row[0]),
            );
            assert.deepEqual(
              columnValues(short, 'y'),
              expectedC.map((row) => row[0]),
            );
            await assert.rejects(
              getHistoricalFeatures(context, { entities: table, features: ['va:x', 'vb:x'] }).toArrow(),
              (error: unknown) => FloeError.is(error, 'invalid-input') && /"x".*collides/.test(error.message),
            );

            // A projection ties on its own features only: asking va:y alone still picks by created time first.
            const onlyY = await getHistoricalFeatures(context, { entities: table, features: ['va:y'] }).toArrow();
            const expectedY = reference(entities, rowsA, {
              key: (row) => row.driver,
              entityKey: driver,
              ttl: ttlA,
              features: [(row) => row.y],
            });
            assert.deepEqual(
              columnValues(onlyY, 'y'),
              expectedY.map((row) => row[0]),
            );
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});
