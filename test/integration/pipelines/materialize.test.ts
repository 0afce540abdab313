// services: temporal, rest-catalog, python, postgres
// The thin path end to end on real servers: a source table written by pyiceberg, the materialize
// workflow on the Temporal dev server, and the online table Floe wrote read back by pyiceberg.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from '@temporalio/worker';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { freshPostgresDatabase } from '../../support/postgres.js';
import { testRuntime } from '../../support/runtime.js';
import { restCatalogService } from '../../support/services.js';
import { recordHistory } from '../../support/histories.js';
import { startTestWorker, workflowBundle } from '../../support/temporal.js';
import { driverStatsRows, driverStatsSchema, latestPerDriver } from '../../support/driver-stats.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const WINDOW = { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };
const BUCKETS = 8;

interface Case {
  readonly name: string;
  readonly floeCatalog: CatalogConfig;
  readonly oracleCatalog: OracleCatalog;
  readonly sourceNamespace: string;
  readonly onlineNamespace: string;
  /** A secret in the catalog config that must not reach the workflow's history. */
  readonly secret?: string;
}

const scratch = scratchFolder('materialize');

describe('materialize workflow on the Temporal dev server', () => {
  test('SQL catalog (SQLite) on a local warehouse', async () => {
    const directory = path.join(scratch, 'sql');
    await mkdir(directory, { recursive: true });
    const oracleCatalog = sqliteCatalog(directory);
    assert.equal(oracleCatalog.type, 'sql');
    await runCase({
      name: 'sql',
      floeCatalog: { type: 'sql', name: 'floe_oracle', uri: oracleCatalog.uri, warehouse: oracleCatalog.warehouse },
      oracleCatalog,
      sourceNamespace: 'rides',
      onlineNamespace: 'floe_online',
    });
  });

  test('SQL catalog (Postgres) on a local warehouse', async () => {
    const url = await freshPostgresDatabase('materialize');
    const warehouse = pathToFileURL(path.join(scratch, 'postgres', 'warehouse')).href;
    await runCase({
      name: 'postgres',
      floeCatalog: { type: 'sql', name: 'floe_oracle', uri: url, warehouse },
      // SQLAlchemy 2.1 takes a bare postgresql:// as psycopg 3; pyiceberg's sql-postgres extra installs psycopg2.
      oracleCatalog: { type: 'sql', uri: url.replace(/^postgresql:/, 'postgresql+psycopg2:'), warehouse },
      sourceNamespace: 'rides',
      onlineNamespace: 'floe_online',
      secret: decodeURIComponent(new URL(url).password),
    });
  });

  test('REST catalog (Iceberg fixture) on S3 (MinIO)', async () => {
    const rest = restCatalogService();
    const suffix = randomUUID().slice(0, 8);
    await runCase({
      name: 'rest',
      floeCatalog: floeRestCatalog(rest),
      oracleCatalog: oracleRestCatalog(rest),
      sourceNamespace: `rides_${suffix}`,
      onlineNamespace: `online_${suffix}`,
    });
  });
});

