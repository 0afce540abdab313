// Which groups a compaction rewrites and which delete files it may drop, on hand-built scan plans.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { droppableDeleteFiles, groupTasks, selectGroups } from '../../../../features/compaction/plan.js';
import type { FeatureViewInput } from '../../../../features/definitions.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { Registry } from '../../../../features/registry.js';
import { compactionSchedulePlan, schedulePlans, sourceCompactionSchedulePlan } from '../../../../client/schedule-plan.js';
import type { CompactionTarget } from '../../../../features/compaction/target.js';
import type { ScanPlan, ScanTask } from '../../../../iceberg/scan/plan.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import { compactWorkflowId } from '../../../../contracts/ids.js';
import { defined } from '../../../../contracts/defined.js';

const online: CompactionTarget = { kind: 'online', table: 'floe_online.view', featureView: 'view', keyColumns: ['driver_id'] };
const source: CompactionTarget = { kind: 'source', table: 'rides.stats' };

function file(path: string, bucket: number, content: DataFile['content'] = 'data', rows = 10): DataFile {
  return { content, filePath: path, fileFormat: 'PARQUET', partition: [bucket], recordCount: rows, fileSizeInBytes: 100 };
}

function task(path: string, bucket: number, options: { specId?: number; positionDeletes?: DataFile[] } = {}): ScanTask {
  return {
    dataFile: file(path, bucket),
    dataSequenceNumber: 1,
    specId: options.specId ?? 0,
    positionDeletes: (options.positionDeletes ?? []).map((deleteFile) => ({ file: deleteFile, dataSequenceNumber: 2 })),
    equalityDeletes: [],
  };
}

function plan(tasks: ScanTask[]): ScanPlan {
  return {
    snapshotId: 1n,
    schema: { schemaId: 0, identifierFieldIds: [], fields: [] },
    mode: 'copy-on-write',
    tasks,
    summary: {
      dataFiles: tasks.length,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
      dataRecords: 0,
      manifestsRead: 0,
      manifestsSkipped: 0,
      dataFilesSkipped: 0,
    },
  };
}

describe('compaction planning', () => {
  test('online: a partition with more than minFiles files, or with a delete file, is rewritten; others stay', () => {
    const deletes = file('d1', 2, 'position-deletes', 1);
    const tasks = [
      task('a1', 0),
      task('a2', 0),
      task('a3', 0),
      task('b1', 1),
      task('b2', 1),
      task('c1', 2, { positionDeletes: [deletes] }),
    ];
    const { groups, skippedOtherSpec } = selectGroups(online, plan(tasks), { minFiles: 2, defaultSpecId: 0 });
    assert.equal(skippedOtherSpec, 0);
    assert.deepEqual(
      groups.map((group) => [group.dataFiles, group.deleteFiles, group.rows]),
      [
        [3, 0, 30],
        [1, 1, 10],
      ],
    );
    assert.notEqual(groups[0]!.key, groups[1]!.key);
  });

  test('online: a partition written with an older spec is skipped and counted', () => {
    const tasks = [task('a1', 0, { specId: 1 }), task('a2', 0, { specId: 1 }), task('a3', 0, { specId: 1 })];
    const { groups, skippedOtherSpec } = selectGroups(online, plan(tasks), { minFiles: 2, defaultSpecId: 2 });
    assert.deepEqual(groups, []);
    assert.equal(skippedOtherSpec, 1);
  });

  test('source: per partition, small files are merged past minFiles, with any file that has deletes; large files stay', () => {
    const deletes = file('d1', 0, 'position-deletes', 2);
    const sized = (path: string, bucket: number, bytes: number, positionDeletes: DataFile[] = []): ScanTask => ({
      ...task(path, bucket, { positionDeletes }),
      dataFile: { ...file(path, bucket), fileSizeInBytes: bytes },
    });
    const tasks = [
      // Partition 0: two small files, a large one with deletes, a large one without.
      sized('a1', 0, 10),
      sized('a2', 0, 10),
      sized('a3', 0, 1000, [deletes]),
      sized('a4', 0, 1000),
      // Partition 1: three small files, more than minFiles.
      sized('b1', 1, 10),
      sized('b2', 1, 10),
      sized('b3', 1, 10),
      // Partition 2: two small files, not more than minFiles; partition 3: large files only.
      sized('c1', 2, 10),
      sized('c2', 2, 10),
      sized('e1', 3, 1000),
    ];
    const { groups, belowThreshold } = selectGroups(source, plan(tasks), { minFiles: 2, defaultSpecId: 0, smallFileBytes: 100 });
    assert.deepEqual(
      groups.map((group) => [group.dataFiles, group.deleteFiles, group.rows]),
      [
        [3, 1, 30],
        [3, 0, 30],
      ],
    );
    assert.equal(belowThreshold, 2);
    const byKey = groupTasks(source, plan(tasks), 100);
    assert.deepEqual(
      groups.map((group) => byKey.get(group.key)!.map((one) => one.dataFile.filePath)),
      [
        ['a1', 'a2', 'a3'],
        ['b1', 'b2', 'b3'],
      ],
    );
  });

  test('source, a plan of an older worker (no smallFileBytes): each data file with deletes is its own group', () => {
    const deletes = file('d1', 0, 'position-deletes', 2);
    const tasks = [task('a1', 0, { positionDeletes: [deletes] }), task('a2', 0), task('a3', 0, { positionDeletes: [deletes] })];
    const { groups, belowThreshold } = selectGroups(source, plan(tasks), { minFiles: 0, defaultSpecId: 0 });
    assert.deepEqual(
      groups.map((group) => group.key),
      ['a1', 'a3'],
    );
    assert.equal(belowThreshold, 1);
  });

  test('a delete file is dropped only when no kept data file still needs it', () => {
    const shared = file('shared', 0, 'position-deletes', 2);
    const own = file('own', 0, 'position-deletes', 1);
    const rewritten = [task('a1', 0, { positionDeletes: [shared, own] })];
    const kept = [task('a2', 0, { positionDeletes: [shared] })];
    assert.deepEqual(
      droppableDeleteFiles(rewritten, kept).map((deleteFile) => deleteFile.filePath),
      ['own'],
    );
    assert.deepEqual(
      droppableDeleteFiles([...rewritten, ...kept], [])
        .map((deleteFile) => deleteFile.filePath)
        .sort(),
      ['own', 'shared'],
    );
  });

  test('workflow ids: one per feature view or table', () => {
    assert.equal(compactWorkflowId({ featureView: 'driver_stats' }), 'compact-driver_stats');
    assert.equal(compactWorkflowId({ table: 'rides.driver_stats' }), 'compact-table-rides.driver_stats');
  });
});

