// services: temporal
// Windowed aggregations served online (issue 15): an aggregated view materialized through the
// materialize workflow on the Temporal dev server answers, for EVERY entity (those without events
// too), exactly what a brute-force aggregation over the source rows gives for an entity row at the
// read's exactAsOf: after the first runs, after a covered window is run again, after compaction
// through the compact workflow (which also drops tiles no window needs), after late rows and an
// incremental run, after a row-level delete in the source (a restatement) and another compaction,
// and after a compaction that a materialization committed into between its plan and its commit.
// At every stage the same values must also come out of the offline engine (getHistoricalFeatures)
// for an entity row per entity at exactAsOf: online serving and training agree.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import { toPrimitiveValue } from '../../../engine/values.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import { aggregatedFeaturesOf, longestWindowSeconds } from '../../../features/aggregations.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { OnlineStore } from '../../../features/online/online-store.js';
import { presentValue } from '../../../features/online/response.js';
import type { OnlineValue } from '../../../features/online/response.js';
import { planCompaction, resolveCompactionTarget, rewriteAndCommit } from '../../../features/compaction/index.js';
import type { Runtime } from '../../../features/runtime.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import type { CompactResult } from '../../../contracts/compact.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { eq } from '../../../iceberg/expressions/expression.js';
import { referenceAggregates } from '../../support/aggregation-reference.js';
import type { ReferenceEvent } from '../../support/aggregation-reference.js';
import { sqliteCatalog } from '../../support/pyiceberg.js';
import { testRuntime } from '../../support/runtime.js';
import { startTestWorker } from '../../support/temporal.js';
import type { TestWorker } from '../../support/temporal.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-06-01T00:00:00Z');
const VIEW = 'driver_windows';
const DRIVERS = 24;
/** Asked for too, but never given an event. */
const ABSENT = [900, 901];

interface Event extends ReferenceEvent {
  readonly driver: number;
  readonly trips: number | null;
}

const scratch = scratchFolder('aggregated-online');

/** A fixed pseudo-random sequence (no clock, no Math.random). */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Events between `from` and `to` (ms): quarter-hour times and few created times, so duplicates are common; some values null. */
function events(random: () => number, count: number, from: number, to: number, drivers: number[]): Event[] {
  return Array.from({ length: count }, () => {
    const quarter = Math.floor(random() * ((to - from) / (HOUR / 4)));
    const event = from + quarter * (HOUR / 4);
    return {
      driver: drivers[Math.floor(random() * drivers.length)]!,
      eventTs: BigInt(event) * 1000n,
      createdTs: random() < 0.2 ? null : BigInt(event + Math.floor(random() * 3) * 1000) * 1000n,
      value: random() < 0.15 ? null : Math.floor(random() * 40 - 10) / 4,
      trips: random() < 0.1 ? null : Math.floor(random() * 9),
    };
  });
}

async function append(runtime: Runtime, table: string, rows: readonly Event[]): Promise<void> {
  const micros = (value: bigint | null) =>
    value === null ? 'CAST(NULL AS TIMESTAMPTZ)' : `CAST(${quoteLiteral(isoOf(value))} AS TIMESTAMPTZ)`;
  const values = rows.map(
    (row) =>
      `(${row.driver}::BIGINT, ${row.value === null ? 'NULL' : String(row.value)}::DOUBLE, ${row.trips === null ? 'NULL' : String(row.trips)}::BIGINT, ${micros(row.eventTs)}, ${micros(row.createdTs)})`,
  );
  await appendQuery({
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
    identifier: parseTableIdentifier(table),
    query: `SELECT * FROM (VALUES ${values.join(', ')}) AS v(driver_id, conv_rate, trips, event_timestamp, created)`,
  });
}

