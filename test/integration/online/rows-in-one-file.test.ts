// services: none
// A data file of an online table may hold several rows of one key (a writer other than Floe's
// online write, or a push of two events): a read of some keys must pick the same latest row as a
// read of the whole file, by event time, then created time, then materialized_at, then the
// features' values, greatest first and NULLs last.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { testRuntime } from '../../support/runtime.js';
import { definitions, sqlCase, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('rows-in-one-file');

const at = (minute: number | null): string =>
  minute === null ? 'NULL::TIMESTAMPTZ' : `TIMESTAMPTZ '2024-06-01 00:00:00+00' + INTERVAL ${minute} MINUTE`;

// (driver, conv_rate, trips, event minute, created minute, materialized minute); the row each
// driver must read as is the one with trips = 1.
const ROWS: readonly (readonly [number, number | null, number, number, number | null, number])[] = [
  [1, 0.2, 1, 20, 20, 60],
  [1, 0.1, 0, 10, 10, 60],
  [2, 0.9, 0, 10, 11, 60],
  [2, 0.1, 1, 10, 12, 60],
  [3, 0.1, 1, 10, 10, 60],
  [3, 0.9, 0, 10, null, 60],
  [4, 0.3, 0, 10, 10, 60],
  [4, 0.3, 1, 10, 10, 61],
  [5, 0.1, 0, 10, 10, 60],
  [5, 0.2, 1, 10, 10, 60],
  [5, null, 2, 10, 10, 60],
  [6, 0.5, 1, 30, 30, 60],
];

test('a read of some keys picks the latest of a key’s rows in one file, as a read of the whole file does', async () => {
  const directory = path.join(scratch, 'sql');
  const runtime = await testRuntime({
    directory,
    catalog: sqlCase(directory).config,
    definitions: definitions('rides.driver_stats', { buckets: 1 }),
    onlineNamespace: 'rides_online',
  });
  try {
    const registry = runtime.project.registry;
    const layout = onlineTableLayout(registry, registry.featureView(VIEW));
    await ensureOnlineTable(runtime.catalog, layout);
    const values = ROWS.map(
      ([driver, conv, trips, event, created, materialized]) =>
        `(${driver}::BIGINT, ${conv === null ? 'NULL' : conv}::DOUBLE, ${trips}::BIGINT, ${at(event)}, ${at(created)}, ${at(materialized)})`,
    );
    const { dataFiles } = await appendQuery({
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.project.config.workDirectory,
      identifier: layout.identifier,
      query: `SELECT * FROM (VALUES ${values.join(', ')}) AS v(driver_id, conv_rate, trips, event_ts, created_ts, materialized_at)`,
    });
    assert.equal(dataFiles, 1);

    const context = { registry, catalog: runtime.catalog, engine: runtime.engine, refreshIntervalMs: 0 };
    const wholeFile = new OnlineStore(context);
    const someKeys = new OnlineStore({ ...context, maxCachedRows: 1 });
    const drivers = [1, 2, 3, 4, 5, 6, 7];
    const ask = (store: OnlineStore, keys: readonly number[]) =>
      store.getOnlineFeatures({ features: [`${VIEW}:trips`], entityRows: keys.map((driver_id) => ({ driver_id })) });
    const expected = [1n, 1n, 1n, 1n, 1n, 1n, null];

    const whole = await ask(wholeFile, drivers);
    assert.deepEqual(whole.features[0]!.values, expected);
    assert.deepEqual(wholeFile.stats().rowCache.files, 1);
    // All keys at once (the file holds ties, so it is ranked), then key by key (only some do).
    const all = await ask(someKeys, drivers);
    assert.deepEqual(all.features, whole.features);
    for (const [index, driver] of drivers.entries()) {
      const one = await ask(someKeys, [driver]);
      assert.deepEqual(one.features[0]!.values, [expected[index]], `driver ${driver}`);
      assert.deepEqual(one.features[0]!.eventTimestamps, [whole.features[0]!.eventTimestamps[index]], `driver ${driver}`);
    }
    assert.equal(someKeys.stats().rowCache.files, 0);
  } finally {
    await runtime.close();
  }
});