async function runCase(testCase: Case): Promise<void> {
  const sourceTable = `${testCase.sourceNamespace}.driver_stats`;
  const rows = driverStatsRows();
  await runPyiceberg('create_table', {
    catalog: testCase.oracleCatalog,
    identifier: sourceTable,
    schema: driverStatsSchema,
    format_version: 2,
  });
  // Two appends, so the source has two data files and two snapshots.
  const half = Math.floor(rows.length / 2);
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    await runPyiceberg('append', { catalog: testCase.oracleCatalog, identifier: sourceTable, rows: part, columns: COLUMN_TYPES });
  }

  const definitions = [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_stats', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: 'driver_hourly_stats',
      entities: ['driver'],
      source: 'driver_stats',
      features: [
        { name: 'conv_rate', type: 'double' },
        { name: 'acc_rate', type: 'double' },
        { name: 'avg_daily_trips', type: 'long' },
      ],
      online: { buckets: BUCKETS },
    }),
  ];
  const runtime = await testRuntime({
    directory: path.join(scratch, testCase.name),
    catalog: testCase.floeCatalog,
    definitions,
    onlineNamespace: testCase.onlineNamespace,
  });
  const worker = await startTestWorker(runtime);
  try {
    const workflowId = `materialize-${testCase.name}-${randomUUID()}`;
    const input = { featureView: 'driver_hourly_stats', ...WINDOW };
    const handle = await worker.client.workflow.start('materialize', { taskQueue: worker.taskQueue, workflowId, args: [input] });
    const result: MaterializeResult = await handle.result();

    const expected = latestPerDriver(rows, WINDOW);
    assert.ok(expected.length > 10, 'the fixture puts many drivers in the window');
    assert.equal(result.rows, expected.length);
    assert.equal(result.scan.mode, 'copy-on-write');
    assert.equal(result.scan.dataFiles, 2);
    assert.equal(result.alreadyCommitted, false);
    assert.ok(result.onlineSnapshotId !== null);

    const onlineTable = `${testCase.onlineNamespace}.driver_hourly_stats`;
    const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: testCase.oracleCatalog,
      identifier: onlineTable,
    });
    assert.deepEqual(sortByDriver(read.rows.map(withoutMaterializedAt)), sortByDriver(expected));
    for (const row of read.rows) assert.match(String(row.materialized_at), /^\d{4}-\d\d-\d\dT/);

    // pyiceberg prunes by its own bucket transform: a wrong bucket in Floe's partitions hides the row.
    for (const driver of expected.slice(0, 5)) {
      const one = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
        catalog: testCase.oracleCatalog,
        identifier: onlineTable,
        row_filter: `driver_id == ${String(driver.driver_id)}`,
      });
      assert.deepEqual(one.rows.map(withoutMaterializedAt), [driver]);
    }
    const files = await runPyiceberg<{ rows: { partition: Record<string, unknown>; record_count: string | number }[] }>('inspect', {
      catalog: testCase.oracleCatalog,
      identifier: onlineTable,
      what: 'files',
    });
    assert.equal(
      files.rows.reduce((sum, file) => sum + Number(file.record_count), 0),
      expected.length,
    );
    for (const file of files.rows)
      assert.ok(Number(file.partition.driver_id_bucket) >= 0 && Number(file.partition.driver_id_bucket) < BUCKETS);

    // The same workflow id and window again: found committed, nothing appended twice.
    const again = await worker.client.workflow.execute('materialize', { taskQueue: worker.taskQueue, workflowId, args: [input] });
    assert.equal(again.alreadyCommitted, true);
    assert.equal(again.onlineSnapshotId, result.onlineSnapshotId);
    const reread = await runPyiceberg<{ rows: unknown[] }>('read', { catalog: testCase.oracleCatalog, identifier: onlineTable });
    assert.equal(reread.rows.length, expected.length);

    // The run's history replays against today's workflow code; record it as a fixture on request.
    const history = await handle.fetchHistory();
    assert.ok(historyText(history).includes('driver_hourly_stats'), 'the history search sees payloads (the input names the view)');
    if (testCase.secret !== undefined)
      assert.ok(!historyText(history).includes(testCase.secret), 'the catalog password is not in the workflow history');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    await recordHistory(workflowId, `materialize-${testCase.name}`);
  } finally {
    await worker.close();
    await runtime.close();
  }
}

const COLUMN_TYPES = {
  driver_id: 'long',
  conv_rate: 'double',
  acc_rate: 'double',
  avg_daily_trips: 'long',
  event_timestamp: 'timestamptz',
  created: 'timestamptz',
};

function withoutMaterializedAt(row: Record<string, unknown>): Record<string, unknown> {
  const { materialized_at: _ignored, ...rest } = row;
  return rest;
}

function sortByDriver<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => Number(a.driver_id) - Number(b.driver_id));
}

/** Every string and byte payload (JSON payloads are bytes) in a history, as text to search. */
function historyText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value === null || typeof value !== 'object') return '';
  return Object.values(value).map(historyText).join('\n');
}
