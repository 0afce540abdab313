// services: temporal, python
// Issue #54, item 4: `floe training-set` takes what getHistoricalFeatures takes, on-demand views
// included. A feature service holding an on-demand view, and `--features odv:feature`, used to
// exit 2 ("refers to feature view … which is not defined"); now the workflow (a `floe worker`
// process on the dev server) saves what getHistoricalFeatures returns for the same request, the
// request data (distance_km) coming from the entity rows' CSV. pyiceberg reads the saved tables.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FeatureStore } from '../../../features/feature-store.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { rideFeaturesSource } from '../../support/features/ride-features-source.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = 'driver_hourly_stats';
const directory = scratchFolder('training-set-on-demand-cli');
const csv = path.join(directory, 'rides.csv');
let source: SourceTable;
let worker: ChildProcess | undefined;

const onDemandDefinitions = rideFeaturesSource(view);

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'training-set-on-demand-cli', source, view, viewFields: ['ttl: { hours: 6 }'] });
  const features = path.join(directory, 'features.ts');
  await writeFile(features, (await readFile(features, 'utf8')) + onDemandDefinitions);
  // 30 rides over drivers 1001..1045 (1041 and up have no feature rows) at three times; every seventh has no distance.
  const times = ['2024-05-01T03:00:00Z', '2024-05-01T17:00:00Z', '2024-05-02T07:00:00Z'];
  const rows = Array.from(
    { length: 30 },
    (_, i) => `r${String(i).padStart(2, '0')},${1001 + ((i * 7) % 45)},${times[i % 3]},${i % 7 === 0 ? '' : (i % 5) + 0.5}`,
  );
  await writeFile(csv, ['ride_id,driver_id,event_timestamp,distance_km', ...rows].join('\n') + '\n');
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
});

type Row = Record<string, unknown>;

/** Rows by ride, only the given columns, numbers as numbers: what the saved table and the library both give. */
function byRide(rows: readonly Row[], columns: readonly string[]): Row[] {
  return [...rows]
    .map((row) =>
      Object.fromEntries(['ride_id', ...columns].map((column) => [column, row[column] === undefined ? 'absent' : normal(row[column])])),
    )
    .sort((a, b) => String(a.ride_id).localeCompare(String(b.ride_id)));
}

function normal(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  return value ?? null;
}

async function trainingSet(selection: string[], output: string): Promise<Row[]> {
  const result = await floeCommand(
    ['training-set', '--entities-csv', csv, ...selection, '--output', output, '--chunk-rows', '8', '--project', directory, '--json'],
    { cwd: directory },
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const summary = JSON.parse(result.stdout) as { rows: number; chunks: number };
  assert.deepEqual({ rows: summary.rows, chunks: summary.chunks }, { rows: 30, chunks: 4 });
  return (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: output })).rows;
}

async function library(request: { features: string[] } | { featureService: string }): Promise<Row[]> {
  const store = await FeatureStore.open(directory);
  try {
    const table = await store.getHistoricalFeatures({ entities: { csv }, ...request }).toArrow();
    return table.toArray().map((row: { toJSON(): Row }) => row.toJSON());
  } finally {
    await store.close();
  }
}

describe('floe training-set with on-demand views', () => {
  test('--feature-service with an on-demand view saves what getHistoricalFeatures returns for it', async () => {
    const columns = ['distance_km', 'acc_rate', 'expected_conversions', 'trips_per_km'];
    const saved = await trainingSet(['--feature-service', 'model'], 'datasets.odv_service');
    const expected = await library({ featureService: 'model' });
    assert.deepEqual(byRide(saved, columns), byRide(expected, columns));
    assert.ok(
      saved.some((row) => typeof row.expected_conversions === 'number') && saved.some((row) => row.expected_conversions === null),
      'some rides have every input, some miss one',
    );
  });

  test('--features odv:feature (with an ordinary feature) saves what getHistoricalFeatures returns for it', async () => {
    const features = ['ride_features:trips_per_km', `${view}:conv_rate`];
    const columns = ['distance_km', 'trips_per_km', 'conv_rate'];
    const saved = await trainingSet(['--features', ...features], 'datasets.odv_refs');
    const expected = await library({ features });
    assert.deepEqual(byRide(saved, columns), byRide(expected, columns));
    assert.ok(!('expected_conversions' in saved[0]!), 'only the on-demand feature asked for is saved');
    assert.ok(
      saved.some((row) => typeof row.trips_per_km === 'number'),
      'some rides have a value',
    );
  });
});
