// services: python
// An aggregated view's tiles read through the on-disk row store (files too large for the row cache)
// answer what reads from Parquet answer, and what a brute-force aggregation over pyiceberg's read
// of the source rows gives: through several materialized windows (several tile rows per key, each
// key in several files), a row delete in the online table (merge-on-read), a compaction, a restart,
// and a file that holds a key's rows apart (stored through the sorted read). Keys whose tiles are
// all numbers are stored column by column, the others (longs summing past 2^53) as values.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { appendQuery } from '../../../engine/write/append-query.js';
import { ROW_GROUP_LIMIT } from '../../../engine/write/table-writer.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { aggregatedFeaturesOf } from '../../../features/aggregations.js';
import { compactTable, resolveCompactionTarget } from '../../../features/compaction/index.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { OnlineFeaturesResponse } from '../../../features/online/index.js';
import type { Runtime } from '../../../features/runtime.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { eq } from '../../../iceberg/expressions/index.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { defined } from '../../../contracts/defined.js';
import { referenceAggregates } from '../../support/aggregation-reference.js';
import type { ReferenceEvent } from '../../support/aggregation-reference.js';
import { plantOnlineTiles } from '../../support/pipelines/plant-online-tile.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import type { RowsReply } from '../../support/pyiceberg.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-06-01T00:00:00Z');
const END = T0 + 12 * HOUR;
const VIEW = 'driver_windows';
const SOURCE_TABLE = 'aggstore.driver_stats';
const DRIVERS = 40;
const DELETED = 7;
/** Every driver, and two that never had an event. */
const KEYS = [...Array.from({ length: DRIVERS }, (_, index) => index + 1), 900, 901];

const scratch = scratchFolder('aggregated-row-store');

/** Deterministic events over the 12 hours: each driver's at distinct minutes; some values null. */
function sourceValues(): string[] {
  let seed = 56;
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const rows: string[] = [];
  for (let driver = 1; driver <= DRIVERS; driver++) {
    const minutes = new Set<number>();
    while (minutes.size < 14) minutes.add(Math.floor(next() * 12 * 60));
    for (const minute of minutes) {
      const event = new Date(T0 + minute * 60_000).toISOString();
      const created = new Date(T0 + minute * 60_000 + 1000).toISOString();
      // Quarters: their sums are exact in any order.
      const conv = next() < 0.1 ? 'NULL' : String(Math.floor(next() * 40 - 10) / 4);
      // Every fifth driver's trips are multiples of 2^50: their sums pass 2^53, so those keys' tiles are
      // stored as values rather than as doubles (row-store-encoding.ts), and stay exact (in the reference too).
      const scale = driver % 5 === 0 ? 2n ** 50n : 1n;
      const trips = next() < 0.1 ? 'NULL' : String(BigInt(Math.floor(next() * 50)) * scale);
      rows.push(
        `(${driver}::BIGINT, ${conv}::DOUBLE, ${trips}::BIGINT, CAST(${quoteLiteral(event)} AS TIMESTAMPTZ), CAST(${quoteLiteral(created)} AS TIMESTAMPTZ))`,
      );
    }
  }
  return rows;
}

async function openProject(directory: string) {
  const oracle = sqliteCatalog(directory) as { type: 'sql'; uri: string; warehouse: string };
  const runtime = await testRuntime({
    directory,
    catalog: { type: 'sql', name: 'floe_oracle', uri: oracle.uri, warehouse: oracle.warehouse },
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({
        name: 'driver_source',
        table: SOURCE_TABLE,
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      }),
      defineFeatureView({
        name: VIEW,
        entities: ['driver'],
        source: 'driver_source',
        aggregations: [
          { column: 'conv_rate', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['1h', '3h'] },
          { column: 'trips', type: 'long', functions: ['sum', 'last'], windows: ['2h'] },
        ],
        online: { buckets: 2 },
      }),
    ],
    onlineNamespace: 'aggstore_online',
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  const values = sourceValues();
  // Two appends: a materialized window reads both.
  for (const part of [values.slice(0, values.length / 2), values.slice(values.length / 2)])
    await appendQuery({
      ...context,
      identifier: parseTableIdentifier(SOURCE_TABLE),
      query: `SELECT * FROM (VALUES ${part.join(', ')}) AS v(driver_id, conv_rate, trips, event_timestamp, created)`,
    });
  return { oracle, runtime, context };
}

/** An online store reading every file through the row store (a row cache too small for any file), or from Parquet. */
function onlineStore(runtime: Runtime, rowStoreDirectory?: string): OnlineStore {
  return new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    refreshIntervalMs: 0,
    clock: () => END + HOUR,
    maxCachedRows: 1,
    ...defined({ rowStoreDirectory }),
  });
}

