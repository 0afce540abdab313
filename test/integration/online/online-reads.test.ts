// services: rest-catalog
// Online reads against the real catalogs and storage (SQL catalog on a local warehouse; the REST
// fixture on MinIO): many small files from many materialized windows, the same answers from a
// table holding the same latest rows in one append, bucket pruning, TTL, and snapshot refresh.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { latestPerEntitySql } from '../../../engine/feature-queries/latest-per-entity.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { OnlineFeaturesResponse } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import { eq } from '../../../iceberg/expressions/index.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { parseTransform } from '../../../iceberg/spec/transforms.js';
import { testRuntime } from '../../support/runtime.js';
import type { Runtime } from '../../../features/runtime.js';
import {
  appendSource,
  createEmptySourceTable,
  definitions,
  latestInWindows,
  restCase,
  sqlCase,
  VIEW,
} from '../../support/online/online-view.js';
import type { CatalogCase, SourceRow } from '../../support/online/online-view.js';
import { isoMillis } from '../../../contracts/instants.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');
const BUCKETS = 4;
const TTL_HOURS = 6;
const MISSING = [9_999, 123_456_789_012];

const scratch = scratchFolder('online-reads');

/** 30 drivers, a report every 50–130 minutes over three days; 1029 and 1030 stop after the first day. */
function sourceRows(): SourceRow[] {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const rows: SourceRow[] = [];
  for (let driver = 1001; driver <= 1030; driver++) {
    const stop = driver >= 1029 ? START + 24 * HOUR : START + 72 * HOUR;
    for (let time = START + Math.floor(random() * HOUR); time < stop; time += 50 * 60_000 + Math.floor(random() * 80 * 60_000)) {
      rows.push({
        driver_id: driver,
        conv_rate: Math.round(random() * 1000) / 1000,
        trips: Math.floor(random() * 500),
        event: time,
        created: time + 60_000,
      });
      // Now and then a correction: the same event time, created later.
      if (random() < 0.2)
        rows.push({
          driver_id: driver,
          conv_rate: Math.round(random() * 1000) / 1000,
          trips: 1000 + Math.floor(random() * 500),
          event: time,
          created: time + 30 * 60_000,
        });
    }
  }
  return rows;
}

const WINDOWS = Array.from({ length: 6 }, (_, index) => ({ start: START + index * 12 * HOUR, end: START + (index + 1) * 12 * HOUR }));
/** The readers' clock: an hour after the last materialized window ends. */
let clock = WINDOWS[4]!.end + HOUR;

describe('online reads', () => {
  test('SQL catalog, local warehouse', async () => {
    await runCase(sqlCase(path.join(scratch, 'sql')));
  });
  test('REST catalog, S3 (MinIO)', async () => {
    await runCase(restCase());
  });
});

