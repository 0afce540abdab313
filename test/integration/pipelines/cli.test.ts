// services: temporal, python
// The pipeline commands as a user runs them, against a `floe worker` process on the dev server:
// floe backfill, floe materialize-incremental, floe schedule apply|list|pause|resume.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporalService } from '../../support/services.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog, expectedRows, onlineRows } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = `cli_${randomUUID().slice(0, 8)}`;

const directory = scratchFolder('pipelines-cli');
let source: SourceTable;
let worker: ChildProcess | undefined;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, {
    project: 'pipelines-cli',
    source,
    view,
    viewFields: ['online: { buckets: 4 }', 'schedule: { every: { hours: 12 }, paused: true }'],
  });
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
  const connection = await Connection.connect({ address: temporalService().address });
  await new Client({ connection }).schedule
    .getHandle(`floe-materialize-${view}`)
    .delete()
    .catch(() => undefined);
  await connection.close();
});

describe('floe pipeline commands', () => {
  test('floe backfill, then floe materialize-incremental from the watermark', async () => {
    const backfill = await floeCommand([
      'backfill',
      view,
      '--start',
      '2024-05-01T00:00:00Z',
      '--end',
      '2024-05-03T00:00:00Z',
      '--chunk',
      '1d',
      '--project',
      directory,
      '--json',
    ]);
    assert.equal(backfill.code, 0, backfill.stderr);
    const result = JSON.parse(backfill.stdout) as { chunks: number; rows: number };
    const days = [
      { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
      { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
    ];
    assert.equal(result.chunks, 2);
    assert.equal(result.rows, expectedRows(source.rows, days).length);

    const incremental = await floeCommand([
      'materialize-incremental',
      view,
      '--end',
      '2024-05-03T12:00:00Z',
      '--project',
      directory,
      '--json',
    ]);
    assert.equal(incremental.code, 0, incremental.stderr);
    const window = JSON.parse(incremental.stdout) as { start: string; end: string };
    assert.deepEqual({ start: window.start, end: window.end }, { start: '2024-05-03T00:00:00Z', end: '2024-05-03T12:00:00Z' });
    const all = [...days, { start: '2024-05-03T00:00:00.000Z', end: '2024-05-03T12:00:00.000Z' }];
    assert.deepEqual(await onlineRows(source, 'floe_online', view), expectedRows(source.rows, all));

    const bad = await floeCommand([
      'backfill',
      view,
      '--start',
      '2024-05-01T00:00:00Z',
      '--end',
      '2024-05-03T00:00:00Z',
      '--chunk',
      'daily',
      '--project',
      directory,
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--chunk "daily" is not a duration/);
  });

  test('floe schedule apply, list, pause and resume', async () => {
    const applied = await floeCommand(['schedule', 'apply', '--project', directory, '--json']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(JSON.parse(applied.stdout), [{ scheduleId: `floe-materialize-${view}`, featureView: view, outcome: 'created' }]);
    const listed = await floeCommand(['schedule', 'list', '--project', directory, '--json']);
    const mine = (JSON.parse(listed.stdout) as { scheduleId: string; paused: boolean; spec: string }[]).find(
      (one) => one.scheduleId === `floe-materialize-${view}`,
    );
    assert.equal(mine?.paused, true);
    assert.equal(mine?.spec, 'every 12h');
    const resumed = await floeCommand(['schedule', 'resume', view, '--project', directory]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`Resumed the materialize schedule of ${view}`));
    const paused = await floeCommand(['schedule', 'pause', view, '--note', 'cli test', '--project', directory, '--json']);
    assert.deepEqual(JSON.parse(paused.stdout), { featureView: view, schedule: 'materialize', paused: true });
    const human = await floeCommand(['schedule', 'list', '--project', directory]);
    assert.match(human.stdout, new RegExp(`floe-materialize-${view}  PAUSED`));
    const missing = await floeCommand(['schedule', 'pause', 'no_such_view', '--project', directory]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No feature view named "no_such_view"/);
    const missingSource = await floeCommand(['schedule', 'pause', '--source', 'no_such_source', '--project', directory]);
    assert.equal(missingSource.code, 2);
    assert.match(missingSource.stderr, /No source named "no_such_source"; defined: driver_stats/);
    const undefinedSchedule = await floeCommand(['schedule', 'pause', view, '--schedule', 'consistency', '--project', directory]);
    assert.equal(undefinedSchedule.code, 2);
    assert.match(
      undefinedSchedule.stderr,
      new RegExp(`No schedule floe-consistency-${view} for the consistency schedule of feature view ${view}; define it and run`),
    );
    const badSchedule = await floeCommand(['schedule', 'pause', view, '--schedule', 'hourly', '--project', directory]);
    assert.equal(badSchedule.code, 2);
    assert.match(badSchedule.stderr, /--schedule must be one of materialize, compaction, consistency, got "hourly"/);
    const sourceSchedule = await floeCommand([
      'schedule',
      'pause',
      '--source',
      'driver_stats',
      '--schedule',
      'consistency',
      '--project',
      directory,
    ]);
    assert.equal(sourceSchedule.code, 2);
    assert.match(sourceSchedule.stderr, /A source has only a compaction schedule, not a consistency schedule/);
    const neither = await floeCommand(['schedule', 'resume', '--project', directory]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /Name a feature view, or a source with --source \(not both\)/);
  });
});