/** Per column aggregated, per driver, its events as pyiceberg reads the source table. */
async function sourceEvents(catalog: ReturnType<typeof sqliteCatalog>): Promise<Map<string, Map<number, ReferenceEvent[]>>> {
  const { rows } = await runPyiceberg<RowsReply>('read', { catalog, identifier: SOURCE_TABLE });
  const byColumn = new Map(['conv_rate', 'trips'].map((column) => [column, new Map<number, ReferenceEvent[]>()]));
  for (const row of rows) {
    const driver = Number(row.driver_id);
    for (const [column, byDriver] of byColumn) {
      const held = byDriver.get(driver) ?? [];
      held.push({
        eventTs: BigInt(Date.parse(String(row.event_timestamp))) * 1000n,
        createdTs: BigInt(Date.parse(String(row.created))) * 1000n,
        value: row[column] === null ? null : Number(row[column]),
      });
      byDriver.set(driver, held);
    }
  }
  return byColumn;
}

test("an aggregated view's tiles through the row store equal Parquet reads and brute force over pyiceberg's rows", async () => {
  const directory = path.join(scratch, 'table');
  const { oracle, runtime, context } = await openProject(directory);
  const view = runtime.project.registry.featureView(VIEW);
  const features = aggregatedFeaturesOf(view);
  const onlineTable = runtime.project.registry.onlineTableOf(view);
  const rowStoreDirectory = path.join(directory, 'online-rows');
  let fromStore = onlineStore(runtime, rowStoreDirectory);
  const fromParquet = onlineStore(runtime);
  const events = await sourceEvents(oracle);
  const request = { features: [VIEW], entityRows: KEYS.map((driver_id) => ({ driver_id })) };

  /** The store's answer, read once its files are stored, checked against Parquet's; extra counts added per driver. */
  const check = async (
    label: string,
    removed: readonly number[] = [],
    planted = new Map<number, number>(),
  ): Promise<OnlineFeaturesResponse> => {
    await fromStore.getOnlineFeatures(request);
    await fromStore.rowStoreIdle();
    const before = fromStore.stats().rowStore!;
    const answer = await fromStore.getOnlineFeatures(request);
    const after = fromStore.stats().rowStore!;
    assert.equal(after.buildFailures, 0, `${label}: no file failed to be stored`);
    assert.ok(after.keysRead - before.keysRead >= DRIVERS, `${label}: every key a file may hold was read from the store`);
    assert.deepEqual(answer, await fromParquet.getOnlineFeatures(request), `${label}: the store answers what Parquet answers`);
    assert.equal(answer.reads[0]!.exactAsOf, '2024-06-01T11:59:59.999999Z', `${label}: exactAsOf`);
    const at = BigInt(END) * 1000n - 1n;
    KEYS.forEach((driver, index) => {
      const reference = new Map(
        features.map((feature) => {
          const mine = removed.includes(driver) ? [] : (events.get(feature.column)?.get(driver) ?? []);
          return [feature.name, referenceAggregates([feature], mine, at)[0] ?? null];
        }),
      );
      // Planted rows (a conv_rate count, nothing else) count in the 3h window only (tile starts 2 and 3 hours before the end).
      const count = (reference.get('conv_rate_count_3h') as bigint) + BigInt(planted.get(driver) ?? 0);
      const sum = reference.get('conv_rate_sum_3h') as number | null;
      reference.set('conv_rate_count_3h', count);
      reference.set('conv_rate_avg_3h', sum === null || count === 0n ? null : sum / Number(count));
      const expected = features.map((feature) => reference.get(feature.name));
      const online = features.map((feature) => answer.features.find((vector) => vector.feature === feature.name)!.values[index]);
      assert.deepEqual(online, expected, `${label}: driver ${driver}`);
    });
    return answer;
  };

  try {
    // Three windows: each key has tiles in a file of each, several per file. The first window's
    // files are unsorted (the writer sorts only files past one row group), so a key's rows lie apart
    // in them; with row groups of 8 rows, the later windows' files are written sorted by key.
    for (let part = 0; part < 3; part++) {
      await materializeWindow(
        context,
        VIEW,
        { start: new Date(T0 + part * 4 * HOUR), end: new Date(T0 + (part + 1) * 4 * HOUR) },
        `window-${part}`,
      );
      if (part === 0)
        await runtime.catalog.commitTable(onlineTable, [], [{ action: 'set-properties', updates: { [ROW_GROUP_LIMIT]: '8' } }]);
    }
    const files = (await planScan(await runtime.catalog.loadTable(onlineTable))).tasks.map((task) => task.dataFile);
    assert.ok(
      files.some((file) => (file.sortOrderId ?? null) === null) && files.some((file) => (file.sortOrderId ?? null) !== null),
      'files written unsorted and sorted by key',
    );
    const answer = await check('after three windows');
    assert.ok(fromStore.stats().rowStore!.built >= 6, 'every file was stored');
    const counts = answer.features.find((vector) => vector.feature === 'conv_rate_count_3h')!.values;
    assert.ok(
      counts.some((count) => (count as bigint) > 1n),
      'some key has several events in a window',
    );

    const deleted = await deleteRows(await runtime.catalog.loadTable(onlineTable), {
      engine: runtime.engine,
      workDirectory: context.workDirectory,
      filter: eq('driver_id', DELETED),
    });
    assert.ok(deleted.deletedRows > 0 && deleted.change !== null);
    await commitChange(runtime.catalog, onlineTable, deleted.change);
    await check('after a row delete', [DELETED]);

    await compactTable(context, await resolveCompactionTarget(context, { featureView: VIEW }), { minFiles: 1 });
    await check('after compaction', [DELETED]);

    // A restarted server finds the stored files.
    fromStore.close();
    fromStore = onlineStore(runtime, rowStoreDirectory);
    await check('after a restart', [DELETED]);
    assert.equal(fromStore.stats().rowStore!.built, 0, 'a restarted store writes no file again');

    // Rows of drivers 1-8, then again: a bucket's file holds some key's rows apart.
    const drivers = [1, 2, 3, 4, 5, 6, 8, 9];
    const starts = [END - 3 * HOUR, END - 2 * HOUR].map((start) => new Date(start).toISOString());
    await plantOnlineTiles(
      context,
      VIEW,
      starts.flatMap((tileStart) => drivers.map((driverId) => ({ driverId, tileStart, partials: { conv_rate__count: 1 } }))),
    );
    assert.ok(await someKeyApart(runtime, onlineTable), 'a planted file holds a key in two runs of rows');
    await check('after a file holding a key apart', [DELETED], new Map(drivers.map((driver) => [driver, 2])));
  } finally {
    fromStore.close();
    fromParquet.close();
    await runtime.close();
  }
});

/** Whether a planted data file holds some key's rows in two runs (another key's rows between them). */
async function someKeyApart(runtime: Runtime, identifier: ReturnType<Runtime['project']['registry']['onlineTableOf']>): Promise<boolean> {
  const plan = await planScan(await runtime.catalog.loadTable(identifier), { columns: ['driver_id'] });
  const planted = plan.tasks.filter((task) => task.dataFile.filePath.includes('planted-tile-'));
  assert.ok(planted.length > 0);
  for (const task of planted) {
    const local = task.dataFile.filePath.replace(/^file:\/\//, '');
    const keys = await runtime.engine.withConnection(async (connection) =>
      (await connection.runAndReadAll(`SELECT driver_id FROM read_parquet(${quoteLiteral(local)})`)).getRows().map(([key]) => String(key)),
    );
    const runs = keys.filter((key, index) => index === 0 || keys[index - 1] !== key);
    if (new Set(runs).size < runs.length) return true;
  }
  return false;
}
