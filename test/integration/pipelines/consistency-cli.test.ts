// services: temporal, python
// `floe consistency` as a user runs it: through the workflow on a `floe worker` process, and with
// --local in the command's own process. Exit 2 before anything is materialized (saying so), 0 when
// online and offline agree, 1 naming the entity and feature when a wrong row is planted online.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConsistencyResult } from '../../../contracts/consistency.js';
import { latestMismatchRates } from '../../../features/consistency/index.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { loadProject } from '../../../features/project.js';
import { openRuntime } from '../../../features/runtime.js';
import type { Runtime } from '../../../features/runtime.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { plantOnlineRow } from '../../support/pipelines/plant-online-row.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = `checked_${randomUUID().slice(0, 8)}`;
const directory = scratchFolder('consistency-cli');
let worker: ChildProcess | undefined;
let runtime: Runtime;

before(async () => {
  const source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'consistency-cli', source, view, viewFields: ['online: { buckets: 4 }'] });
  runtime = await openRuntime(await loadProject(directory));
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
  await runtime.close();
});

function result(stdout: string): ConsistencyResult {
  return JSON.parse(stdout) as ConsistencyResult;
}

describe('floe consistency', () => {
  test('exit 2 before anything is materialized, 0 when online equals offline, 1 naming a planted wrong row', async () => {
    const early = await floeCommand(['consistency', view, '--local', '--project', directory]);
    assert.equal(early.code, 2, early.stderr);
    assert.match(early.stderr, new RegExp(`Feature view ${view} has no online table .*: materialize it before checking its consistency`));

    await materializeWindow(runtime, view, { start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-05-03T00:00:00Z') }, 'cli-test');
    const healthy = await floeCommand(['consistency', view, '--sample', '25', '--seed', '3', '--json', '--project', directory]);
    assert.equal(healthy.code, 0, healthy.stderr);
    const checked = result(healthy.stdout);
    assert.deepEqual(
      { sampled: checked.sampled, population: checked.population, mismatches: checked.mismatches, seed: checked.seed },
      { sampled: 25, population: 40, mismatches: 0, seed: 3 },
    );
    assert.equal(checked.exactAsOf, '2024-05-02T23:59:59.999999Z');
    assert.equal(checked.reportTable, 'floe_monitoring.consistency');

    // The same seed samples the same entities, in-process too; with every entity sampled the planted one is found.
    await plantOnlineRow(runtime, view, { driverId: 1007, eventTs: '2024-05-02T23:59:59.999999Z' });
    const local = await floeCommand(['consistency', view, '--local', '--project', directory]);
    assert.equal(local.code, 1, local.stderr);
    assert.match(local.stdout, /3 mismatching value\(s\) for 40 of 40 entities \(seed 0\), exact as of 2024-05-02T23:59:59\.999999Z/);
    assert.match(local.stdout, /conv_rate: 1 mismatch\(es\), rate 0\.025\n\s+\{"driver_id":1007\}: online 99\.5, offline 0\.\d+/);
    assert.match(local.stdout, /avg_daily_trips: 1 mismatch\(es\), rate 0\.025\n\s+\{"driver_id":1007\}: online -1, offline \d+/);

    const latest = await latestMismatchRates(runtime, 'floe_monitoring.consistency');
    assert.deepEqual(
      latest.filter((row) => row.featureView === view).map((row) => [row.feature, row.mismatchRate]),
      [
        ['acc_rate', 0.025],
        ['avg_daily_trips', 0.025],
        ['conv_rate', 0.025],
      ],
    );
  });
});
