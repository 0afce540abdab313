// services: python
// Reads through the on-disk row store (files too large for the row cache) answer what pyiceberg's
// brute-force read of the online table says, and what reads from Parquet say, through appended
// windows, a row delete (merge-on-read), a compaction, a file that holds two rows of one key, a
// large file holding several rows of some keys, and a column added to the table and the view. A
// restarted store finds its files on disk.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { appendQuery } from '../../../engine/write/append-query.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { compactTable, resolveCompactionTarget } from '../../../features/compaction/index.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { OnlineFeaturesResponse } from '../../../features/online/index.js';
import { Registry } from '../../../features/registry.js';
import { eq } from '../../../iceberg/expressions/index.js';
import { formatTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import type { OracleCatalog, RowsReply } from '../../support/pyiceberg.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import type { Runtime } from '../../../features/runtime.js';
import { defined } from '../../../contracts/defined.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { appendSource, createEmptySourceTable, definitions, VIEW } from '../../support/online/online-view.js';
import type { SourceRow } from '../../support/online/online-view.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-06-01T00:00:00Z');
const DRIVERS = 60;
/** Every driver, and a few that never had a row. */
const KEYS = Array.from({ length: DRIVERS + 5 }, (_, index) => index + 1);

const scratch = scratchFolder('online-row-store');

/** Deterministic rows: each driver gets rows spread over two days. */
function sourceRows(): SourceRow[] {
  let seed = 42;
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const rows: SourceRow[] = [];
  for (let driver = 1; driver <= DRIVERS; driver++) {
    for (let index = 0; index < 6; index++) {
      const event = START + Math.floor(next() * 48 * 60) * 60_000 + index;
      rows.push({
        driver_id: driver,
        conv_rate: Math.round(next() * 1000) / 1000,
        trips: Math.floor(next() * 10_000),
        event,
        created: event,
      });
    }
  }
  return rows;
}

const SOURCE_TABLE = 'rides.driver_stats';

/** A runtime on a SQL catalog pyiceberg opens too, with the source table and its rows. */
async function openProject(directory: string) {
  // Floe's SQL catalog under pyiceberg's catalog name, so the oracle opens the same tables.
  const oracle = sqliteCatalog(directory) as { type: 'sql'; uri: string; warehouse: string };
  const runtime = await testRuntime({
    directory,
    catalog: { type: 'sql', name: 'floe_oracle', uri: oracle.uri, warehouse: oracle.warehouse },
    definitions: definitions(SOURCE_TABLE, { buckets: 3 }),
    onlineNamespace: 'rides_online',
  });
  const context = featureContext(runtime);
  const onlineTable = runtime.project.registry.onlineTableOf(runtime.project.registry.featureViews.get(VIEW)!);
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await appendSource(context, SOURCE_TABLE, sourceRows());
  return { oracle, runtime, context, onlineTable, onlineName: formatTableIdentifier(onlineTable) };
}

/** An online store reading every file through the row store (a row cache too small for any file), or from Parquet. */
function onlineStore(runtime: Runtime, registry: Registry, rowStoreDirectory?: string): OnlineStore {
  return new OnlineStore({
    registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    refreshIntervalMs: 0,
    clock: () => START + 72 * HOUR,
    maxCachedRows: 1,
    ...defined({ rowStoreDirectory }),
  });
}

