// services: temporal, python
// The newcomer's path as commands: `floe init`, the project's sample data generator, `floe worker`
// + `floe materialize`, `floe get-online`, `floe table inspect|history` (checked against
// pyiceberg's table.inspect), `floe serve`, and `floe dev` (its own Temporal dev server, worker
// and feature server). Exit codes: 0 ok, 2 bad input.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { freePorts } from '../../../scripts/services/ports.js';
import { temporalService } from '../../support/services.js';
import type { Finished } from '../../support/child-process.js';
import { exitCode, firstJson, interrupt, runToEnd } from '../../support/child-process.js';
import { linkCheckoutAsFloe } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
// generate_data.mjs imports floe/sample-data, which in the checkout is TypeScript.
const RUN_TYPESCRIPT = ['--import', import.meta.resolve('tsx')];
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const WINDOW = { start: new Date(today - DAY).toISOString(), end: new Date(today).toISOString() };

const scratch = scratchFolder('newcomer');
let project: string;
let env: NodeJS.ProcessEnv;
let oracle: OracleCatalog;
const children: ChildProcess[] = [];

before(async () => {
  project = path.join(scratch, 'my_features');
  env = {
    ...process.env,
    FLOE_TEMPORAL_ADDRESS: temporalService().address,
    FLOE_TASK_QUEUE: `newcomer-${randomUUID()}`,
    FLOE_CATALOG_NAME: 'floe_oracle',
  };
  oracle = {
    type: 'sql',
    uri: `sqlite:///${path.join(project, '.floe', 'catalog.db')}`,
    warehouse: `file://${path.join(project, '.floe', 'warehouse')}`,
  };
});

after(async () => {
  for (const child of children) await interrupt(child);
});

