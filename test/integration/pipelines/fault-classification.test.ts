// services: temporal, python
// Corrupt or missing files under `materialize`, on the Temporal dev server: a source data file with
// zeroed bytes or a truncated footer, a truncated metadata JSON, a missing metadata file and an
// overwritten manifest list each fail the workflow at once with a non-retryable FloeError whose
// message (as the CLI reports it) names the table, the file and what was expected. Nothing is
// retried, so each case ends in seconds instead of running until it is killed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { reportError } from '../../../cli/output.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import type { materialize } from '../../../workflows/materialize.js';
import type { TableFiles } from '../../support/pipelines/damaged-files.js';
import { currentManifestList, tableFiles, truncate, withDamagedFile, zeroMiddle } from '../../support/pipelines/damaged-files.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import { appendSourceRows, createDriverStatsCatalog, startPipelineWorker, VIEW } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { Redactor } from '../../../core/redaction.js';

const DAY2 = { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };
/** Non-retryable failures end a run in seconds; a retried one would run for minutes. */
const AT_ONCE_MS = 30_000;

const scratch = scratchFolder('fault-classes');
let source: SourceTable;
let worker: PipelineWorker;
let files: TableFiles;

before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
  files = await tableFiles(source.floeCatalog, { namespace: ['rides'], name: 'driver_stats' });
  worker = await startPipelineWorker(source);
});
after(async () => {
  await worker?.close();
});

/** Materializes DAY2 and expects it to fail at once with `FloeError:<kind>`; returns what the CLI prints. */
async function failsAtOnce(kind: string): Promise<string> {
  const started = Date.now();
  const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
    taskQueue: worker.taskQueue,
    workflowId: `materialize-fault-${randomUUID()}`,
    args: [{ featureView: VIEW, ...DAY2 }],
  });
  const error = await handle.result().then(
    () => assert.fail('the run succeeded'),
    (failure: unknown) => failure,
  );
  const elapsed = Date.now() - started;
  assert.ok(error instanceof WorkflowFailedError, String(error));
  let failure: unknown = error;
  while (failure instanceof Error && !(failure instanceof ApplicationFailure)) failure = failure.cause;
  assert.ok(failure instanceof ApplicationFailure, `an ApplicationFailure under ${String(error)}`);
  assert.equal(failure.type, `FloeError:${kind}`, failure.message);
  assert.equal(failure.nonRetryable, true);
  assert.ok(elapsed < AT_ONCE_MS, `failed after ${elapsed} ms`);
  const history = await handle.fetchHistory();
  const retried = (history.events ?? []).filter((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
  assert.equal(retried, 0, 'no step was retried');
  return printedByCli(error);
}

function printedByCli(error: unknown): string {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    reportError(error, new Redactor());
  } finally {
    console.error = original;
  }
  return lines.join('\n');
}

/** Whether the view's online table exists (the worker's project has never been applied). */
async function onlineTableExists(): Promise<boolean> {
  const catalog = await loadCatalog(source.floeCatalog);
  try {
    return await catalog.tableExists({ namespace: [worker.onlineNamespace], name: VIEW });
  } finally {
    await catalog.close();
  }
}

function assertNames(printed: string, ...parts: (string | RegExp)[]): void {
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(printed.includes(part), `"${printed}" does not name ${part}`);
    else assert.match(printed, part);
  }
}

describe('corrupt and missing files under materialize', () => {
  test('a data file with zeroed bytes: FloeError:corrupt at once, naming the file and the table', async () => {
    await withDamagedFile(files.dataFile, zeroMiddle, async () => {
      const printed = await failsAtOnce('corrupt');
      assertNames(printed, files.dataFile, 'rides.driver_stats', /expected a Parquet file/);
      assert.doesNotMatch(printed, /LINE 1|SELECT|read_parquet/, 'no DuckDB SQL in the message');
      assert.equal(await onlineTableExists(), false, 'the failed first run left no empty online table');
    });
  });

  test('a data file with a truncated footer: FloeError:corrupt at once, naming the file and the table', async () => {
    await withDamagedFile(files.dataFile, truncate(20), async () => {
      const printed = await failsAtOnce('corrupt');
      assertNames(printed, files.dataFile, 'rides.driver_stats', /expected a Parquet file/);
      assert.equal(await onlineTableExists(), false, 'the failed first run left no empty online table');
    });
  });

  test('a truncated metadata JSON: FloeError:corrupt naming the table, the file and what was expected', async () => {
    await withDamagedFile(files.metadata, truncate(-300), async () => {
      const printed = await failsAtOnce('corrupt');
      assertNames(printed, 'rides.driver_stats', files.metadata, /expected Iceberg table metadata JSON/);
    });
  });

  test('a catalog pointing at a missing metadata file: FloeError:not-found naming the table, the file and what was expected', async () => {
    const file = localPath(files.metadata);
    await rename(file, `${file}.moved`);
    try {
      const printed = await failsAtOnce('not-found');
      assertNames(printed, 'rides.driver_stats', files.metadata, /does not exist \(expected the table's current metadata JSON there\)/);
      assert.doesNotMatch(printed, /ENOENT/);
    } finally {
      await rename(`${file}.moved`, file);
    }
  });

  test('an overwritten manifest list: FloeError:corrupt naming the table and the file', async () => {
    // The lists of the snapshots read so far are kept decoded; a new snapshot's list is read anew.
    await appendSourceRows(source, source.rows.slice(0, 1));
    const manifestList = await currentManifestList(source.floeCatalog, { namespace: ['rides'], name: 'driver_stats' });
    assert.notEqual(manifestList, files.manifestList);
    await withDamagedFile(
      manifestList,
      async (_bytes, file) => copyFile(localPath(files.metadata), file),
      async () => {
        const printed = await failsAtOnce('corrupt');
        assertNames(printed, 'rides.driver_stats', manifestList, /Avro/);
      },
    );
  });
});
