// services: temporal, python
// Compaction on real services: an online table grown by many small materialize windows, compacted
// by the compact workflow on the Temporal dev server and read back by pyiceberg and the online
// store; a compaction whose commit is held while a materialization appends; expiry and orphan
// removal with no retention; a source table's merge-on-read deletes folded into its data files; and
// a source table's small files merged into one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { quoteIdentifier as q } from '../../../engine/sql.js';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import {
  compactTable,
  describeKeptGroups,
  planCompaction,
  resolveCompactionTarget,
  rewriteAndCommit,
} from '../../../features/compaction/index.js';
import type { FeatureContext } from '../../../features/context.js';
import { OnlineStore } from '../../../features/online/index.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import type { CompactResult } from '../../../contracts/compact.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import { recordHistory } from '../../support/histories.js';
import { normalizeLocation } from '../../../iceberg/maintenance/remove-orphan-files.js';
import { referencedByPyiceberg } from '../../support/compaction/referenced.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { workflowBundle } from '../../support/temporal.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { BUCKETS } from '../../support/pipelines/definitions.js';
import {
  appendSourceRows,
  createDriverStatsCatalog,
  onlineRows,
  onlineSnapshots,
  sortDriverStatsRows,
  startPipelineWorker,
  VIEW,
} from '../../support/pipelines/pipeline.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

