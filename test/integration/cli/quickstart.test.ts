// services: temporal, python
// The `floe` command as a user runs it: a worker process and `floe materialize` against the
// Temporal dev server, on the quickstart project with its catalog in a temporary folder.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
const project = path.join(root, 'examples', 'quickstart');
const WINDOW = { start: '2024-05-02T00:00:00Z', end: '2024-05-03T00:00:00Z' };

const directory = scratchFolder('cli');
let env: NodeJS.ProcessEnv;
let oracle: OracleCatalog;
let worker: ChildProcess | undefined;

before(async () => {
  const catalogFile = path.join(directory, 'catalog.db');
  env = {
    ...process.env,
    FLOE_TEMPORAL_ADDRESS: temporalService().address,
    FLOE_TASK_QUEUE: `cli-${randomUUID()}`,
    FLOE_CATALOG_URI: catalogFile,
    // The pyiceberg oracle's catalog name: SQL catalogs keep tables per catalog name.
    FLOE_CATALOG_NAME: 'floe_oracle',
    FLOE_WAREHOUSE: path.join(directory, 'warehouse'),
    FLOE_WORK_DIRECTORY: path.join(directory, 'work'),
  };
  oracle = { type: 'sql', uri: `sqlite:///${catalogFile}`, warehouse: `file://${path.join(directory, 'warehouse')}` };
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
});

after(async () => {
  await stopWorker(worker);
});

describe('floe CLI', () => {
  test('floe worker + floe materialize --json materialize a window', async () => {
    let workerOutput = '';
    worker = startWorker(project, { env, output: (text) => (workerOutput += text) });

    const run = await floeCommand(
      ['materialize', 'driver_hourly_stats', '--start', WINDOW.start, '--end', WINDOW.end, '--project', project, '--json'],
      { env },
    );
    assert.equal(run.code, 0, `floe materialize failed:\n${run.stderr}\nworker:\n${workerOutput}`);
    const result = JSON.parse(run.stdout) as { rows: number; alreadyCommitted: boolean; onlineSnapshotId: string };
    const expected = latestPerDriver(driverStatsRows(), { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' });
    assert.equal(result.rows, expected.length);
    assert.equal(result.alreadyCommitted, false);

    const online = await runPyiceberg<{ rows: unknown[] }>('read', { catalog: oracle, identifier: 'floe_online.driver_hourly_stats' });
    assert.equal(online.rows.length, expected.length);

    // Again: the same window is found committed, in the human-readable output too.
    const again = await floeCommand(
      ['materialize', 'driver_hourly_stats', '--start', WINDOW.start, '--end', WINDOW.end, '--project', project],
      { env },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`already committed as snapshot ${result.onlineSnapshotId}`));
  });

  test('bad input exits with code 2 and one line naming the problem', async () => {
    const unknownView = await floeCommand(
      ['materialize', 'no_such_view', '--start', WINDOW.start, '--end', WINDOW.end, '--project', project],
      { env },
    );
    assert.equal(unknownView.code, 2);
    assert.match(unknownView.stderr, /No feature view named "no_such_view"; defined: driver_hourly_stats/);

    const badInstant = await floeCommand(
      ['materialize', 'driver_hourly_stats', '--start', 'yesterday', '--end', WINDOW.end, '--project', project],
      { env },
    );
    assert.equal(badInstant.code, 2);
    assert.match(badInstant.stderr, /--start "yesterday" is not an ISO-8601 instant/);
  });
});