function isoOf(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

test('online aggregates equal the brute-force reference for every entity, through materialize, compaction, late rows and deletes', async () => {
  const directory = path.join(scratch, 'case');
  const sourceTable = 'agg.driver_stats';
  const catalog = sqliteCatalog(directory);
  assert.equal(catalog.type, 'sql');
  const definitions = [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_source', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'driver_source',
      aggregations: [
        { column: 'conv_rate', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['1h', '3h'] },
        { column: 'trips', type: 'long', functions: ['sum', 'last'], windows: ['2h'] },
        { column: 'trips', type: 'long', functions: ['count'], windows: ['1h'], name: 'recent_trip_rows' },
      ],
      online: { buckets: 4, retention: { hours: 6 } },
    }),
  ];
  const runtime = await testRuntime({
    directory,
    catalog: { type: 'sql', name: 'floe_oracle', uri: catalog.uri, warehouse: catalog.warehouse },
    definitions,
    onlineNamespace: 'agg_online',
  });
  await createEmptySourceTable(runtime.catalog, sourceTable);
  const view = runtime.project.registry.featureView(VIEW);
  const features = aggregatedFeaturesOf(view);
  const random = generator(15);
  const drivers = Array.from({ length: DRIVERS }, (_, index) => index + 1);
  const committed: Event[] = [...events(random, 160, T0 - 10 * HOUR, T0 + HOUR, drivers)];
  await append(runtime, sourceTable, committed.slice(0, 80));
  await append(runtime, sourceTable, committed.slice(80));

  let worker: TestWorker | undefined;
  try {
    worker = await startTestWorker(runtime);
    const started = worker;
    const materialize = async (input: { start?: string; end: string }): Promise<MaterializeResult> =>
      started.client.workflow.execute('materialize', {
        taskQueue: started.taskQueue,
        workflowId: `aggregated-${randomUUID()}`,
        args: [{ featureView: VIEW, ...input }],
      });
    const compact = async (): Promise<CompactResult> =>
      started.client.workflow.execute('compact', {
        taskQueue: started.taskQueue,
        workflowId: `aggregated-compact-${randomUUID()}`,
        args: [{ featureView: VIEW }, { minFiles: 0, skipCleanup: true }],
      });

    const context = {
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.project.config.workDirectory,
    };
    /** The offline engine's values (getHistoricalFeatures) for one entity row per driver at `exactAsOf`, in the online read's form. */
    const offlineValues = async (everyone: readonly number[], exactAsOf: string): Promise<OnlineValue[][]> => {
      const entities = everyone.map((driver) => `(${driver}::BIGINT, CAST(${quoteLiteral(exactAsOf)} AS TIMESTAMPTZ))`).join(', ');
      const job = getHistoricalFeatures(context, {
        entities: { sql: `SELECT * FROM (VALUES ${entities}) AS e(driver_id, event_timestamp)` },
        features: features.map((feature) => `${VIEW}:${feature.name}`),
        timestampColumn: 'event_timestamp',
      });
      const rows = await job.run(async (connection, query) =>
        (
          await connection.runAndReadAll(
            `SELECT ${features.map((feature) => q(feature.name)).join(', ')} FROM (${query}) ORDER BY ${q('driver_id')}`,
          )
        ).getRows(),
      );
      return rows.map((row) =>
        features.map((feature, index) => presentValue(feature.type, toPrimitiveValue(row[index] ?? null, feature.type))),
      );
    };

    // A store that serves every stage: the keys it combined belong to the snapshot they were combined for.
    const servingAll = new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      refreshIntervalMs: 0,
    });
    /**
     * Every entity's online values against the reference over the source rows not deleted, and
     * against the offline engine, at the read's exactAsOf.
     */
    const check = async (stage: string, expectedAsOf: number, rows: readonly Event[]): Promise<void> => {
      const store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine });
      const everyone = [...new Set([...drivers, ...rows.map((row) => row.driver), ...ABSENT])].sort((a, b) => a - b);
      const response = await store.getOnlineFeatures({ features: [VIEW], entityRows: everyone.map((driver) => ({ driver_id: driver })) });
      // A row cache too small for any file: every file is read for the keys asked only, with the same answer.
      const byKey = new OnlineStore({
        registry: runtime.project.registry,
        catalog: runtime.catalog,
        engine: runtime.engine,
        maxCachedRows: 1,
      });
      const answer = await byKey.getOnlineFeatures({ features: [VIEW], entityRows: everyone.map((driver) => ({ driver_id: driver })) });
      assert.deepEqual(answer, response, `${stage}: read by key`);
      assert.equal(byKey.stats().rowCache.files, 0);
      const served = await servingAll.getOnlineFeatures({
        features: [VIEW],
        entityRows: everyone.map((driver) => ({ driver_id: driver })),
      });
      assert.deepEqual(served, response, `${stage}: read by a store that served the earlier stages`);
      const read = response.reads[0]!;
      assert.equal(read.exactAsOf, new Date(expectedAsOf - 1).toISOString().replace('Z', '999Z'), `${stage}: exactAsOf`);
      const at = BigInt(expectedAsOf) * 1000n - 1n;
      everyone.forEach((driver, index) => {
        const mine = rows.filter((row) => row.driver === driver);
        const expected = features.map((feature) => {
          const source = feature.column === 'trips' ? mine.map((row) => ({ ...row, value: row.trips })) : mine;
          return referenceAggregates([feature], source, at)[0] ?? null;
        });
        const online = features.map((feature) => response.features.find((vector) => vector.feature === feature.name)!.values[index]);
        assert.deepEqual(online, expected, `${stage}: driver ${driver}`);
      });
      const offline = await offlineValues(everyone, read.exactAsOf!);
      assert.equal(offline.length, everyone.length, `${stage}: one offline row per entity`);
      everyone.forEach((driver, index) => {
        const online = features.map((feature) => response.features.find((vector) => vector.feature === feature.name)!.values[index]);
        assert.deepEqual(online, offline[index], `${stage}: driver ${driver}, online against the offline engine`);
      });
    };

    // An explicit window, then an incremental run from the watermark: delta tiles.
    const first = await materialize({
      start: new Date(T0 - 12 * HOUR).toISOString(),
      end: new Date(T0 - 5 * HOUR - HOUR / 2).toISOString(),
    });
    assert.ok(first.rows > 0);
    const second = await materialize({ end: new Date(T0).toISOString() });
    assert.equal(second.start, new Date(T0 - 5 * HOUR - HOUR / 2).toISOString());
    await check('after materialize', T0, committed);
    // An explicit window already covered, run again (start and end inside tiles): nothing counted twice.
    await materialize({ start: new Date(T0 - 8 * HOUR - HOUR / 4).toISOString(), end: new Date(T0 - 3 * HOUR - HOUR / 2).toISOString() });
    await check('after a covered window ran again', T0, committed);

    const compacted = await compact();
    assert.ok(compacted.partitionsRewritten > 0, 'the compaction rewrote partitions');
    await check('after compaction', T0, committed);
    // Tiles before t − the longest window are gone.
    const online = await runtime.catalog.loadTable(runtime.project.registry.onlineTableOf(view));
    const keepFrom = T0 - longestWindowSeconds(view) * 1000;
    const scan = await scanTable(online, { columns: ['tile_start'] });
    const stale = await runtime.engine.withConnection(async (connection) =>
      Number(
        (
          await connection.runAndReadAll(
            `SELECT count(*) AS n FROM (${scan.sql}) WHERE tile_start < CAST(${quoteLiteral(new Date(keepFrom).toISOString())} AS TIMESTAMPTZ)`,
          )
        ).getRowObjects()[0]!['n'],
      ),
    );
    assert.equal(stale, 0, 'compaction dropped the tiles no window needs');

    // Late rows (before the watermark, a new driver among them) and newer ones; an incremental run.
    const late = [...events(random, 30, T0 - 3 * HOUR, T0, [...drivers, 77]), ...events(random, 30, T0, T0 + 2 * HOUR, drivers)];
    await append(runtime, sourceTable, late);
    committed.push(...late);
    const third = await materialize({ end: new Date(T0 + 2 * HOUR).toISOString() });
    assert.ok((third.late?.files ?? 0) > 0, 'the run read the late rows');
    await check('after late rows', T0 + 2 * HOUR, committed);

    // A row-level delete in the source: the next run restates, and the deleted rows drop out.
    const deletes = await deleteRows(await runtime.catalog.loadTable(parseTableIdentifier(sourceTable)), {
      engine: runtime.engine,
      filter: eq('driver_id', 3),
      workDirectory: path.join(directory, 'delete'),
    });
    assert.ok(deletes.change);
    await commitChange(runtime.catalog, parseTableIdentifier(sourceTable), deletes.change);
    const remaining = committed.filter((row) => row.driver !== 3);
    const fourth = await materialize({ end: new Date(T0 + 3 * HOUR).toISOString() });
    assert.ok(fourth.late?.fallback !== undefined, 'a delete is restated');
    await check('after a delete', T0 + 3 * HOUR, remaining);
    await compact();
    await check('after the second compaction', T0 + 3 * HOUR, remaining);

    // A materialization that commits while a compaction is between its plan and its commit still counts.
    const meanwhile = events(random, 30, T0 + 3 * HOUR, T0 + 4 * HOUR, drivers);
    await append(runtime, sourceTable, meanwhile);
    remaining.push(...meanwhile);
    await materialize({ end: new Date(T0 + 3 * HOUR + HOUR / 2).toISOString() });
    const target = await resolveCompactionTarget(context, { featureView: VIEW });
    const plan = await planCompaction(context, target, { minFiles: 0 });
    // Deltas into the tile the compaction is about to replace with a full row.
    await materialize({ end: new Date(T0 + 4 * HOUR).toISOString() });
    const rewritten = await rewriteAndCommit(context, plan, {
      idempotencyKey: `compact-meanwhile-${randomUUID()}`,
      filePrefix: 'meanwhile',
    });
    assert.ok(rewritten.groupsRewritten > 0);
    await check('after a compaction that a materialization overtook', T0 + 4 * HOUR, remaining);
  } finally {
    await worker?.close();
    await runtime.close();
  }
});