describe('compaction schedules', () => {
  const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
  const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
  const view = (name: string, compaction?: FeatureViewInput['compaction']) =>
    defineFeatureView({
      name,
      entities: ['driver'],
      source: 'stats',
      features: [{ name: 'trips', type: 'long' }],
      ...defined({ compaction }),
    });

  test('a view with a compaction section gets a floe-compact schedule running compact with its settings', () => {
    const registry = new Registry([
      entity,
      source,
      view('hourly', { every: { hours: 6 }, minFiles: 4, retention: { days: 1 }, retainLast: 2 }),
      view('manual'),
    ]);
    const plans = schedulePlans(registry, { taskQueue: 'floe' });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      ['floe-compact-hourly'],
    );
    const [plan] = plans;
    assert.equal(plan!.action.workflowType, 'compact');
    assert.equal(plan!.action.workflowId, 'floe-compact-hourly');
    assert.deepEqual(plan!.action.args, [{ featureView: 'hourly' }, { minFiles: 4, retentionSeconds: 86_400, retainLast: 2 }]);
    assert.deepEqual(plan!.spec, { intervals: [{ every: '21600s' }] });
    assert.equal(plan!.policies?.overlap, 'SKIP');
    assert.deepEqual(compactionSchedulePlan(registry.featureView('manual'), { taskQueue: 'floe' }), undefined);
  });

  test('a source with a compaction section gets a floe-compact-source schedule compacting its table', () => {
    const pushed = defineIcebergSource({
      name: 'pushed',
      table: 'rides.pushed',
      timestampField: 'ts',
      compaction: { every: { hours: 1 }, minFiles: 16, retention: { days: 2 } },
    });
    const registry = new Registry([entity, source, pushed, view('hourly', { every: { hours: 6 } })]);
    const plans = schedulePlans(registry, { taskQueue: 'floe' });
    assert.deepEqual(
      plans.map((plan) => plan.scheduleId),
      ['floe-compact-hourly', 'floe-compact-source-pushed'],
    );
    const plan = plans[1]!;
    assert.equal(plan.action.workflowType, 'compact');
    assert.equal(plan.action.workflowId, 'floe-compact-source-pushed');
    assert.deepEqual(plan.action.args, [{ table: 'rides.pushed' }, { minFiles: 16, retentionSeconds: 172_800 }]);
    assert.deepEqual(plan.spec, { intervals: [{ every: '3600s' }] });
    assert.deepEqual(plan.memo, { floeSource: 'pushed' });
    assert.equal(plan.action.typedSearchAttributes, undefined);
    assert.equal(sourceCompactionSchedulePlan(source, { taskQueue: 'floe' }), undefined);
  });

  test('a compaction schedule needs a positive interval', () => {
    assert.throws(() => view('zero', { every: { hours: 0 } }), /every must be longer than zero/);
    assert.throws(() => view('unknown', { every: { hours: 1 }, when: 'nightly' } as unknown as FeatureViewInput['compaction']), /when/);
  });

  test('a scheduled compaction keeps unreferenced files at least a day: younger ones may be a commit’s still in flight', () => {
    for (const retention of [{ hours: 23 }, { minutes: 0 }])
      assert.throws(
        () => view('short', { every: { hours: 6 }, retention }),
        /compaction\.retention: retention must be at least 24 hours: a scheduled compaction removes the unreferenced files older than it/,
      );
    assert.doesNotThrow(() => view('day', { every: { hours: 6 }, retention: { hours: 24 } }));
  });
});
