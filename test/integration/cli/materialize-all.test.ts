// services: temporal, python
// `floe materialize` and `materialize-incremental` with no view name run every feature view whose
// online table is enabled, as `feast materialize` does: checked by reading the online tables back
// with pyiceberg, and by a view with online.enabled false getting no table.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { driverStatsRows, driverStatsSchema, latestPerDriver } from '../../support/driver-stats.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { temporalService } from '../../support/services.js';
import { floeCommand, startWorker, stopWorker } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WINDOW = { start: '2024-05-02T00:00:00Z', end: '2024-05-03T00:00:00Z' };
const ONLINE_VIEWS = ['rates', 'trips'];

const directory = scratchFolder('materialize-all');
let oracle: OracleCatalog;
let worker: ChildProcess | undefined;
let workerOutput = '';

before(async () => {
  const catalogFile = path.join(directory, 'catalog.db');
  const warehouse = path.join(directory, 'warehouse');
  oracle = { type: 'sql', uri: `sqlite:///${catalogFile}`, warehouse: `file://${warehouse}` };
  await runPyiceberg('create_table', { catalog: oracle, identifier: 'rides.driver_stats', schema: driverStatsSchema, format_version: 2 });
  await runPyiceberg('append', {
    catalog: oracle,
    identifier: 'rides.driver_stats',
    rows: driverStatsRows(),
    columns: {
      driver_id: 'long',
      conv_rate: 'double',
      acc_rate: 'double',
      avg_daily_trips: 'long',
      event_timestamp: 'timestamptz',
      created: 'timestamptz',
    },
  });
  const view = (name: string, features: string, online = '') =>
    `export const ${name} = defineFeatureView({ name: '${name}', entities: ['driver'], source: 'driver_stats', features: [${features}], online: { buckets: 2${online} } });`;
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    [
      `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(path.join(root, 'features', 'definitions.ts'))};`,
      `export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });`,
      `export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp', createdTimestampField: 'created' });`,
      view('trips', `{ name: 'avg_daily_trips', type: 'long' }`),
      view('rates', `{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }`),
      view('offline_only', `{ name: 'conv_rate', type: 'double' }`, ', enabled: false'),
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(directory, 'floe.yaml'),
    [
      'project: materialize_all',
      'catalog:',
      '  type: sql',
      '  name: floe_oracle',
      `  uri: ${JSON.stringify(catalogFile)}`,
      `  warehouse: ${JSON.stringify(warehouse)}`,
      'temporal:',
      `  address: ${JSON.stringify(temporalService().address)}`,
      `  taskQueue: materialize-all-${randomUUID()}`,
      'workDirectory: work',
      '',
    ].join('\n'),
  );
  worker = startWorker(directory, { output: (text) => (workerOutput += text) });
});

after(async () => {
  await stopWorker(worker);
});

interface Result {
  featureView: string;
  start: string;
  end: string;
  rows: number;
}

describe('floe materialize with no feature view', () => {
  test('materializes every view with an online table, and only those', async () => {
    const run = await floeCommand(['materialize', '--start', WINDOW.start, '--end', WINDOW.end, '--project', directory, '--json']);
    assert.equal(run.code, 0, `${run.stderr}\nworker:\n${workerOutput}`);
    const results = JSON.parse(run.stdout) as Result[];
    assert.deepEqual(
      results.map((result) => result.featureView),
      ONLINE_VIEWS,
    );
    const expected = latestPerDriver(driverStatsRows(), WINDOW);
    for (const view of ONLINE_VIEWS) {
      assert.equal(results.find((result) => result.featureView === view)!.rows, expected.length);
      const online = await runPyiceberg<{ rows: unknown[] }>('read', { catalog: oracle, identifier: `floe_online.${view}` });
      assert.equal(online.rows.length, expected.length, view);
    }
    await assert.rejects(
      runPyiceberg('read', { catalog: oracle, identifier: 'floe_online.offline_only' }),
      'a view with online.enabled false gets no online table',
    );

    const human = await floeCommand(['materialize', '--start', WINDOW.start, '--end', WINDOW.end, '--project', directory]);
    assert.equal(human.code, 0, human.stderr);
    for (const view of ONLINE_VIEWS) assert.match(human.stdout, new RegExp(`Materialized ${view} for \\[${WINDOW.start}`));
  });

  test('materialize-incremental with no view runs every online view from its watermark', async () => {
    const end = '2024-05-03T12:00:00Z';
    const run = await floeCommand(['materialize-incremental', '--end', end, '--project', directory, '--json']);
    assert.equal(run.code, 0, `${run.stderr}\nworker:\n${workerOutput}`);
    const results = JSON.parse(run.stdout) as Result[];
    assert.deepEqual(
      results.map((result) => [result.featureView, result.end]),
      ONLINE_VIEWS.map((view) => [view, end]),
    );
  });

  test('--workflow-id without a view is refused with exit 2', async () => {
    const run = await floeCommand([
      'materialize',
      '--start',
      WINDOW.start,
      '--end',
      WINDOW.end,
      '--workflow-id',
      'mine',
      '--project',
      directory,
    ]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--workflow-id names one run: give the feature view it materializes/);
  });
});
