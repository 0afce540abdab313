// services: python
// The Python blocks of docs/how-to/read-training-sets-from-python.md run, as written, against a
// training set Floe saved: pyiceberg (the oracle venv's) opens the project's SQLite catalog with the
// page's settings and reads the Iceberg table, and pandas reads the Parquet file. Only the page's
// placeholder path is replaced by the project's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initProject } from '../../../cli/commands/init.js';
import { generateSampleData } from '../../../examples/init-template/sample-data.js';
import { FeatureStore } from '../../../public/index.js';
import { codeBlocks } from '../../support/markdown-blocks.js';
import { pythonOracle } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PAGE = 'docs/how-to/read-training-sets-from-python.md';
const PLACEHOLDER_PROJECT = '/abs/path/my-features';
const TRAINING_TABLE = 'datasets.ranking_2024_05';

const scratch = scratchFolder('python-docs');
let project: string;

before(async () => {
  project = path.join(scratch, 'my-features');
  await initProject(project);
  // The init template's definitions, importing this checkout's entry point instead of the package.
  await writeFile(
    path.join(project, 'features.ts'),
    `import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from ${JSON.stringify(path.join(root, 'public', 'index.ts'))};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const hourly = defineFeatureView({
  name: 'driver_hourly_stats', entities: ['driver'], source: 'driver_stats',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: 'long' }],
});
export const ranking = defineFeatureService({ name: 'ranking', features: [hourly] });
`,
  );
  await generateSampleData(project, ['--end', '2024-05-08T00:00:00Z', '--days', '2', '--drivers', '5']);
  const store = await FeatureStore.open(project, {});
  try {
    const job = store.getHistoricalFeatures({
      entities: { from: 'driver_stats', start: '2024-05-06T00:00:00Z', end: '2024-05-08T00:00:00Z' },
      featureService: 'ranking',
    });
    await job.toIcebergTable(TRAINING_TABLE);
    await job.toParquet(path.join(project, 'training.parquet'));
  } finally {
    await store.close();
  }
});

describe(`the Python blocks of ${PAGE}`, () => {
  test('read the training set with pyiceberg and pandas, as the page shows', () => {
    const python = codeBlocks(root, PAGE).filter((block) => block.language === 'python');
    assert.equal(python.length, 3, 'the page’s Python blocks: open and scan, filter, pandas');
    const script = [
      ...python.map((block) => block.code.replaceAll(PLACEHOLDER_PROJECT, project)),
      // What the blocks left in their variables: the last `df` is pandas' read of training.parquet.
      'import json',
      'print(json.dumps({"rows": len(df), "columns": list(df.columns), "snapshot": str(snapshot_id), "timestamp": str(df["event_timestamp"].dtype)}))',
    ].join('\n');
    const run = spawnSync(pythonOracle().python, ['-c', script], { cwd: project, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(result, {
      rows: 5 * 48,
      columns: ['driver_id', 'event_timestamp', 'conv_rate', 'acc_rate', 'avg_daily_trips'],
      snapshot: result.snapshot,
      timestamp: 'datetime64[us, UTC]',
    });
    assert.match(String(result.snapshot), /^\d+$/);
    // The first block printed the table's head through pyiceberg.
    assert.match(run.stdout, /driver_id\s+event_timestamp\s+conv_rate/);
  });
});
