// services: temporal, python
// Crash safety: a backfill whose worker PROCESS is killed with SIGKILL twice — once while the
// write step is uploading (data files up, manifest not yet written), once between write and
// commit — and a third worker finishes it. The online table then holds every expected row exactly
// once (pyiceberg read vs the brute-force answer). Files the killed attempts left are orphans,
// counted; then the compact workflow's cleanup (retention 0) removes them: every file left under
// the online table is one pyiceberg says the table references, and the rows are unchanged.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { backfill } from '../../../workflows/backfill.js';
import type { CompactResult } from '../../../contracts/compact.js';
import { normalizeLocation } from '../../../iceberg/maintenance/remove-orphan-files.js';
import { referencedByPyiceberg } from '../../support/compaction/referenced.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { temporalService } from '../../support/services.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  RANGE,
  VIEW,
} from '../../support/pipelines/pipeline.js';
import { startWorkerProcess } from '../../support/pipelines/faults.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('crash');
let source: SourceTable;
const children: ChildProcess[] = [];
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

test('a backfill survives its worker process being killed mid-write and between write and commit', async (t) => {
  const { address, namespace } = temporalService();
  const onlineNamespace = `online_crash_${randomUUID().slice(0, 8)}`;
  const taskQueue = `test-crash-${randomUUID()}`;
  const base = { address, namespace, taskQueue, catalog: source.floeCatalog, sourceTable: source.table, onlineNamespace };
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  try {
    // Worker 1 holds the second chunk's write step with its data files uploaded but no manifest yet.
    const midWrite = path.join(scratch, 'mid-write');
    const first = await startWorkerProcess(
      { ...base, directory: path.join(scratch, 'w1'), hold: { point: 'afterDataFiles', call: 2, marker: midWrite } },
      children,
    );
    const workflowId = `backfill-crash-${randomUUID()}`;
    const handle = await client.workflow.start<typeof backfill>('backfill', {
      taskQueue,
      workflowId,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
    });
    await waitForFile(midWrite);
    kill(first);

    // Worker 2 holds the (retried) write step after its manifest is written, before the commit.
    const beforeCommit = path.join(scratch, 'before-commit');
    const second = await startWorkerProcess(
      { ...base, directory: path.join(scratch, 'w2'), hold: { point: 'afterWrite', call: 1, marker: beforeCommit } },
      children,
    );
    await waitForFile(beforeCommit);
    kill(second);

    const third = await startWorkerProcess({ ...base, directory: path.join(scratch, 'w3') }, children);
    const result = await handle.result();

    const halfDays = [
      '2024-05-01T00:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
      '2024-05-02T00:00:00.000Z',
      '2024-05-02T12:00:00.000Z',
      '2024-05-03T00:00:00.000Z',
      '2024-05-03T12:00:00.000Z',
    ];
    const windows = halfDays.slice(0, -1).map((start, index) => ({ start, end: halfDays[index + 1]! }));
    const expected = expectedRows(source.rows, windows);
    assert.equal(result.chunks, 5);
    assert.deepEqual(committedWindows(await onlineSnapshots(source, onlineNamespace)), windows, 'one commit per chunk, in order');
    assert.deepEqual(await onlineRows(source, onlineNamespace), expected, 'every expected row exactly once');

    const orphans = await countOrphans(onlineNamespace);
    t.diagnostic(`orphan files left by the killed attempts: ${orphans.dataFiles} data file(s), ${orphans.manifests} manifest(s)`);
    assert.ok(orphans.dataFiles > 0, 'the killed write attempts did leave files behind (what orphan cleanup is for)');

    // Compaction's cleanup on the surviving worker, keeping nothing for retention's sake.
    const compacted: CompactResult = await client.workflow.execute('compact', {
      taskQueue,
      workflowId: `compact-crash-${randomUUID()}`,
      args: [{ featureView: VIEW }, { retentionSeconds: 0 }],
    });
    kill(third);
    assert.equal(compacted.snapshotId, null, 'five windows are too few files per partition to rewrite');
    assert.ok(compacted.orphansRemoved >= orphans.dataFiles + orphans.manifests, `removed ${compacted.orphansRemoved} orphan(s)`);
    const identifier = `${onlineNamespace}.${VIEW}`;
    assert.deepEqual(
      await filesUnderTable(identifier),
      await referencedByPyiceberg(source.oracle, identifier),
      'no orphan file left under the online table',
    );
    assert.deepEqual(await countOrphans(onlineNamespace), { dataFiles: 0, manifests: 0 });
    assert.deepEqual(await onlineRows(source, onlineNamespace), expected, 'the cleanup removed no row');
  } finally {
    await connection.close();
  }
});

function kill(child: ChildProcess): void {
  child.kill('SIGKILL');
}

async function waitForFile(file: string): Promise<void> {
  for (let attempt = 0; attempt < 3_000; attempt++) {
    if (existsSync(file)) return;
    await sleep(100);
  }
  throw new Error(`${file} never appeared: the worker did not reach its hold point`);
}

/** Every file under the table's location (its local folder), as pyiceberg's referenced paths are normalized. */
async function filesUnderTable(identifier: string): Promise<string[]> {
  const { metadata_location: metadataLocation } = await runPyiceberg<{ metadata_location: string }>('load_metadata', {
    catalog: source.oracle,
    identifier,
  });
  const tableDirectory = path.dirname(path.dirname(normalizeLocation(metadataLocation)));
  const entries = await readdir(tableDirectory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name !== 'version-hint.text')
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Data files and manifests in the online table's folders that no snapshot refers to. */
async function countOrphans(onlineNamespace: string): Promise<{ dataFiles: number; manifests: number }> {
  const identifier = `${onlineNamespace}.${VIEW}`;
  const files = await runPyiceberg<{ rows: { file_path: string }[] }>('inspect', { catalog: source.oracle, identifier, what: 'files' });
  const manifests = await runPyiceberg<{ rows: { path: string }[] }>('inspect', {
    catalog: source.oracle,
    identifier,
    what: 'all_manifests',
  });
  const tableDirectory = path.dirname(path.dirname(new URL(files.rows[0]!.file_path).pathname.replace(/\/data\/.*$/, '/data/x')));
  const referencedData = new Set(files.rows.map((row) => new URL(row.file_path).pathname));
  const referencedManifests = new Set(manifests.rows.map((row) => new URL(row.path).pathname));
  const all = await readdir(tableDirectory, { recursive: true });
  const present = all.map((name) => path.join(tableDirectory, name));
  return {
    dataFiles: present.filter(
      (file) => file.includes(`${path.sep}data${path.sep}`) && file.endsWith('.parquet') && !referencedData.has(file),
    ).length,
    manifests: present.filter(
      (file) =>
        file.includes(`${path.sep}metadata${path.sep}`) &&
        /-m\d+\.avro$|\.avro$/.test(path.basename(file)) &&
        !path.basename(file).startsWith('snap-') &&
        !referencedManifests.has(file),
    ).length,
  };
}
