// services: python
// Reads through the on-disk row store (files too large for the row cache) answer what pyiceberg's
// brute-force read of the online table says, and what reads from Parquet say, through appended
// windows, a row delete (merge-on-read), a compaction, a file that holds two rows of one key, and
// a column added to the table and the view. A restarted store finds its files on disk.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
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
import { testRuntime } from '../../support/runtime.js';
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

test('row-store reads equal pyiceberg and Parquet reads through appends, a delete, compaction, a multi-row file and a new column', async () => {
  const directory = path.join(scratch, 'table');
  const sourceTable = 'rides.driver_stats';
  let registry = new Registry(definitions(sourceTable, { buckets: 3 }), { onlineNamespace: 'rides_online' });
  // Floe's SQL catalog under pyiceberg's catalog name, so the oracle opens the same tables.
  const oracle = sqliteCatalog(directory) as { type: 'sql'; uri: string; warehouse: string };
  const runtime = await testRuntime({
    directory,
    catalog: { type: 'sql', name: 'floe_oracle', uri: oracle.uri, warehouse: oracle.warehouse },
    definitions: definitions(sourceTable, { buckets: 3 }),
    onlineNamespace: 'rides_online',
  });
  const context = {
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
  };
  const onlineTable = runtime.project.registry.onlineTableOf(runtime.project.registry.featureViews.get(VIEW)!);
  const rowStoreDirectory = path.join(directory, 'online-rows');
  const stores = (): { fromStore: OnlineStore; fromParquet: OnlineStore } => {
    const common = { registry, catalog: runtime.catalog, engine: runtime.engine, refreshIntervalMs: 0, clock: () => START + 72 * HOUR };
    // A row cache too small for any file: every file is a large one.
    return {
      fromStore: new OnlineStore({ ...common, maxCachedRows: 1, rowStoreDirectory }),
      fromParquet: new OnlineStore({ ...common, maxCachedRows: 1 }),
    };
  };
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
    assertOracle(label, answer, await bruteForce(oracle, formatTableIdentifier(onlineTable)));
  };

  try {
    await createEmptySourceTable(runtime.catalog, sourceTable);
    await appendSource(context, sourceTable, sourceRows());
    await materializeWindow(context, VIEW, { start: new Date(START), end: new Date(START + 24 * HOUR) }, 'first-day');
    await check('after the first window');
    await materializeWindow(context, VIEW, { start: new Date(START + 24 * HOUR), end: new Date(START + 48 * HOUR) }, 'second-day');
    await check('after the second window');

    const deleted = await deleteRows(await runtime.catalog.loadTable(onlineTable), {
      engine: runtime.engine,
      workDirectory: context.workDirectory,
      filter: eq('driver_id', 7),
    });
    assert.ok(deleted.deletedRows > 0);
    await check('after a row delete');

    await compactTable(context, await resolveCompactionTarget(context, { featureView: VIEW }), { minFiles: 1 });
    await check('after compaction');

    // One append, one file per bucket: driver 11's two rows share a file, and the later one wins.
    await appendOnline(context, formatTableIdentifier(onlineTable), [
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
      identifier: formatTableIdentifier(onlineTable),
      name: 'surge',
      type: 'double',
    });
    registry = new Registry(definitions(sourceTable, { buckets: 3, extraFeatures: [{ name: 'surge', type: 'double' }] }), {
      onlineNamespace: 'rides_online',
    });
    restart();
    await appendOnline(context, formatTableIdentifier(onlineTable), [[13, 0.5, 4, '2024-06-05T00:00:00Z', 1.5]]);
    await check('after a column was added');
  } finally {
    fromStore.close();
    await runtime.close();
  }
});

/** Rows written straight into the online table: [driver, conv_rate, trips, event time, surge?]. */
async function appendOnline(
  context: Parameters<typeof appendQuery>[0] extends infer R ? Omit<R & object, 'identifier' | 'query'> : never,
  table: string,
  rows: readonly (readonly [number, number, number, string, number?])[],
): Promise<void> {
  const withSurge = rows.some((row) => row[4] !== undefined);
  const values = rows.map(
    ([driver, conv, trips, event, surge]) =>
      `(${driver}::BIGINT, ${conv}::DOUBLE, ${trips}::BIGINT, CAST(${quoteLiteral(event)} AS TIMESTAMPTZ), CAST(${quoteLiteral(event)} AS TIMESTAMPTZ), CAST(${quoteLiteral(event)} AS TIMESTAMPTZ)${withSurge ? `, ${surge ?? 'NULL'}::DOUBLE` : ''})`,
  );
  const columns = `driver_id, conv_rate, trips, event_ts, created_ts, materialized_at${withSurge ? ', surge' : ''}`;
  const [namespace, name] = table.split('.') as [string, string];
  await appendQuery({
    ...context,
    identifier: { namespace: [namespace], name },
    query: `SELECT * FROM (VALUES ${values.join(', ')}) AS v(${columns})`,
  });
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

function assertOracle(label: string, answer: OnlineFeaturesResponse, expected: OracleLatest): void {
  for (const feature of answer.features) {
    KEYS.forEach((driver, index) => {
      const want = expected.get(driver);
      assert.equal(feature.statuses[index], want === undefined ? 'NOT_FOUND' : 'PRESENT', `${label}: driver ${driver} ${feature.feature}`);
      const value = want?.[feature.feature] ?? null;
      const normalized = value === null ? null : feature.feature === 'trips' ? BigInt(value as number) : value;
      assert.equal(feature.values[index], normalized, `${label}: driver ${driver} ${feature.feature}`);
    });
  }
}