async function runCase(testCase: CatalogCase): Promise<void> {
  const sourceTable = `${testCase.namespace}.driver_stats`;
  const onlineNamespace = `${testCase.namespace}_online`;
  const directory = path.join(scratch, testCase.name);
  const runtime = await testRuntime({
    directory,
    catalog: testCase.config,
    definitions: definitions(sourceTable, { buckets: BUCKETS, ttl: { hours: TTL_HOURS } }),
    onlineNamespace,
  });
  try {
    const { catalog, engine } = runtime;
    const registry = runtime.project.registry;
    const context = { registry, catalog, engine, workDirectory: runtime.project.config.workDirectory };
    const rows = sourceRows();
    clock = WINDOWS[4]!.end + HOUR;
    await createEmptySourceTable(catalog, sourceTable);
    // Two appends, so windows read a source of more than one file.
    await appendSource(
      context,
      sourceTable,
      rows.filter((_, index) => index % 2 === 0),
    );
    await appendSource(
      context,
      sourceTable,
      rows.filter((_, index) => index % 2 === 1),
    );
    for (const window of WINDOWS.slice(0, 5)) {
      await materializeWindow(
        context,
        VIEW,
        { start: new Date(window.start), end: new Date(window.end) },
        `${testCase.name}-${window.start}`,
      );
    }

    const drivers = [...Array.from({ length: 30 }, (_, index) => 1001 + index), ...MISSING];
    const entityRows = drivers.map((driver_id) => ({ driver_id }));
    const store = new OnlineStore({ registry, catalog, engine, refreshIntervalMs: 0, clock: () => clock });
    const many = await store.getOnlineFeatures({ features: [`${VIEW}:conv_rate`, `${VIEW}:trips`], entityRows });
    checkAgainstSource(many, drivers, latestInWindows(rows, WINDOWS.slice(0, 5)));
    const read = many.reads[0]!;
    assert.ok(read.dataFiles > BUCKETS * 3, `five windows leave many small files (${read.dataFiles})`);

    // One key: only files of its bucket, and exactly those the planner keeps for `driver_id = key`.
    await checkOneKeyPruning(runtime, store, registry, 1007);

    // The same latest rows written in one append (what a compaction leaves) answer the same.
    const compacted = await compactedCopy(runtime, registry, onlineNamespace);
    const compactedStore = new OnlineStore({ registry: compacted, catalog, engine, refreshIntervalMs: 0, clock: () => clock });
    const again = await compactedStore.getOnlineFeatures({ features: [`${VIEW}:conv_rate`, `${VIEW}:trips`], entityRows });
    assert.deepEqual(again.features, many.features);
    assert.deepEqual(again.entities, many.entities);
    assert.ok(again.reads[0]!.dataFiles <= BUCKETS);
    const single = await compactedStore.getOnlineFeatures({ features: [`${VIEW}:trips`], entityRows: [{ driver_id: 1007 }] });
    assert.equal(single.reads[0]!.filesRead.length, 1);

    // A store holding a snapshot whose files are gone (the table dropped with purge and rebuilt)
    // reads again from the current snapshot instead of failing.
    const holder = new OnlineStore({ registry: compacted, catalog, engine, refreshIntervalMs: 3_600_000, clock: () => clock });
    const held = await holder.getOnlineFeatures({ features: [VIEW], entityRows: [] });
    await catalog.dropTable(compacted.onlineTableOf(compacted.featureView(VIEW)), { purge: true });
    await compactedCopy(runtime, registry, onlineNamespace);
    const reread = await holder.getOnlineFeatures({ features: [`${VIEW}:conv_rate`, `${VIEW}:trips`], entityRows });
    assert.notEqual(reread.reads[0]!.snapshotId, held.reads[0]!.snapshotId);
    assert.deepEqual(reread.features, many.features);

    // A store that checks the catalog rarely keeps its snapshot until it refreshes; the refresh
    // reads the new manifest list and the one manifest the append added, nothing else.
    const lazy = new OnlineStore({ registry, catalog, engine, refreshIntervalMs: 3_600_000, clock: () => clock });
    const before = await lazy.getOnlineFeatures({ features: [VIEW], entityRows });
    const counters = () => Object.values(lazy.stats().tables)[0]!;
    const readsBefore = counters().manifestReads;
    await materializeWindow(context, VIEW, { start: new Date(WINDOWS[5]!.start), end: new Date(WINDOWS[5]!.end) }, `${testCase.name}-last`);
    const stale = await lazy.getOnlineFeatures({ features: [VIEW], entityRows });
    assert.equal(stale.reads[0]!.snapshotId, before.reads[0]!.snapshotId);
    await lazy.refresh();
    clock = WINDOWS[5]!.end + HOUR;
    assert.equal(counters().manifestReads - readsBefore, 2, 'a refresh reads the new manifest list and the new manifest only');
    const fresh = await lazy.getOnlineFeatures({ features: [VIEW], entityRows });
    assert.notEqual(fresh.reads[0]!.snapshotId, before.reads[0]!.snapshotId);
    checkAgainstSource(fresh, drivers, latestInWindows(rows, WINDOWS));

    // A view whose online table was never written: every key is missing, nothing fails.
    const never = new Registry(definitions(sourceTable, { buckets: BUCKETS, onlineTable: `${onlineNamespace}.never_materialized` }), {
      onlineNamespace,
    });
    const empty = await new OnlineStore({ registry: never, catalog, engine, refreshIntervalMs: 0 }).getOnlineFeatures({
      features: [`${VIEW}:trips`],
      entityRows: [{ driver_id: 1001 }],
    });
    assert.deepEqual(empty.features[0]!.statuses, ['NOT_FOUND']);
    assert.equal(empty.reads[0]!.snapshotId, null);
  } finally {
    await runtime.close();
  }
}

