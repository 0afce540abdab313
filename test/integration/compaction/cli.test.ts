// services: temporal, python
// floe compact as a user runs it, against a `floe worker` process on the dev server: a view's online
// table after several `floe materialize` windows, a source table by --table, and bad input (exit 2).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog, onlineRows } from '../../support/pipelines/pipeline.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = `compact_cli_${randomUUID().slice(0, 8)}`;

const directory = scratchFolder('compact-cli');
let source: SourceTable;
let worker: ChildProcess | undefined;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'compact-cli', source, view, viewFields: ['online: { buckets: 4 }'] });
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
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
    const result = JSON.parse(compacted.stdout) as {
      kind: string;
      featureView: string;
      partitionsRewritten: number;
      dataFilesBefore: number;
      dataFilesAfter: number;
      rowsBefore: number;
      rowsAfter: number;
    };
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
    assert.deepEqual(pick(JSON.parse(table.stdout) as Record<string, unknown>, ['kind', 'table', 'snapshotId', 'deleteFilesBefore']), {
      kind: 'source',
      table: source.table,
      snapshotId: null,
      deleteFilesBefore: 0,
    });

    for (const [args, message] of [
      [['compact'], /needs either a feature view or --table/],
      [['compact', view, '--table', source.table], /not both/],
      [['compact', 'no_such_view'], /No feature view named "no_such_view"/],
      [['compact', view, '--retention', 'soon'], /--retention "soon" is not a duration/],
      [
        ['compact', view, '--retention', '1h'],
        /--retention 1h is under 24h, the longest a file may wait for the commit still in flight that will refer to it: compaction removes the unreferenced files older than its retention, and removing it would break that commit\. .*add --force if nothing writes the table meanwhile/,
      ],
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
