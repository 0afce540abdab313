// services: temporal, python
// The one rule for instants, as a user in Tokyo meets it: every `floe` process here (the worker
// included) runs with TZ=Asia/Tokyo, and an instant without a zone still means UTC — on the
// command line, in an --entities-csv file — and every instant printed is UTC with a Z, in Feast's
// form. Read back with `floe get-online`, the feature server and `floe table head`.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DriverStatsRow } from '../../support/driver-stats.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { floeCommand, startServer, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const suffix = randomUUID().slice(0, 8);
const view = `tokyo_${suffix}`;
const env = { ...process.env, TZ: 'Asia/Tokyo' };

function row(driver: number, eventTimestamp: string, convRate: number): DriverStatsRow {
  return {
    driver_id: driver,
    conv_rate: convRate,
    acc_rate: 0.5,
    avg_daily_trips: 1,
    event_timestamp: eventTimestamp,
    created: eventTimestamp,
  };
}

const directory = scratchFolder('cli-time');
let worker: ChildProcess | undefined;

before(async () => {
  const source = await createDriverStatsCatalog(path.join(directory, 'source'), [
    row(1, '2024-05-01T00:00:00Z', 0.1),
    row(1, '2024-05-01T10:00:00Z', 0.2),
    row(2, '2024-05-01T08:30:00Z', 0.5),
  ]);
  await writeCliProject(directory, { project: 'cli-time', source, view });
  const applied = await floeCommand(['apply', '--project', directory], { env });
  assert.equal(applied.code, 0, applied.stderr);
  worker = startWorker(directory, { env });
});

after(async () => {
  await stopWorker(worker);
});

function floe(...args: string[]): ReturnType<typeof floeCommand> {
  return floeCommand([...args, '--project', directory], { env });
}

describe('under TZ=Asia/Tokyo, an instant without a zone is UTC', () => {
  test('floe materialize --start 2024-05-01T00:00:00 takes [00:00Z, 09:00Z), and get-online prints UTC with a Z', async () => {
    // Taken as Tokyo time, this window would be [2024-04-30T15:00Z, 2024-05-01T00:00Z): no row at all.
    const run = await floe('materialize', view, '--start', '2024-05-01T00:00:00', '--end', '2024-05-01T09:00:00', '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { start: string; end: string; rows: number };
    assert.deepEqual([result.start, result.end, result.rows], ['2024-05-01T00:00:00Z', '2024-05-01T09:00:00Z', 2]);

    const read = await floe('get-online', `${view}:conv_rate`, '--entity', 'driver_id=1,2', '--json');
    assert.equal(read.code, 0, read.stderr);
    const [feature] = (JSON.parse(read.stdout) as { features: { values: number[]; eventTimestamps: string[] }[] }).features;
    assert.deepEqual(feature!.values, [0.1, 0.5]);
    assert.deepEqual(feature!.eventTimestamps, ['2024-05-01T00:00:00Z', '2024-05-01T08:30:00Z']);

    // The feature server prints the same instants the same way.
    const { url, server } = await startServer(directory, { env });
    try {
      const response = await fetch(`${url}/get-online-features`, {
        method: 'POST',
        body: JSON.stringify({ features: [`${view}:conv_rate`], entities: { driver_id: [1, 2] } }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { results: { event_timestamps: string[] }[] };
      assert.deepEqual(body.results[1]!.event_timestamps, feature!.eventTimestamps);
    } finally {
      await stopWorker(server);
    }
  });

  test('floe training-set --entities-csv: zone-less times are UTC, offsets honoured', async () => {
    const csv = path.join(directory, 'requests.csv');
    await writeFile(
      csv,
      ['driver_id,event_timestamp,label', '1,2024-05-01 09:00:00,a', '1,2024-05-01T12:00:00,b', '2,2024-05-01T17:30:00+09:00,c', ''].join(
        '\n',
      ),
    );
    const output = `datasets.csv_${suffix}`;
    const run = await floe('training-set', '--entities-csv', csv, '--features', `${view}:conv_rate`, '--output', output, '--json');
    assert.equal(run.code, 0, run.stderr);
    const head = await floe('table', 'head', output, '--json');
    assert.equal(head.code, 0, head.stderr);
    const rows = (JSON.parse(head.stdout) as { rows: Record<string, unknown>[] }).rows.map((entry) => [
      entry.driver_id,
      entry.event_timestamp,
      entry.label,
      entry.conv_rate,
    ]);
    assert.deepEqual(
      rows.sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        ['2', '2024-05-01T08:30:00Z', 'c', 0.5],
        ['1', '2024-05-01T09:00:00Z', 'a', 0.1],
        ['1', '2024-05-01T12:00:00Z', 'b', 0.2],
      ],
    );
  });

  test('--entities-csv without the timestamp column: exit 2 naming the file, the column and the header', async () => {
    const csv = path.join(directory, 'no-time.csv');
    await writeFile(csv, 'driver_id,when\n1,2024-05-01\n');
    const run = await floe('training-set', '--entities-csv', csv, '--features', `${view}:conv_rate`, '--output', `datasets.none_${suffix}`);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(
      run.stderr.startsWith(
        `floe: The entity CSV file ${csv} has no timestamp column "event_timestamp"; its header names "driver_id", "when". Name it with --timestamp-column`,
      ),
      run.stderr,
    );
    assert.equal(run.stderr.split('\n').length, 2, 'one line');
    // pandas' to_csv writes its index as a first column without a name.
    const indexed = path.join(directory, 'indexed.csv');
    await writeFile(indexed, ',driver_id,event_timestamp\n0,1,2024-05-01T09:00:00Z\n');
    const unnamed = await floe(
      'training-set',
      '--entities-csv',
      indexed,
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.none_${suffix}`,
    );
    assert.equal(unnamed.code, 2, unnamed.stderr);
    assert.ok(
      unnamed.stderr.startsWith(
        `floe: The entity CSV file ${indexed} cannot be read as entity rows: its header line gives column 1 no name (pandas writes its index so; write the file with index=False)`,
      ),
      unnamed.stderr,
    );
    const missing = await floe(
      'training-set',
      '--entities-csv',
      'nope.csv',
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.none_${suffix}`,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^floe: The entity CSV file nope\.csv does not exist or cannot be read/);
  });
});