/** Six 6-hour windows: each lands one small file in each of the view's buckets. */
const WINDOWS = Array.from({ length: 6 }, (_, index) => ({
  start: new Date(Date.parse('2024-05-01T00:00:00Z') + index * 6 * 3_600_000).toISOString(),
  end: new Date(Date.parse('2024-05-01T00:00:00Z') + (index + 1) * 6 * 3_600_000).toISOString(),
}));
const LATE_WINDOW = { start: '2024-05-02T12:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };
const CLOCK = Date.parse('2024-05-03T00:00:00Z');
const DRIVERS = [...Array.from({ length: 40 }, (_, index) => ({ driver_id: 1001 + index })), { driver_id: 9999 }];

const scratch = scratchFolder('compaction');

describe('compact workflow', () => {
  test('many small windows compact to one file per partition with the same latest rows; expiry and orphan removal leave only referenced files', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'online'));
    const worker = await startPipelineWorker(source);
    try {
      for (const window of WINDOWS) await materialize(worker, window);
      const before = await onlineRows(source, worker.onlineNamespace);
      assert.equal(before.length > 40 * 5, true, `six windows hold a row per driver each (${before.length})`);
      const filesBefore = await onlineFiles(source, worker.onlineNamespace);
      assert.equal(filesBefore.length, BUCKETS * WINDOWS.length);
      const store = onlineStore(worker);
      const answerBefore = await store.getOnlineFeatures({ features: [VIEW], entityRows: DRIVERS });

      const workflowId = `compact-${VIEW}-${randomUUID()}`;
      const handle = await worker.client.workflow.start('compact', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureView: VIEW }, { minFiles: 4, skipCleanup: true }],
      });
      const result: CompactResult = await handle.result();
      assert.equal(result.kind, 'online');
      assert.equal(result.partitionsRewritten, BUCKETS);
      assert.equal(result.dataFilesBefore, BUCKETS * WINDOWS.length);
      assert.equal(result.dataFilesAfter, BUCKETS);
      assert.equal(result.rowsBefore, before.length);
      assert.equal(result.rowsAfter, 40);
      assert.equal(result.alreadyCommitted, false);
      const progress = await handle.query<{ phase: string; groupsPlanned: number }>('progress');
      assert.equal(progress.phase, 'done');
      assert.equal(progress.groupsPlanned, BUCKETS);

      // pyiceberg: one file per bucket, holding exactly the latest row per driver of before.
      const filesAfter = await onlineFiles(source, worker.onlineNamespace);
      assert.equal(filesAfter.length, BUCKETS);
      assert.deepEqual(new Set(filesAfter.map((file) => Number(file.partition.driver_id_bucket))).size, BUCKETS);
      const afterRows = await onlineRows(source, worker.onlineNamespace);
      assert.deepEqual(afterRows, latestPerEntity(before));
      assert.equal(afterRows.length, 40);
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.equal((await operations(source, worker.onlineNamespace)).at(-1), 'replace');
      // The replace carries the watermark, so it survives the expiry of the windows' snapshots.
      assert.equal(snapshots.at(-1)!.summary['floe.watermark'], WINDOWS.at(-1)!.end);

      // The online store answers exactly as before, from the compacted files.
      const answerAfter = await onlineStore(worker).getOnlineFeatures({ features: [VIEW], entityRows: DRIVERS });
      assert.deepEqual(answerAfter.features, answerBefore.features);
      assert.deepEqual(answerAfter.entities, answerBefore.entities);

      const history = await handle.fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
      await recordHistory(workflowId, 'compact-online');

      // Expiry and orphan removal with no retention: a stray file and every file of the expired
      // snapshots go; what remains is exactly what pyiceberg says the table references.
      const table = await worker.runtime.catalog.loadTable(parseTableIdentifier(`${worker.onlineNamespace}.${VIEW}`));
      const stray = `${table.metadata.location}/data/stray-${randomUUID()}.parquet`;
      await table.io.write(stray, new TextEncoder().encode('not referenced'));
      const cleaned: CompactResult = await worker.client.workflow.execute('compact', {
        taskQueue: worker.taskQueue,
        workflowId: `compact-${VIEW}-${randomUUID()}`,
        args: [{ featureView: VIEW }, { minFiles: 4, retentionSeconds: 0, retainLast: 1 }],
      });
      assert.equal(cleaned.snapshotId, null, 'nothing left to rewrite');
      assert.equal(cleaned.snapshotsExpired, WINDOWS.length);
      assert.ok(cleaned.orphansRemoved >= 1);
      const listed = [];
      for await (const file of table.io.list(`${table.metadata.location}/`)) listed.push(normalizeLocation(file.location));
      assert.ok(!listed.includes(normalizeLocation(stray)));
      assert.deepEqual(
        listed.filter((file) => !file.endsWith('version-hint.text')).sort(),
        await referencedByPyiceberg(source.oracle, `${worker.onlineNamespace}.${VIEW}`),
      );
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), afterRows);
      const answerCleaned = await onlineStore(worker).getOnlineFeatures({ features: [VIEW], entityRows: DRIVERS });
      assert.deepEqual(answerCleaned.features, answerBefore.features);
    } finally {
      await worker.close();
    }
  });

  test('a materialization appending while the compaction holds its commit: both land, no row lost; a rewrite whose files another commit removed fails clearly', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'concurrent'));
    let reached!: () => void;
    const held = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const worker = await startPipelineWorker(source, {
      hooks: {
        beforeCompactionCommit: async () => {
          reached();
          await released;
        },
      },
    });
    try {
      for (const window of WINDOWS.slice(0, 3)) await materialize(worker, window);
      const before = await onlineRows(source, worker.onlineNamespace);
      const handle = await worker.client.workflow.start('compact', {
        taskQueue: worker.taskQueue,
        workflowId: `compact-${VIEW}-${randomUUID()}`,
        args: [{ featureView: VIEW }, { minFiles: 2, skipCleanup: true }],
      });
      await held;
      const appended = await materialize(worker, LATE_WINDOW);
      assert.ok(appended.rows > 0);
      const late = await onlineRows(source, worker.onlineNamespace);
      release();
      const result: CompactResult = await handle.result();
      assert.equal(result.partitionsRewritten, BUCKETS);
      assert.notEqual(result.snapshotId, appended.onlineSnapshotId);

      // The compacted rows of the first three windows, and every row the late window appended.
      const lateRows = late.filter((row) => !before.some((old) => JSON.stringify(old) === JSON.stringify(row)));
      assert.equal(lateRows.length, appended.rows);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), sortDriverStatsRows([...latestPerEntity(before), ...lateRows]));
      const snapshots = await onlineSnapshots(source, worker.onlineNamespace);
      assert.deepEqual((await operations(source, worker.onlineNamespace)).slice(-2), ['append', 'replace']);
      assert.equal(snapshots.at(-1)!.summary['floe.watermark'], LATE_WINDOW.end, 'the replace keeps the watermark the append advanced');
      const files = await onlineFiles(source, worker.onlineNamespace);
      assert.equal(files.length, BUCKETS + appended.dataFiles, 'the appended files are still there beside the compacted ones');

      // Planned, then another compaction rewrites the same files: the first rewrite cannot commit.
      const context: FeatureContext = {
        registry: worker.runtime.project.registry,
        catalog: worker.runtime.catalog,
        engine: worker.runtime.engine,
        workDirectory: worker.runtime.project.config.workDirectory,
      };
      const target = await resolveCompactionTarget(context, { featureView: VIEW });
      const stale = await planCompaction(context, target, { minFiles: 1 });
      assert.equal(stale.groups.length, BUCKETS);
      const first = await compactTable(context, target, { minFiles: 1, skipCleanup: true });
      assert.equal(first.dataFilesAfter, BUCKETS);
      await assert.rejects(
        rewriteAndCommit(context, stale, { idempotencyKey: `stale-${randomUUID()}`, filePrefix: `stale-${randomUUID()}` }),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
          assert.match(error.message, /is no longer in the table/);
          return true;
        },
      );
      // A retried rewrite of the plan that committed (same snapshot, same key) finds its commit and writes nothing.
      assert.equal(first.plannedSnapshotId, stale.snapshotId);
      const retried = await rewriteAndCommit(context, stale, {
        idempotencyKey: `compact/${target.table}/${stale.snapshotId}`,
        filePrefix: `retry-${randomUUID()}`,
      });
      assert.equal(retried.alreadyCommitted, true);
      assert.equal(retried.snapshotId, first.snapshotId);
      assert.equal(retried.rowsAfter, first.rowsAfter);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), latestPerEntity([...before, ...lateRows]));
    } finally {
      release();
      await worker.close();
    }
  });

  test("a source table's merge-on-read deletes are folded into rewritten data files", async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'source'));
    const worker = await startPipelineWorker(source);
    try {
      const identifier = parseTableIdentifier(source.table);
      const table = await worker.runtime.catalog.loadTable(identifier);
      // Every correction row (trips ≥ 1000) deleted by position: delete files over both data files.
      const deletes = await deleteRows(table, {
        engine: worker.runtime.engine,
        rowFilter: `${q('avg_daily_trips')} >= 1000`,
        workDirectory: path.join(source.directory, 'deletes'),
      });
      assert.ok(deletes.change !== null && deletes.deletedRows > 0);
      await commitChange(worker.runtime.catalog, identifier, deletes.change);
      const before = await sourceRows(source);
      assert.equal(before.length, source.rows.length - deletes.deletedRows);
      const deleteFilesBefore = await runPyiceberg<{ rows: unknown[] }>('inspect', {
        catalog: source.oracle,
        identifier: source.table,
        what: 'delete_files',
      });
      assert.ok(deleteFilesBefore.rows.length > 0);

      const workflowId = `compact-table-${randomUUID()}`;
      const handle = await worker.client.workflow.start('compact', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ table: source.table }, {}],
      });
      const result: CompactResult = await handle.result();
      assert.equal(result.kind, 'source');
      assert.equal(result.featureView, null);
      assert.equal(result.deleteFilesRemoved, deleteFilesBefore.rows.length);
      assert.equal(result.rowsBefore - result.rowsAfter, deletes.deletedRows);
      // Both data files have deletes and lie in the one partition of the unpartitioned table: one file now.
      assert.equal(result.dataFilesBefore, 2);
      assert.equal(result.dataFilesAfter, 1);

      const deleteFilesAfter = await runPyiceberg<{ rows: unknown[] }>('inspect', {
        catalog: source.oracle,
        identifier: source.table,
        what: 'delete_files',
      });
      assert.equal(deleteFilesAfter.rows.length, 0);
      assert.deepEqual(await sourceRows(source), before);

      const history = await handle.fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
      await recordHistory(workflowId, 'compact-source-mor');
    } finally {
      await worker.close();
    }
  });
  test("a source table's small files are merged into one, every row kept, as pyiceberg reads them", async () => {
    const rows = driverStatsRows();
    const slices = Array.from({ length: 6 }, (_, index) => rows.filter((_, row) => row % 8 === index + 2));
    let source = await createDriverStatsCatalog(
      path.join(scratch, 'small-files'),
      rows.filter((_, row) => row % 8 < 2),
    );
    for (const slice of slices) source = await appendSourceRows(source, slice);
    const worker = await startPipelineWorker(source);
    try {
      const before = await sourceRows(source);
      assert.equal(before.length, rows.length);
      assert.equal((await sourceFiles(source)).length, 8);

      const kept: CompactResult = await worker.client.workflow.execute('compact', {
        taskQueue: worker.taskQueue,
        workflowId: `compact-table-${randomUUID()}`,
        args: [{ table: source.table }, {}],
      });
      assert.equal(kept.snapshotId, null, 'eight small files are not more than the default minFiles (8)');
      assert.match(describeKeptGroups(kept.kept!), /1 partition has ≤ 8 data files under 384.0 MiB and no delete files/);

      const result: CompactResult = await worker.client.workflow.execute('compact', {
        taskQueue: worker.taskQueue,
        workflowId: `compact-table-${randomUUID()}`,
        args: [{ table: source.table }, { minFiles: 4 }],
      });
      assert.equal(result.kind, 'source');
      assert.equal(result.dataFilesBefore, 8);
      assert.equal(result.dataFilesAfter, 1);
      assert.equal(result.rowsBefore, rows.length);
      assert.equal(result.rowsAfter, rows.length);
      assert.deepEqual(await sourceFiles(source), [{ record_count: rows.length }]);
      assert.deepEqual(await sourceRows(source), before);
    } finally {
      await worker.close();
    }
  });
});

