// services: none
// A feature column of an online table renamed after files were written (the field id stays, the
// name changes): online reads take the old files' values by field id and the new files' by name,
// whether a read loads a whole file or looks up some keys, as pyiceberg and Java read on after a rename.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { renameColumn } from '../../../iceberg/schema-update/rename-column.js';
import { testRuntime } from '../../support/runtime.js';
import { definitions, sqlCase, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('online-renamed');

const at = (minute: number): string => `TIMESTAMPTZ '2024-06-01 00:00:00+00' + INTERVAL ${minute} MINUTE`;
const rowsSql = (tripsColumn: string, rows: readonly (readonly [driver: number, trips: number])[]): string =>
  `SELECT * FROM (VALUES ${rows.map(([driver, trips]) => `(${driver}::BIGINT, 0.5::DOUBLE, ${trips}::BIGINT, ${at(10)}, ${at(10)}, ${at(60)})`).join(', ')}) ` +
  `AS v(driver_id, conv_rate, ${tripsColumn}, event_ts, created_ts, materialized_at)`;

test('after a rename, online reads take old files by field id and new files by name', async () => {
  const directory = path.join(scratch, 'sql');
  const runtime = await testRuntime({
    directory,
    catalog: sqlCase(directory).config,
    definitions: definitions('rides.driver_stats', { buckets: 1 }),
    onlineNamespace: 'rides_online',
  });
  try {
    const layout = onlineTableLayout(runtime.project.registry, runtime.project.registry.featureView(VIEW));
    await ensureOnlineTable(runtime.catalog, layout);
    const append = (query: string) =>
      appendQuery({
        catalog: runtime.catalog,
        engine: runtime.engine,
        workDirectory: runtime.project.config.workDirectory,
        identifier: layout.identifier,
        query,
      });
    await append(
      rowsSql('trips', [
        [1, 11],
        [2, 22],
      ]),
    );
    await commitChange(runtime.catalog, layout.identifier, renameColumn(['trips'], 'trip_count'));
    await append(rowsSql('trip_count', [[3, 33]]));

    const onlineTable = `${layout.identifier.namespace.join('.')}.${layout.identifier.name}`;
    const registry = new Registry(definitions('rides.driver_stats', { buckets: 1, onlineTable, tripsFeature: 'trip_count' }));
    const context = { registry, catalog: runtime.catalog, engine: runtime.engine, refreshIntervalMs: 0 };
    for (const store of [new OnlineStore(context), new OnlineStore({ ...context, maxCachedRows: 1 })]) {
      const answer = await store.getOnlineFeatures({
        features: [`${VIEW}:trip_count`],
        entityRows: [1, 2, 3, 4].map((driver_id) => ({ driver_id })),
      });
      assert.deepEqual(answer.features[0]!.values, [11n, 22n, 33n, null]);
      assert.deepEqual(answer.features[0]!.statuses, ['PRESENT', 'PRESENT', 'PRESENT', 'NOT_FOUND']);
    }
  } finally {
    await runtime.close();
  }
});
