// A training set resolves its features as getHistoricalFeatures does (issue #54, item 4): with entity
// rows taken from a source (`entities: { from }`), an on-demand view among the features used to be
// refused as an undefined feature view when the source's key columns were looked up. Now the saved
// table holds what getHistoricalFeatures returns for the same request, and the commit's summary
// names the features asked for (the on-demand one, not the inputs read for it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { defineOnDemandView } from '../../../../features/on-demand.js';
import { commitTrainingSet, planTrainingSet, writeTrainingSetChunk } from '../../../../features/training-set/index.js';
import type { TrainingSetRequest } from '../../../../features/training-set/index.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { parseTableIdentifier } from '../../../../iceberg/catalog/identifier.js';
import { at } from '../../../support/features/historical-builders.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

describe('training set with on-demand features', () => {
  it('entities from a source, an on-demand view among the features: saved as getHistoricalFeatures returns it', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'src.t',
        [
          { name: 'driver_id', type: 'long' },
          { name: 'ts', type: 'timestamptz' },
          { name: 'a', type: 'double' },
          { name: 'b', type: 'long' },
        ],
        [
          [
            [1n, { micros: at(0) }, 1.5, 2n],
            [2n, { micros: at(1) }, -3, 0n],
          ],
          [
            [1n, { micros: at(5) }, 4, -1n],
            [3n, { micros: at(6) }, null, 5n],
          ],
        ],
      );
      const stats = defineFeatureView({
        name: 'stats',
        entities: ['driver'],
        source: 'src',
        features: [
          { name: 'a', type: 'double' },
          { name: 'b', type: 'long' },
        ],
      });
      const context = workspace.context([
        defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
        defineIcebergSource({ name: 'src', table: 'src.t', timestampField: 'ts' }),
        stats,
        defineOnDemandView({
          name: 'derived',
          sources: ['stats:a', 'stats:b'],
          features: [{ name: 'sum', type: 'double' }],
          compute: ({ stats: row }) => ({
            sum: row?.a === null || row?.b === null ? null : (row!.a as number) + (row!.b as number),
          }),
        }),
      ]);
      const entities = {
        from: 'src',
        start: new Date(Number(at(0) / 1000n)).toISOString(),
        end: new Date(Number(at(10) / 1000n)).toISOString(),
      };
      const request: TrainingSetRequest = { entities, features: ['derived:sum', 'stats:b'], output: { table: 'out.training' } };
      await workspace.catalog.createNamespace(['out']);
      const plan = await planTrainingSet(context, request, { key: 'k1', chunkRows: 1 });
      const chunks = [];
      for (const chunk of plan.chunks)
        chunks.push(
          await writeTrainingSetChunk(context, request, { key: 'k1', chunk, entitySnapshotId: plan.entitySnapshotId, attempt: 1 }),
        );
      const committed = await commitTrainingSet(context, request, { key: 'k1', chunks });
      assert.equal(committed.rows, 4);

      const expected = await getHistoricalFeatures(context, { entities, features: ['derived:sum', 'stats:b'] }).toArrow();
      const table = await workspace.catalog.loadTable(parseTableIdentifier('out.training'));
      const scan = await scanTable(table);
      const saved = await workspace.engine.withConnection(async (connection) =>
        (await connection.runAndReadAll(`SELECT driver_id, sum, b FROM (${scan.sql}) ORDER BY event_timestamp, driver_id`)).getRowsJS(),
      );
      const wanted = expected
        .toArray()
        .map((row: { toJSON(): Record<string, unknown> }) => row.toJSON())
        .sort((x, y) => Number(x.event_timestamp) - Number(y.event_timestamp) || Number(x.driver_id) - Number(y.driver_id))
        .map((row) => [row.driver_id, row.sum ?? null, row.b ?? null]);
      assert.deepEqual(saved, wanted);
      assert.deepEqual(saved, [
        [1n, 3.5, 2n],
        [2n, -3, 0n],
        [1n, 3, -1n],
        [3n, null, 5n],
      ]);
      const snapshot = table.metadata.snapshots.at(-1)!;
      assert.equal(snapshot.summary['floe.training-set.features'], 'stats:b,derived:sum');
    });
  });
});
