// services: temporal, python
// `floe training-set` as a user runs it, against a `floe worker` process on the dev server: the
// saved table holds one row per entity row (pyiceberg reads it), running the same command again
// returns the committed snapshot, and a bad feature exits 2 with a one-line message.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from '../../../engine/sql.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = 'driver_hourly_stats';

const directory = scratchFolder('training-set-cli');
let source: SourceTable;
let worker: ChildProcess | undefined;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'training-set-cli', source, view, viewFields: ['ttl: { hours: 2 }'] });
  // 75 entity rows over drivers 1001..1045 (1041 and up have no feature rows) at five times.
  const instance = await DuckDBInstance.create();
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT 'q' || i AS request_id, (1001 + i % 45)::BIGINT AS driver_id, TIMESTAMPTZ '2024-05-01 03:00:00+00' + to_hours((i // 15) * 14) AS event_timestamp FROM range(75) AS t(i)) TO ${quoteLiteral(path.join(directory, 'requests.parquet'))} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
});

describe('floe training-set', () => {
  test('saves the training set, returns the same commit when run again, and refuses an unknown feature', async () => {
    const args = [
      'training-set',
      '--entities-parquet',
      'requests.parquet',
      '--features',
      `${view}:conv_rate`,
      `${view}:avg_daily_trips`,
      '--output',
      'datasets.cli_training',
      '--chunk-rows',
      '20',
      '--project',
      directory,
      '--json',
    ];
    const first = await floeCommand(args, { cwd: directory });
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout) as {
      workflowId: string;
      table: string;
      rows: number;
      chunks: number;
      snapshotId: string;
      alreadyCommitted: boolean;
    };
    assert.equal(result.workflowId, 'training-set-datasets.cli_training');
    assert.deepEqual(
      { rows: result.rows, chunks: result.chunks, alreadyCommitted: result.alreadyCommitted },
      { rows: 75, chunks: 4, alreadyCommitted: false },
    );
    const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: source.oracle,
      identifier: 'datasets.cli_training',
    });
    assert.equal(read.rows.length, 75);
    assert.deepEqual(new Set(read.rows.map((row) => row.request_id)).size, 75);
    assert.ok(
      read.rows.some((row) => row.conv_rate === null) && read.rows.some((row) => typeof row.conv_rate === 'number'),
      'unknown drivers get nulls, known ones features',
    );

    const again = await floeCommand(args, { cwd: directory });
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as { snapshotId: string; alreadyCommitted: boolean };
    assert.deepEqual(second, { ...second, snapshotId: result.snapshotId, alreadyCommitted: true });

    const human = await floeCommand(
      args.filter((arg) => arg !== '--json'),
      { cwd: directory },
    );
    assert.match(human.stdout, /Training set datasets\.cli_training was already committed/);

    const bad = await floeCommand(
      [
        'training-set',
        '--entities-parquet',
        'requests.parquet',
        '--features',
        `${view}:no_such_feature`,
        '--output',
        'datasets.cli_bad',
        '--project',
        directory,
      ],
      { cwd: directory },
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /no_such_feature/);
    assert.ok(bad.stderr.trim().split('\n').length <= 2, bad.stderr);
  });

  test('refuses another request for the same --output, naming what differs, and replaces it with --replace', async () => {
    const run = (features: string[], extra: string[] = []) =>
      floeCommand(
        [
          'training-set',
          '--entities-parquet',
          'requests.parquet',
          '--features',
          ...features,
          '--output',
          'datasets.cli_other',
          '--project',
          directory,
          '--json',
          ...extra,
        ],
        { cwd: directory },
      );
    const first = await run([`${view}:conv_rate`]);
    assert.equal(first.code, 0, first.stderr);

    const other = await run([`${view}:acc_rate`]);
    assert.equal(other.code, 2, other.stderr);
    assert.match(
      other.stderr,
      new RegExp(
        `Output table datasets\\.cli_other holds a training set of another request \\(features was \\["${view}:conv_rate"\\], now \\["${view}:acc_rate"\\]\\); give --replace`,
      ),
    );
    assert.ok(other.stderr.trim().split('\n').length <= 2, other.stderr);
    const kept = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: source.oracle,
      identifier: 'datasets.cli_other',
    });
    assert.ok('conv_rate' in kept.rows[0]! && !('acc_rate' in kept.rows[0]!), 'the refused run left the table as it was');

    const replaced = await run([`${view}:acc_rate`], ['--replace']);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal((JSON.parse(replaced.stdout) as { alreadyCommitted: boolean; rows: number }).rows, 75);
    const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: source.oracle,
      identifier: 'datasets.cli_other',
    });
    assert.equal(read.rows.length, 75);
    assert.ok('acc_rate' in read.rows[0]! && !('conv_rate' in read.rows[0]!), 'the table holds the new request');

    const same = await run([`${view}:acc_rate`]);
    assert.equal(same.code, 0, same.stderr);
    assert.equal((JSON.parse(same.stdout) as { alreadyCommitted: boolean }).alreadyCommitted, true, 'the same request stays idempotent');
  });
});
