// services: python
// `floe plan` and `floe apply` as a user runs them, on a SQL catalog (SQLite) whose source table
// pyiceberg wrote: apply creates the online table and registry v1; a new feature becomes a new
// column (pyiceberg sees it, the old rows read it as null) and v2; plan shows each diff; bad
// definitions fail naming the file, the object and the field.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { driverStatsSchema } from '../../support/driver-stats.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const definitionsModule = path.join(root, 'features', 'definitions.js');

const directory = scratchFolder('plan-apply');
let oracle: OracleCatalog;

before(async () => {
  const catalogFile = path.join(directory, 'catalog.db');
  oracle = { type: 'sql', uri: `sqlite:///${catalogFile}`, warehouse: `file://${path.join(directory, 'warehouse')}` };
  await runPyiceberg('create_table', { catalog: oracle, identifier: 'rides.driver_stats', schema: driverStatsSchema, format_version: 2 });
  // A project folder is an ES module package, like examples/quickstart.
  await writeFile(path.join(directory, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(
    path.join(directory, 'floe.yaml'),
    [
      'project: plan_apply',
      'catalog:',
      '  type: sql',
      '  name: floe_oracle',
      `  uri: ${catalogFile}`,
      `  warehouse: ${path.join(directory, 'warehouse')}`,
      'workDirectory: work',
      '',
    ].join('\n'),
  );
});

function features(featureLines: readonly string[], extra = ''): string {
  return [
    `import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from ${JSON.stringify(definitionsModule)};`,
    `export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });`,
    `export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp', createdTimestampField: 'created' });`,
    `export const hourly = defineFeatureView({ name: 'driver_hourly_stats', entities: ['driver'], source: 'driver_stats', ttl: { days: 1 }, online: { buckets: 4 }, features: [${featureLines.join(', ')}] });`,
    `export const service = defineFeatureService({ name: 'ranking', features: [hourly] });`,
    extra,
  ].join('\n');
}

async function floeCommand(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [floe, ...args, '--project', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

const registryFolder = () => path.join(directory, 'warehouse', '_floe_registry', 'plan_apply');

describe('floe plan / floe apply on a SQL catalog', () => {
  test('apply creates the online table and v1; a new feature becomes a column and v2; plan shows each diff', async () => {
    await writeFile(
      path.join(directory, 'features.ts'),
      features([`{ name: 'conv_rate', type: 'double' }`, `{ name: 'acc_rate', type: 'double' }`]),
    );

    const firstPlan = await floeCommand(['plan']);
    assert.equal(firstPlan.code, 0, firstPlan.stderr);
    assert.match(firstPlan.stdout, /nothing applied yet → v1/);
    assert.match(firstPlan.stdout, /\+ feature view driver_hourly_stats/);
    assert.match(firstPlan.stdout, /\+ feature service ranking/);
    assert.match(
      firstPlan.stdout,
      /\+ floe_online\.driver_hourly_stats: create \(driver_id, conv_rate, acc_rate, event_ts, created_ts, materialized_at\)/,
    );

    const first = await floeCommand(['apply', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { version: number }).version, 1);
    assert.deepEqual(await readdir(registryFolder()), ['v00001.json']);
    const v1 = JSON.parse(await readFile(path.join(registryFolder(), 'v00001.json'), 'utf8')) as {
      version: number;
      featureViews: { features: { name: string }[] }[];
    };
    assert.equal(v1.version, 1);
    assert.deepEqual(
      v1.featureViews[0]!.features.map((feature) => feature.name),
      ['conv_rate', 'acc_rate'],
    );
    const created = await runPyiceberg<{ columns: string[] }>('read', { catalog: oracle, identifier: 'floe_online.driver_hourly_stats' });
    assert.deepEqual(created.columns, ['driver_id', 'conv_rate', 'acc_rate', 'event_ts', 'created_ts', 'materialized_at']);

    // A row in the online table before it evolves, written by Floe's own writer (bucket partitions and all).
    const catalog = await loadCatalog({
      type: 'sql',
      name: 'floe_oracle',
      uri: path.join(directory, 'catalog.db'),
      warehouse: path.join(directory, 'warehouse'),
    });
    const engine = await Engine.create({ threads: 1, setup: registerIcebergFunctions });
    try {
      await appendQuery({
        catalog,
        engine,
        identifier: { namespace: ['floe_online'], name: 'driver_hourly_stats' },
        query: `SELECT 7::BIGINT AS driver_id, 0.5::DOUBLE AS conv_rate, 0.25::DOUBLE AS acc_rate, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS event_ts, NULL::TIMESTAMPTZ AS created_ts, TIMESTAMPTZ '2024-05-02 00:00:00+00' AS materialized_at`,
        workDirectory: path.join(directory, 'work'),
      });
    } finally {
      engine.close();
      await catalog.close();
    }

    const unchanged = await floeCommand(['plan']);
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stdout, /v1, up to date/);

    await writeFile(
      path.join(directory, 'features.ts'),
      features([
        `{ name: 'conv_rate', type: 'double' }`,
        `{ name: 'acc_rate', type: 'double' }`,
        `{ name: 'avg_daily_trips', type: 'long' }`,
      ]),
    );
    const secondPlan = await floeCommand(['plan']);
    assert.equal(secondPlan.code, 0, secondPlan.stderr);
    assert.match(secondPlan.stdout, /v1 → v2/);
    assert.match(secondPlan.stdout, /~ feature view driver_hourly_stats \(features added: avg_daily_trips\)/);
    assert.match(secondPlan.stdout, /~ floe_online\.driver_hourly_stats: add column avg_daily_trips long/);

    const second = await floeCommand(['apply']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Wrote .*v00002\.json/);
    assert.deepEqual((await readdir(registryFolder())).sort(), ['v00001.json', 'v00002.json']);
    const evolved = await runPyiceberg<{ columns: string[]; rows: Record<string, unknown>[] }>('read', {
      catalog: oracle,
      identifier: 'floe_online.driver_hourly_stats',
    });
    assert.deepEqual(evolved.columns, [
      'driver_id',
      'conv_rate',
      'acc_rate',
      'event_ts',
      'created_ts',
      'materialized_at',
      'avg_daily_trips',
    ]);
    assert.equal(evolved.rows.length, 1, 'no data file was rewritten or lost');
    assert.equal(evolved.rows[0]!.avg_daily_trips, null, 'a column added later reads as null');
    assert.equal(evolved.rows[0]!.conv_rate, 0.5);
    const metadata = await runPyiceberg<{ metadata: { schemas: unknown[]; 'current-schema-id': number; 'last-column-id': number } }>(
      'load_metadata',
      { catalog: oracle, identifier: 'floe_online.driver_hourly_stats' },
    );
    assert.equal(metadata.metadata.schemas.length, 2);
    assert.equal(metadata.metadata['current-schema-id'], 1);
    assert.equal(metadata.metadata['last-column-id'], 7);

    const again = await floeCommand(['apply']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to apply/);
    assert.equal((await readdir(registryFolder())).length, 2);

    // Changing a feature's type in a way Iceberg cannot promote is refused, naming view, table and column; nothing changes.
    await writeFile(
      path.join(directory, 'features.ts'),
      features([
        `{ name: 'conv_rate', type: 'string' }`,
        `{ name: 'acc_rate', type: 'double' }`,
        `{ name: 'avg_daily_trips', type: 'long' }`,
      ]),
    );
    const refused = await floeCommand(['apply']);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /Feature view driver_hourly_stats: floe_online\.driver_hourly_stats: column conv_rate is "double" and cannot become string/,
    );
    assert.equal((await readdir(registryFolder())).length, 2);
  });

  test('bad definitions fail naming the file, the object and the field', async () => {
    await writeFile(path.join(directory, 'features.ts'), features([`{ name: 'conv_rate', type: 'decimal' }`]));
    const badType = await floeCommand(['plan']);
    assert.equal(badType.code, 2);
    assert.match(badType.stderr, /features\.ts/);
    assert.match(badType.stderr, /Invalid feature view driver_hourly_stats: features\.0\.type/);

    await writeFile(
      path.join(directory, 'features.ts'),
      features(
        [`{ name: 'conv_rate', type: 'double' }`],
        `export const broken = defineFeatureService({ name: 'broken', features: ['driver_hourly_stats:nope'] });`,
      ),
    );
    const badReference = await floeCommand(['plan']);
    assert.equal(badReference.code, 2);
    assert.match(
      badReference.stderr,
      /features\.ts: Feature service broken refers to feature "driver_hourly_stats:nope", which does not exist/,
    );
    assert.match(badReference.stderr, /object=broken, field=features\.0/);

    await writeFile(
      path.join(directory, 'features.ts'),
      features([`{ name: 'conv_rate', type: 'double' }`, `{ name: 'speed', type: 'double' }`]),
    );
    const missingColumn = await floeCommand(['plan']);
    assert.equal(missingColumn.code, 2);
    assert.match(
      missingColumn.stdout,
      /! Feature view driver_hourly_stats: source driver_stats \(table rides\.driver_stats\) has no column "speed" \(feature speed\)/,
    );
  });
});