test('row-store reads equal pyiceberg and Parquet reads through appends, a delete, compaction, a multi-row file and a new column', async () => {
  const directory = path.join(scratch, 'table');
  const sourceTable = SOURCE_TABLE;
  let registry = new Registry(definitions(sourceTable, { buckets: 3 }), { onlineNamespace: 'rides_online' });
  const { oracle, runtime, context, onlineTable, onlineName } = await openProject(directory);
  const rowStoreDirectory = path.join(directory, 'online-rows');
  const stores = (): { fromStore: OnlineStore; fromParquet: OnlineStore } => ({
    fromStore: onlineStore(runtime, registry, rowStoreDirectory),
    fromParquet: onlineStore(runtime, registry),
  });
  let { fromStore, fromParquet } = stores();
  const restart = (): void => {
    fromStore.close();
    ({ fromStore, fromParquet } = stores());
  };
  const features = (): string[] => [...registry.featureViews.get(VIEW)!.features.map((feature) => `${VIEW}:${feature.name}`)];

  const check = async (label: string): Promise<void> => {
    const request = { features: features(), entityRows: KEYS.map((driver_id) => ({ driver_id })) };
    await fromStore.getOnlineFeatures(request);
    await fromStore.rowStoreIdle();
    const before = fromStore.stats().rowStore!;
    const answer = await fromStore.getOnlineFeatures(request);
    const after = fromStore.stats().rowStore!;
    assert.equal(after.buildFailures, 0, `${label}: no file failed to be stored`);
    assert.equal(after.keysRead - before.keysRead >= DRIVERS, true, `${label}: every key a file may hold was read from the store`);
    assert.deepEqual(answer, await fromParquet.getOnlineFeatures(request), `${label}: the store answers what Parquet answers`);
    assertOracle(label, answer, await bruteForce(oracle, onlineName));
  };

  try {
    await materializeWindow(context, VIEW, { start: new Date(START), end: new Date(START + 24 * HOUR) }, 'first-day');
    await check('after the first window');
    await materializeWindow(context, VIEW, { start: new Date(START + 24 * HOUR), end: new Date(START + 48 * HOUR) }, 'second-day');
    await check('after the second window');

    const deleted = await deleteRows(await runtime.catalog.loadTable(onlineTable), {
      engine: runtime.engine,
      workDirectory: context.workDirectory,
      filter: eq('driver_id', 7),
    });
    assert.ok(deleted.deletedRows > 0 && deleted.change !== null);
    await commitChange(runtime.catalog, onlineTable, deleted.change);
    await check('after a row delete');

    await compactTable(context, await resolveCompactionTarget(context, { featureView: VIEW }), { minFiles: 1 });
    await check('after compaction');

    // One append, one file per bucket: driver 11's two rows share a file, and the later one wins.
    await appendOnline(context, onlineName, [
      [11, 0.5, 1, '2024-06-04T00:00:00Z'],
      [11, 0.25, 2, '2024-06-04T01:00:00Z'],
      [12, 0.75, 3, '2024-06-04T00:00:00Z'],
    ]);
    await check('after a file with two rows of a key');

    // A restarted server finds the stored files: the next read is answered from them.
    restart();
    await check('after a restart');
    assert.equal(fromStore.stats().rowStore!.built, 0, 'a restarted store writes no file again');

    await runPyiceberg('add_column', {
      catalog: sqliteCatalog(directory),
      identifier: onlineName,
      name: 'surge',
      type: 'double',
    });
    registry = new Registry(definitions(sourceTable, { buckets: 3, extraFeatures: [{ name: 'surge', type: 'double' }] }), {
      onlineNamespace: 'rides_online',
    });
    restart();
    await appendOnline(context, onlineName, [[13, 0.5, 4, '2024-06-05T00:00:00Z', 1.5]]);
    await check('after a column was added');
  } finally {
    fromStore.close();
    await runtime.close();
  }
});

