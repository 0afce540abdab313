// bench training-set's layouts of bench pit's data (bench/_pit/data.ts) must hold the same rows as
// the default layout, so each layout's training set is the same, and be laid out so that the
// training-set plan can cut chunks by key: bucketed by bucket[16](driver_id), sorted into 16 files
// of disjoint key ranges; the default layout gives the plan nothing to cut by.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { benchData, featureName, FEATURES, LAYOUT_PARTS, layoutsArgument, LAYOUTS, scaleOf, VIEWS } from '../../../bench/_pit/data.js';
import type { BenchData, Layout } from '../../../bench/_pit/data.js';
import { pitDefinitions } from '../../../bench/_pit/definitions.js';
import { Engine } from '../../../engine/duckdb.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { Registry } from '../../../features/registry.js';
import { sourceLayout } from '../../../features/training-set/source-layout.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { decodeBound } from '../../../iceberg/expressions/value-range.js';
import type { ScanPlan } from '../../../iceberg/scan/plan.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { defaultSpec } from '../../../iceberg/spec/metadata.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = scratchFolder('pit-layouts');
// 1,000 entity rows against 10,000 rows per view over 1,000 keys.
const scale = scaleOf(0.001);
const data = new Map<Layout, BenchData>();
let engine: Engine;

before(async () => {
  for (const layout of LAYOUTS) data.set(layout, await benchData(root, scale, () => undefined, layout));
  engine = await Engine.create({ threads: 1 });
});
after(() => engine.close());

/** How the training-set plan would cut chunks over a layout's views, and the data files of each view's current snapshot. */
async function planned(layout: Layout) {
  const { catalogConfig, entities } = data.get(layout)!;
  const catalog = await loadCatalog(catalogConfig);
  try {
    const context = { registry: new Registry(pitDefinitions()), catalog, engine, workDirectory: path.join(root, 'work') };
    const request = {
      entities: { parquet: [entities] },
      features: VIEWS.flatMap((view) => FEATURES.map((index) => `${view}:${featureName(view, index)}`)),
      output: { table: 'bench.training_set' },
    };
    const files = new Map<string, ScanPlan>();
    const specs = new Map<string, string[]>();
    for (const view of VIEWS) {
      const table = await catalog.loadTable({ namespace: ['bench'], name: view });
      files.set(view, await planScan(table));
      specs.set(
        view,
        defaultSpec(table.metadata).fields.map((field) => field.transform),
      );
    }
    return { cutBy: (await sourceLayout(context, request)).cutBy, files, specs };
  } finally {
    await catalog.close();
  }
}

describe('bench pit layouts', () => {
  it('--layout takes a layout, a comma-separated list of them or all; the default layout alone when absent', () => {
    assert.deepEqual(layoutsArgument(['--quick']), ['default']);
    assert.deepEqual(layoutsArgument(['--layout', 'all']), ['default', 'bucketed', 'sorted']);
    assert.deepEqual(layoutsArgument(['--layout', 'sorted,bucketed,sorted']), ['sorted', 'bucketed']);
    assert.throws(
      () => layoutsArgument(['--layout', 'bucketed,zorder']),
      /--layout must be all or a comma-separated list of default, bucketed, sorted, got "bucketed,zorder"/,
    );
    assert.throws(() => layoutsArgument(['--layout']), /got undefined/);
  });

  it('every layout holds the default layout’s rows, and the entity rows are the same', async () => {
    const defaults = data.get('default')!;
    for (const layout of LAYOUTS.filter((name) => name !== 'default')) {
      const laidOut = data.get(layout)!;
      assert.notEqual(laidOut.directory, defaults.directory);
      await engine.withConnection(async (connection) => {
        const count = async (sql: string) => Number((await connection.runAndReadAll(sql)).getRows()[0]![0]);
        // The bucketed layout's folders look like Hive partitions: their names are no column.
        const files = (list: readonly string[]) => `read_parquet([${list.map(quoteLiteral).join(', ')}], hive_partitioning = false)`;
        for (const view of VIEWS) {
          const [ours, theirs] = [files(laidOut.files[view]!), files(defaults.files[view]!)];
          assert.equal(await count(`SELECT count(*) FROM ${ours}`), scale.featureRows, `${layout} ${view}`);
          assert.equal(
            await count(`SELECT count(*) FROM (SELECT * FROM ${ours} EXCEPT ALL SELECT * FROM ${theirs})`),
            0,
            `${layout} ${view}`,
          );
          assert.equal(
            await count(`SELECT count(*) FROM (SELECT * FROM ${theirs} EXCEPT ALL SELECT * FROM ${ours})`),
            0,
            `${layout} ${view}`,
          );
        }
        const [ours, theirs] = [files([laidOut.entities]), files([defaults.entities])];
        assert.equal(await count(`SELECT count(*) FROM (SELECT * FROM ${ours} EXCEPT ALL SELECT * FROM ${theirs})`), 0);
        assert.equal(await count(`SELECT count(*) FROM ${ours}`), scale.entityRows);
      });
    }
  });

  it('default: files holding every key, nothing for the plan to cut by', async () => {
    const { cutBy, specs } = await planned('default');
    assert.equal(cutBy, null);
    for (const view of VIEWS) assert.deepEqual(specs.get(view), []);
  });

  it('bucketed: partitioned by bucket[16] of driver_id, one file per bucket, cut by key bucket', async () => {
    const { cutBy, files, specs } = await planned('bucketed');
    assert.deepEqual(cutBy, { kind: 'bucket', column: 'driver_id', sourceBuckets: LAYOUT_PARTS });
    for (const view of VIEWS) {
      assert.deepEqual(specs.get(view), [`bucket[${LAYOUT_PARTS}]`]);
      const buckets = files.get(view)!.tasks.map((task) => Number(task.dataFile.partition[0]));
      assert.deepEqual(
        [...buckets].sort((a, b) => a - b),
        Array.from({ length: LAYOUT_PARTS }, (_, bucket) => bucket),
        view,
      );
    }
  });

  it('sorted: 16 files of disjoint key ranges, each sorted by driver_id, cut by key range', async () => {
    const { cutBy, files } = await planned('sorted');
    assert.equal(cutBy?.kind, 'range');
    for (const view of VIEWS) {
      const tasks = files.get(view)!.tasks;
      assert.equal(tasks.length, LAYOUT_PARTS, view);
      const ranges = tasks
        .map((task) => ({
          lower: Number(decodeBound('long', task.dataFile.lowerBounds?.get(1))),
          upper: Number(decodeBound('long', task.dataFile.upperBounds?.get(1))),
          sortOrderId: task.dataFile.sortOrderId,
        }))
        .sort((a, b) => a.lower - b.lower);
      for (const [index, range] of ranges.entries()) {
        assert.equal(range.sortOrderId, 1, `${view} file ${index} is written sorted`);
        if (index > 0) assert.ok(ranges[index - 1]!.upper < range.lower, `${view} files ${index - 1} and ${index} overlap`);
      }
    }
  });
});