describe('the newcomer path', () => {
  test('floe init scaffolds a project and refuses a folder that is not empty', async () => {
    const init = await run(floe, ['init', project, '--json']);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(JSON.parse(init.stdout).files, [
      'floe.yaml',
      'features.ts',
      'generate_data.mjs',
      'README.md',
      'package.json',
      '.gitignore',
      path.join('.floe', 'catalog.db'),
    ]);
    assert.deepEqual((await readdir(project)).sort(), [
      '.floe',
      '.gitignore',
      'README.md',
      'features.ts',
      'floe.yaml',
      'generate_data.mjs',
      'package.json',
    ]);
    const again = await run(floe, ['init', project]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /is not empty; give floe init a new or empty folder/);
    env = await linkCheckoutAsFloe(project, env);
  });

  test('the generator, a worker and floe materialize fill the online table', async () => {
    const generate = await run(process.execPath, [
      ...RUN_TYPESCRIPT,
      path.join(project, 'generate_data.mjs'),
      '--days',
      '2',
      '--drivers',
      '20',
    ]);
    assert.equal(generate.code, 0, generate.stderr);
    assert.match(generate.stdout, /Wrote 960 rows of 20 drivers/);

    const worker = spawn(process.execPath, [floe, 'worker', '--project', project], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(worker);
    const materialize = await run(floe, [
      'materialize',
      'driver_hourly_stats',
      '--start',
      WINDOW.start,
      '--end',
      WINDOW.end,
      '--project',
      project,
      '--json',
    ]);
    assert.equal(materialize.code, 0, materialize.stderr);
    assert.equal(JSON.parse(materialize.stdout).rows, 20);
  });

  test('floe get-online prints the latest values, as pyiceberg reads them from the source', async () => {
    const result = await run(floe, [
      'get-online',
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:avg_daily_trips',
      '--entity',
      'driver_id=1001,1020,5000',
      '--project',
      project,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const response = JSON.parse(result.stdout) as {
      entities: { values: string[] }[];
      features: { feature: string; values: unknown[]; statuses: string[] }[];
    };
    assert.deepEqual(response.entities[0]!.values, ['1001', '1020', '5000']);
    const conv = response.features.find((feature) => feature.feature === 'conv_rate')!;
    assert.deepEqual(conv.statuses, ['PRESENT', 'PRESENT', 'NOT_FOUND']);
    const last = new Date(today - 3_600_000).toISOString().replace('.000Z', '.000000+00:00');
    for (const [index, driver] of [1001, 1020].entries()) {
      const source = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
        catalog: oracle,
        identifier: 'rides.driver_stats',
        row_filter: `driver_id == ${driver} and event_timestamp == '${last}'`,
      });
      assert.equal(source.rows.length, 1);
      assert.equal(conv.values[index], source.rows[0]!.conv_rate);
    }

    const human = await run(floe, ['get-online', 'driver_hourly_stats', '--entity', 'driver_id=1001,5000', '--project', project]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /^driver_id\s+driver_hourly_stats:conv_rate\s+driver_hourly_stats:acc_rate\s+driver_hourly_stats:avg_daily_trips\n1001\s+0\.\d+/,
    );
    assert.match(human.stdout, /\n5000\s+\(not found\)\s+\(not found\)\s+\(not found\)\n$/);

    const unknown = await run(floe, ['get-online', 'driver_hourly:conv_rate', '--entity', 'driver_id=1', '--project', project]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim().split('\n').length, 1);
    assert.match(unknown.stderr, /No feature view named "driver_hourly"; defined: driver_hourly_stats/);
    const badKey = await run(floe, ['get-online', 'driver_hourly_stats', '--entity', 'driver=1', '--project', project]);
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /join key driver_id of feature view driver_hourly_stats must be present/);
  });

  test('floe table inspect and history agree with pyiceberg', async () => {
    // A second generator run gives the source a second snapshot and more day partitions.
    const more = await run(process.execPath, [
      ...RUN_TYPESCRIPT,
      path.join(project, 'generate_data.mjs'),
      '--days',
      '1',
      '--drivers',
      '5',
      '--end',
      new Date(today - 3 * DAY).toISOString(),
    ]);
    assert.equal(more.code, 0, more.stderr);
    for (const table of ['rides.driver_stats', 'floe_online.driver_hourly_stats']) {
      const inspect = await run(floe, ['table', 'inspect', table, '--project', project, '--json']);
      assert.equal(inspect.code, 0, inspect.stderr);
      const floeView = JSON.parse(inspect.stdout) as {
        snapshots: { snapshotId: string; parentId: string | null; operation: string; summary: Record<string, string> }[];
        files: { content: string; path: string; records: number; bytes: number; partition: Record<string, unknown> }[];
        partitions: { partition: Record<string, unknown>; dataFiles: number; records: number }[];
      };
      const py = async (what: string) =>
        (await runPyiceberg<{ rows: Record<string, unknown>[] }>('inspect', { catalog: oracle, identifier: table, what })).rows;
      const [snapshots, files, partitions, history] = [
        await py('snapshots'),
        await py('files'),
        await py('partitions'),
        await py('history'),
      ];

      assert.deepEqual(
        floeView.snapshots.map((snapshot) => [
          snapshot.snapshotId,
          snapshot.parentId,
          snapshot.operation,
          snapshot.summary['added-records'] ?? null,
        ]),
        snapshots.map((snapshot) => [
          String(snapshot.snapshot_id),
          snapshot.parent_id === null ? null : String(snapshot.parent_id),
          snapshot.operation,
          summaryOf(snapshot.summary)['added-records'] ?? null,
        ]),
      );
      const content = ['data', 'position-deletes', 'equality-deletes'];
      const floeFiles = floeView.files
        .map((file) => [file.path, file.content, file.records, file.bytes, normalize(file.partition)])
        .sort(byFirst);
      const pyFiles = files
        .map((file) => [
          String(file.file_path),
          content[Number(file.content)],
          Number(file.record_count),
          Number(file.file_size_in_bytes),
          normalize(file.partition as Record<string, unknown>),
        ])
        .sort(byFirst);
      assert.deepEqual(floeFiles, pyFiles, `files of ${table}`);
      assert.ok(floeFiles.length > 1);
      const byPartition = (rows: [Record<string, unknown>, number, number][]) =>
        rows.map(([partition, count, records]) => [JSON.stringify(normalize(partition)), count, records]).sort(byFirst);
      assert.deepEqual(
        byPartition(floeView.partitions.map((partition) => [partition.partition, partition.dataFiles, partition.records])),
        byPartition(
          partitions.map((partition) => [
            partition.partition as Record<string, unknown>,
            Number(partition.file_count),
            Number(partition.record_count),
          ]),
        ),
      );

      const historyRun = await run(floe, ['table', 'history', table, '--project', project, '--json']);
      assert.equal(historyRun.code, 0, historyRun.stderr);
      const floeHistory = JSON.parse(historyRun.stdout) as { snapshotId: string; parentId: string | null; isCurrentAncestor: boolean }[];
      assert.deepEqual(
        floeHistory.map((entry) => [entry.snapshotId, entry.parentId, entry.isCurrentAncestor]),
        history.map((entry) => [
          String(entry.snapshot_id),
          entry.parent_id === null ? null : String(entry.parent_id),
          entry.is_current_ancestor,
        ]),
      );
    }
    const human = await run(floe, ['table', 'inspect', 'floe_online.driver_hourly_stats', '--project', project]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /partitioned by: bucket\[16\]\(driver_id\)/);
    const missing = await run(floe, ['table', 'inspect', 'rides.nope', '--project', project]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No table rides\.nope in catalog floe_oracle; tables in rides: rides\.driver_stats/);
  });

  test('floe serve answers Feast-shaped requests until interrupted', async () => {
    const server = spawn(process.execPath, [floe, 'serve', '--project', project, '--port', '0', '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const { url } = (await firstJson(server)) as { url: string };
    const response = await fetch(`${url}/get-online-features`, {
      method: 'POST',
      body: JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001, 5000] } }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { metadata: { feature_names: string[] }; results: { statuses: string[] }[] };
    assert.deepEqual(body.metadata.feature_names, ['driver_id', 'conv_rate']);
    assert.deepEqual(body.results[1]!.statuses, ['PRESENT', 'NOT_FOUND']);
    server.kill('SIGINT');
    assert.equal(await exitCode(server), 0);

    const badPort = await run(floe, ['serve', '--project', project, '--port', 'x']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be an integer from 0 to 65535/);
  });

  test('floe dev runs Temporal, a worker and the feature server in one command', async () => {
    const devQueue = `dev-${randomUUID()}`;
    // dev binds temporal.address and dev.uiPort (7233 and 8233 unless set): free ports here, never those.
    const [devPort, uiPort] = await freePorts(2);
    const devAddress = `127.0.0.1:${devPort}`;
    const dev = spawn(process.execPath, [floe, 'dev', '--project', project, '--port', '0', '--json'], {
      env: { ...env, FLOE_TASK_QUEUE: devQueue, FLOE_TEMPORAL_ADDRESS: devAddress, FLOE_DEV_UI_PORT: String(uiPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(dev);
    const ready = (await firstJson(dev)) as { temporalAddress: string; temporalUi: string; featureServer: string };
    assert.notEqual(ready.temporalAddress, temporalService().address, 'dev starts a Temporal server of its own');
    assert.equal(ready.temporalAddress, devAddress, 'at temporal.address');
    assert.match(ready.temporalUi, new RegExp(`^http://127\\.0\\.0\\.1:${uiPort}/`));
    assert.equal((await fetch(ready.temporalUi)).status, 200);
    const window = { start: new Date(today - 2 * DAY).toISOString(), end: new Date(today - DAY).toISOString() };
    const materialize = await run(
      floe,
      ['materialize', 'driver_hourly_stats', '--start', window.start, '--end', window.end, '--project', project, '--json'],
      { ...env, FLOE_TEMPORAL_ADDRESS: ready.temporalAddress, FLOE_TASK_QUEUE: devQueue },
    );
    assert.equal(materialize.code, 0, materialize.stderr);
    assert.equal(JSON.parse(materialize.stdout).rows, 20);
    const health = await fetch(`${ready.featureServer}/health`);
    assert.equal(health.status, 200);
    // The Temporal dev server's process hooks stop it on SIGINT and exit as a shell expects (128 + 2).
    dev.kill('SIGINT');
    assert.equal(await exitCode(dev), 130);
    await assert.rejects(fetch(ready.temporalUi), 'the Temporal dev server stopped with it');
  });
});

function run(command: string, args: string[], runEnv: NodeJS.ProcessEnv = env): Promise<Finished> {
  return runToEnd(process.execPath, command === floe ? [floe, ...args] : args, { env: runEnv });
}

function summaryOf(summary: unknown): Record<string, string> {
  if (Array.isArray(summary))
    return Object.fromEntries(
      summary.map((entry: unknown) =>
        Array.isArray(entry)
          ? [String(entry[0]), String(entry[1])]
          : [String((entry as { key: unknown }).key), String((entry as { value: unknown }).value)],
      ),
    );
  return (summary ?? {}) as Record<string, string>;
}

function normalize(partition: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(partition ?? {}).map(([key, value]) => [key, value === null ? null : String(value)]));
}

function byFirst(a: unknown[], b: unknown[]): number {
  return String(a[0]).localeCompare(String(b[0]));
}