async function materialize(worker: PipelineWorker, window: { start: string; end: string }): Promise<MaterializeResult> {
  return worker.client.workflow.execute('materialize', {
    taskQueue: worker.taskQueue,
    workflowId: `materialize-${randomUUID()}`,
    args: [{ featureView: VIEW, ...window }],
  });
}

function onlineStore(worker: PipelineWorker): OnlineStore {
  return new OnlineStore({
    registry: worker.runtime.project.registry,
    catalog: worker.runtime.catalog,
    engine: worker.runtime.engine,
    refreshIntervalMs: 0,
    clock: () => CLOCK,
  });
}

async function onlineFiles(source: SourceTable, namespace: string): Promise<{ file_path: string; partition: Record<string, unknown> }[]> {
  return (
    await runPyiceberg<{ rows: { file_path: string; partition: Record<string, unknown> }[] }>('inspect', {
      catalog: source.oracle,
      identifier: `${namespace}.${VIEW}`,
      what: 'data_files',
    })
  ).rows;
}

/** The online table's snapshot operations, oldest first (pyiceberg's inspect). */
async function operations(source: SourceTable, namespace: string): Promise<string[]> {
  const rows = (
    await runPyiceberg<{ rows: { committed_at: string; operation: string }[] }>('inspect', {
      catalog: source.oracle,
      identifier: `${namespace}.${VIEW}`,
      what: 'snapshots',
    })
  ).rows;
  return rows.sort((a, b) => a.committed_at.localeCompare(b.committed_at)).map((row) => row.operation);
}

/** Per driver, the row with the greatest (event_ts, created_ts): computed here, independently of Floe. */
function latestPerEntity(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const key = String(row.driver_id);
    const current = latest.get(key);
    const rank = (candidate: Record<string, unknown>) => `${String(candidate.event_ts)}|${String(candidate.created_ts ?? '')}`;
    if (!current || rank(row) > rank(current)) latest.set(key, row);
  }
  return sortDriverStatsRows([...latest.values()]);
}

async function sourceFiles(source: SourceTable): Promise<{ record_count: number }[]> {
  const files = await runPyiceberg<{ rows: { record_count: number | string }[] }>('inspect', {
    catalog: source.oracle,
    identifier: source.table,
    what: 'data_files',
  });
  return files.rows.map((file) => ({ record_count: Number(file.record_count) }));
}

async function sourceRows(source: SourceTable): Promise<Record<string, unknown>[]> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: source.oracle, identifier: source.table });
  return read.rows
    .map((row) => JSON.stringify(row))
    .sort()
    .map((text) => JSON.parse(text) as Record<string, unknown>);
}
