// floe compact as a user runs it, against a `floe worker` process on the dev server: a view's online
// table after several `floe materialize` windows, a source table by --table, and bad input (exit 2).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { temporalService } from '../../support/services.js';
import type { SourceTable } from '../pipelines/support/pipeline.js';
import { createSource, onlineRows } from '../pipelines/support/pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const view = `compact_cli_${randomUUID().slice(0, 8)}`;

let directory: string;
let source: SourceTable;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | undefined;

before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'floe-compact-cli-'));
  source = await createSource(path.join(directory, 'source'));
  const definitions = path.join(root, 'features', 'definitions.ts');
  // An ES module project, like the repository, so features.ts imports the definitions as ESM.
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(definitions)};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: ${JSON.stringify(source.table)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const view = defineFeatureView({
  name: ${JSON.stringify(view)},
  entities: ['driver'],
  source: 'driver_stats',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: 'long' }],
  online: { buckets: 4 },
});
`,
  );
  await writeFile(
    path.join(directory, 'floe.yaml'),
    `project: compact-cli
catalog:
  type: sql
  name: floe_oracle
  uri: ${JSON.stringify(source.oracle.uri.replace(/^sqlite:\/\//, ''))}
  warehouse: ${JSON.stringify(source.oracle.warehouse.replace(/^file:\/\//, ''))}
temporal:
  address: ${JSON.stringify(temporalService().address)}
  taskQueue: cli-compact-${randomUUID()}
workDirectory: work
`,
  );
  env = { ...process.env };
  worker = spawn(process.execPath, [floe, 'worker', '--project', directory], { env, stdio: ['ignore', 'ignore', 'inherit'] });
});

after(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGINT');
    await new Promise((resolve) => worker!.once('exit', resolve));
  }
  await rm(directory, { recursive: true, force: true });
});

describe('floe compact', () => {
  test("compacts a view's online table and a source table; bad input exits 2", async () => {
    const windows = ['2024-05-01T00:00:00Z', '2024-05-01T06:00:00Z', '2024-05-01T12:00:00Z', '2024-05-01T18:00:00Z'];
    for (const start of windows.slice(0, 3)) {
      const end = windows[windows.indexOf(start) + 1]!;
      const run = await floeCommand(['materialize', view, '--start', start, '--end', end, '--project', directory]);
      assert.equal(run.code, 0, run.stderr);
    }
    const before = await onlineRows(source, 'floe_online', view);

    const compacted = await floeCommand(['compact', view, '--min-files', '2', '--skip-cleanup', '--project', directory, '--json']);
    assert.equal(compacted.code, 0, compacted.stderr);
    const result = JSON.parse(compacted.stdout) as { kind: string; featureView: string; partitionsRewritten: number; dataFilesBefore: number; dataFilesAfter: number; rowsBefore: number; rowsAfter: number };
    assert.equal(result.kind, 'online');
    assert.equal(result.featureView, view);
    assert.equal(result.partitionsRewritten, 4);
    assert.equal(result.dataFilesBefore, 12);
    assert.equal(result.dataFilesAfter, 4);
    assert.equal(result.rowsBefore, before.length);
    const after = await onlineRows(source, 'floe_online', view);
    assert.equal(after.length, result.rowsAfter);
    assert.equal(new Set(after.map((row) => row.driver_id)).size, after.length, 'one row per driver');

    const again = await floeCommand(['compact', view, '--retention', '7d', '--project', directory]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`Compacted ${view} \\(floe_online\\.${view}\\)\n  nothing to rewrite`));

    const table = await floeCommand(['compact', '--table', source.table, '--project', directory, '--json']);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(pick(JSON.parse(table.stdout) as Record<string, unknown>, ['kind', 'table', 'snapshotId', 'deleteFilesBefore']), { kind: 'source', table: source.table, snapshotId: null, deleteFilesBefore: 0 });

    for (const [args, message] of [
      [['compact'], /needs either a feature view or --table/],
      [['compact', view, '--table', source.table], /not both/],
      [['compact', 'no_such_view'], /No feature view named "no_such_view"/],
      [['compact', view, '--retention', 'soon'], /--retention "soon" is not a duration/],
      [['compact', '--table', 'rides.no_such_table'], /does not exist/],
    ] as const) {
      const bad = await floeCommand([...args, '--project', directory]);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
  });
});

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}

function floeCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [floe, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