test('after a compaction, reads stay on the stored files until the rewritten ones are stored; an append in between moves them at once', async () => {
  const directory = path.join(scratch, 'compaction');
  const { oracle, runtime, context, onlineTable, onlineName } = await openProject(directory);
  const registry = runtime.project.registry;
  const store = onlineStore(runtime, registry, path.join(directory, 'online-rows'));
  const fromParquet = onlineStore(runtime, registry);
  const request = {
    features: registry.featureViews.get(VIEW)!.features.map((feature) => `${VIEW}:${feature.name}`),
    entityRows: KEYS.map((driver_id) => ({ driver_id })),
  };
  const snapshotRead = (): string | null => store.stats().tables[onlineName]!.snapshotId;
  const currentSnapshot = async (): Promise<string> => String((await runtime.catalog.loadTable(onlineTable)).metadata.currentSnapshotId);
  const compact = async (): Promise<void> => {
    await compactTable(context, await resolveCompactionTarget(context, { featureView: VIEW }), { minFiles: 1 });
  };
  try {
    for (const day of [0, 1])
      await materializeWindow(
        context,
        VIEW,
        { start: new Date(START + day * 24 * HOUR), end: new Date(START + (day + 1) * 24 * HOUR) },
        `day-${day}`,
      );
    await store.getOnlineFeatures(request);
    await store.rowStoreIdle();
    const stored = await currentSnapshot();

    await compact();
    const compacted = await currentSnapshot();
    assert.notEqual(compacted, stored);
    const before = store.stats().rowStore!.keysRead;
    const during = await store.getOnlineFeatures(request);
    assert.equal(snapshotRead(), stored, 'while the rewritten files are stored, reads answer from the snapshot before the compaction');
    assert.ok(store.stats().rowStore!.keysRead - before >= DRIVERS, 'from the row store');
    assert.deepEqual(
      during.features,
      (await fromParquet.getOnlineFeatures(request)).features,
      'what the compacted table answers from Parquet',
    );
    assertOracle('during the rebuild', during, await bruteForce(oracle, onlineName));

    await store.rowStoreIdle();
    assert.deepEqual((await store.getOnlineFeatures(request)).features, during.features);
    assert.equal(snapshotRead(), compacted, 'once they are stored, reads move to the compacted snapshot');
    assert.equal(store.stats().rowStore!.buildFailures, 0);

    // A compaction, then an append before the store has the rewritten files: the append is read at once.
    await appendOnline(context, onlineName, [[3, 0.125, 9, '2024-06-04T00:00:00Z']]);
    await compact();
    assert.equal((await runtime.catalog.loadTable(onlineTable)).metadata.snapshots.at(-1)!.summary.operation, 'replace');
    await appendOnline(context, onlineName, [[4, 0.375, 8, '2024-06-04T00:00:00Z']]);
    const answer = await store.getOnlineFeatures(request);
    assert.equal(snapshotRead(), await currentSnapshot(), 'a snapshot that adds rows is read at once');
    assertOracle('after a compaction and an append', answer, await bruteForce(oracle, onlineName));
    await store.rowStoreIdle();
  } finally {
    store.close();
    fromParquet.close();
    await runtime.close();
  }
});

test('a large file holding several rows of some keys is stored with their latest rows, as Parquet and pyiceberg read it', async () => {
  const directory = path.join(scratch, 'repeated-keys');
  const { oracle, runtime, context, onlineName } = await openProject(directory);
  const registry = runtime.project.registry;
  const store = onlineStore(runtime, registry, path.join(directory, 'online-rows'));
  const fromParquet = onlineStore(runtime, registry);
  // Thousands of rows per bucket file, so the store has taken pages of a file before it meets a key's
  // second row; the repeated keys' rows come last: an earlier row, the latest, and one that ties the
  // latest on event time but was created earlier.
  const unique = { first: 1_001, last: 13_000 };
  const repeated = { first: 12_901, last: 13_000 };
  const rows = (first: number, last: number, conv: string, event: string, created: string): string =>
    `SELECT i::BIGINT AS driver_id, ${conv} AS conv_rate, (i * 7)::BIGINT AS trips, TIMESTAMPTZ '${event}' AS event_ts, ` +
    `TIMESTAMPTZ '${created}' AS created_ts, TIMESTAMPTZ '${event}' AS materialized_at FROM range(${first}, ${last + 1}) AS t(i)`;
  const held = [
    ...Array.from({ length: 40 }, (_, index) => unique.first + index * 97),
    ...Array.from({ length: repeated.last - repeated.first + 1 }, (_, index) => repeated.first + index),
  ];
  const keys = [...held, unique.last + 1];
  const request = {
    features: registry.featureViews.get(VIEW)!.features.map((feature) => `${VIEW}:${feature.name}`),
    entityRows: keys.map((driver_id) => ({ driver_id })),
  };
  try {
    await materializeWindow(context, VIEW, { start: new Date(START), end: new Date(START + 24 * HOUR) }, 'first-day');
    await appendOnlineQuery(
      context,
      onlineName,
      [
        rows(unique.first, unique.last, '(i % 1000) / 1000.0', '2024-06-03 00:00:00+00', '2024-06-03 00:00:00+00'),
        rows(repeated.first, repeated.last, '0.5', '2024-06-03 02:00:00+00', '2024-06-03 02:00:00+00'),
        rows(repeated.first, repeated.last, '0.25', '2024-06-03 02:00:00+00', '2024-06-03 01:00:00+00'),
      ].join(' UNION ALL '),
    );
    await store.getOnlineFeatures(request);
    await store.rowStoreIdle();
    const before = store.stats().rowStore!;
    const answer = await store.getOnlineFeatures(request);
    const after = store.stats().rowStore!;
    assert.equal(after.buildFailures, 0, 'no file failed to be stored');
    assert.ok(after.keysRead - before.keysRead >= held.length, 'every key a file holds was read from the store');
    assert.deepEqual(answer, await fromParquet.getOnlineFeatures(request), 'the store answers what Parquet answers');
    const conv = answer.features.find((feature) => feature.feature === 'conv_rate')!;
    assert.equal(conv.values[keys.indexOf(repeated.first)], 0.5, 'the latest row of a repeated key');
    assertOracle('a file with repeated keys', answer, await bruteForce(oracle, onlineName), keys);
  } finally {
    store.close();
    fromParquet.close();
    await runtime.close();
  }
});