function checkAgainstSource(
  response: OnlineFeaturesResponse,
  drivers: readonly number[],
  expected: Map<number, { conv_rate: number; trips: bigint; event: number }>,
): void {
  assert.deepEqual(response.entities, [{ name: 'driver_id', values: drivers.map(BigInt) }]);
  const conv = response.features.find((feature) => feature.feature === 'conv_rate')!;
  const trips = response.features.find((feature) => feature.feature === 'trips')!;
  let present = 0;
  let expired = 0;
  drivers.forEach((driver, index) => {
    const want = expected.get(driver);
    if (!want) {
      assert.equal(conv.statuses[index], 'NOT_FOUND', `driver ${driver}`);
      assert.equal(conv.values[index], null);
      assert.equal(conv.eventTimestamps[index], null);
      return;
    }
    assert.equal(conv.eventTimestamps[index], isoMillis(want.event), `driver ${driver}`);
    if (want.event < clock - TTL_HOURS * HOUR) {
      expired++;
      assert.equal(conv.statuses[index], 'OUTSIDE_MAX_AGE', `driver ${driver}`);
      assert.equal(conv.values[index], null, 'an expired value is not served');
      assert.equal(trips.values[index], null);
      return;
    }
    present++;
    assert.equal(conv.statuses[index], 'PRESENT', `driver ${driver}`);
    assert.equal(conv.values[index], want.conv_rate, `driver ${driver}`);
    assert.equal(trips.values[index], want.trips, `driver ${driver}`);
  });
  assert.ok(present > 10 && expired >= 2, `the data has present (${present}) and expired (${expired}) keys`);
}

async function checkOneKeyPruning(runtime: Runtime, store: OnlineStore, registry: Registry, driver: number): Promise<void> {
  const response = await store.getOnlineFeatures({ features: [`${VIEW}:conv_rate`], entityRows: [{ driver_id: driver }] });
  const read = response.reads[0]!;
  const table = await runtime.catalog.loadTable(registry.onlineTableOf(registry.featureView(VIEW)));
  const bucket = parseTransform(`bucket[${BUCKETS}]`).bind('long').apply(BigInt(driver));
  const all = await planScan(table);
  const ofBucket = all.tasks.filter((task) => task.dataFile.partition[0] === bucket).map((task) => task.dataFile.filePath);
  const planned = await planScan(table, { filter: eq('driver_id', driver) });
  assert.ok(read.filesRead.length > 0);
  assert.ok(read.filesRead.length < read.dataFiles, `a one-key read opens ${read.filesRead.length} of ${read.dataFiles} files`);
  for (const file of read.filesRead) assert.ok(ofBucket.includes(file), `${file} is in bucket ${String(bucket)}`);
  assert.deepEqual([...read.filesRead].sort(), planned.tasks.map((task) => task.dataFile.filePath).sort());
  assert.ok(planned.summary.manifestsSkipped + planned.summary.dataFilesSkipped > 0);
}

/** A second online table with the view's layout holding the first one's latest rows, in one append. */
async function compactedCopy(runtime: Runtime, registry: Registry, onlineNamespace: string): Promise<Registry> {
  const view = registry.featureView(VIEW);
  const sourceTable = registry.sourceOf(view).table;
  const copy = new Registry(
    definitions(sourceTable, { buckets: BUCKETS, ttl: { hours: TTL_HOURS }, onlineTable: `${onlineNamespace}.compacted` }),
    { onlineNamespace },
  );
  const layout = onlineTableLayout(copy, copy.featureView(VIEW));
  await ensureOnlineTable(runtime.catalog, layout);
  const scan = await scanTable(await runtime.catalog.loadTable(registry.onlineTableOf(view)));
  const latest = await runtime.engine.withConnection((connection) =>
    latestPerEntitySql(connection, {
      relation: scan.sql,
      keyColumns: ['driver_id'],
      eventTimestampColumn: 'event_ts',
      createdTimestampColumn: 'created_ts',
    }),
  );
  await appendQuery({
    catalog: runtime.catalog,
    engine: runtime.engine,
    identifier: layout.identifier,
    query: latest,
    workDirectory: runtime.project.config.workDirectory,
  });
  return copy;
}