type AppendContext = Parameters<typeof appendQuery>[0] extends infer R ? Omit<R & object, 'identifier' | 'query'> : never;

/** Rows written straight into the online table: [driver, conv_rate, trips, event time, surge?]. */
async function appendOnline(
  context: AppendContext,
  table: string,
  rows: readonly (readonly [number, number, number, string, number?])[],
): Promise<void> {
  const withSurge = rows.some((row) => row[4] !== undefined);
  const values = rows.map(
    ([driver, conv, trips, event, surge]) =>
      `(${driver}::BIGINT, ${conv}::DOUBLE, ${trips}::BIGINT, CAST(${quoteLiteral(event)} AS TIMESTAMPTZ), CAST(${quoteLiteral(event)} AS TIMESTAMPTZ), CAST(${quoteLiteral(event)} AS TIMESTAMPTZ)${withSurge ? `, ${surge ?? 'NULL'}::DOUBLE` : ''})`,
  );
  const columns = `driver_id, conv_rate, trips, event_ts, created_ts, materialized_at${withSurge ? ', surge' : ''}`;
  await appendOnlineQuery(context, table, `SELECT * FROM (VALUES ${values.join(', ')}) AS v(${columns})`);
}

/** The rows of `query` (the online table's columns, in order) appended to the online table. */
async function appendOnlineQuery(context: AppendContext, table: string, query: string): Promise<void> {
  const [namespace, name] = table.split('.') as [string, string];
  await appendQuery({ ...context, identifier: { namespace: [namespace], name }, query });
}

type OracleLatest = Map<number, Record<string, unknown>>;

/** Per driver, pyiceberg's row with the greatest (event_ts, created_ts, materialized_at). */
async function bruteForce(catalog: OracleCatalog, table: string): Promise<OracleLatest> {
  const { rows } = await runPyiceberg<RowsReply>('read', { catalog, identifier: table });
  const order = (row: Record<string, unknown>): string =>
    `${String(row.event_ts)}|${String(row.created_ts)}|${String(row.materialized_at)}`;
  const latest: OracleLatest = new Map();
  for (const row of rows) {
    const driver = Number(row.driver_id);
    const held = latest.get(driver);
    if (held === undefined || order(row) > order(held)) latest.set(driver, row);
  }
  return latest;
}

function assertOracle(label: string, answer: OnlineFeaturesResponse, expected: OracleLatest, keys: readonly number[] = KEYS): void {
  for (const feature of answer.features) {
    keys.forEach((driver, index) => {
      const want = expected.get(driver);
      assert.equal(feature.statuses[index], want === undefined ? 'NOT_FOUND' : 'PRESENT', `${label}: driver ${driver} ${feature.feature}`);
      const value = want?.[feature.feature] ?? null;
      const normalized = value === null ? null : feature.feature === 'trips' ? BigInt(value as number) : value;
      assert.equal(feature.values[index], normalized, `${label}: driver ${driver} ${feature.feature}`);
    });
  }
}
