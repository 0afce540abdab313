// Entity rows from a CSV file keep their string join keys as written: DuckDB's type detection reads
// `1.10` and `1e3` as doubles, written back as "1.1" and "1000.0", which match other keys than the
// file's, silently. A long key is the integer written: `7.0`, as pandas writes an integer column with
// gaps, is 7, and 9007199254740993 beside it stays itself (detected, the column is doubles); `7.5` is
// refused, not rounded.
// Tables are Iceberg tables written by Floe in a SQL catalog (SQLite).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

const T0 = 1_714_521_600_000_000n; // 2024-05-01T00:00:00Z in µs
const BIG = 9_007_199_254_740_993n; // 2^53 + 1: the nearest double is 2^53

const definitions = [
  defineEntity({ name: 'account', joinKeys: [{ name: 'account_id', type: 'string' }] }),
  defineEntity({ name: 'branch', joinKeys: [{ name: 'branch_id', type: 'long' }] }),
  defineIcebergSource({ name: 'scores_source', table: 'bank.scores', timestampField: 'ts' }),
  defineIcebergSource({ name: 'branches_source', table: 'bank.branches', timestampField: 'ts' }),
  defineFeatureView({ name: 'scores', entities: ['account'], source: 'scores_source', features: [{ name: 'score', type: 'double' }] }),
  defineFeatureView({ name: 'branches', entities: ['branch'], source: 'branches_source', features: [{ name: 'size', type: 'long' }] }),
];

describe('entity rows from a CSV file', () => {
  it('match a string key as written (1.10 is not 1.1) and a long key as the integer written (7.0 is 7, 2^53 + 1 stays)', async () => {
    await withWorkspace(async (workspace) => {
      const columns = (key: string, type: 'string' | 'long', feature: string, featureType: 'double' | 'long') => [
        { name: key, type },
        { name: 'ts', type: 'timestamptz' as const },
        { name: feature, type: featureType },
      ];
      await createTableWithRows(workspace, 'bank.scores', columns('account_id', 'string', 'score', 'double'), [
        [
          ['1.10', { micros: T0 }, 0.11],
          ['1.1', { micros: T0 }, 0.1],
          ['1e3', { micros: T0 }, 0.3],
        ],
      ]);
      await createTableWithRows(workspace, 'bank.branches', columns('branch_id', 'long', 'size', 'long'), [
        [
          [7n, { micros: T0 }, 70n],
          [BIG - 1n, { micros: T0 }, 92n],
          [BIG, { micros: T0 }, 93n],
        ],
      ]);
      const csv = path.join(workspace.directory, 'entities.csv');
      await writeFile(
        csv,
        `account_id,branch_id,event_timestamp\n1.10,7.0,2024-05-01T01:00:00Z\n1e3,7,2024-05-01T01:00:00Z\n1.1,${BIG},2024-05-01T01:00:00Z\n`,
      );
      const table = await getHistoricalFeatures(workspace.context(definitions), {
        entities: { csv },
        features: ['scores:score', 'branches:size'],
      }).toArrow();
      assert.deepEqual(
        table.toArray().map((row: { toJSON(): Record<string, unknown> }) => {
          const { account_id, branch_id, score, size } = row.toJSON();
          return [account_id, branch_id, score, size];
        }),
        [
          ['1.10', 7n, 0.11, 70n],
          ['1e3', 7n, 0.3, 70n],
          ['1.1', BIG, 0.1, 93n],
        ],
      );
      await writeFile(csv, 'account_id,branch_id,event_timestamp\n1.10,7.5,2024-05-01T01:00:00Z\n');
      await assert.rejects(
        getHistoricalFeatures(workspace.context(definitions), { entities: { csv }, features: ['branches:size'] }).toArrow(),
        (error: Error) => {
          assert.match(error.message, /branch_id/);
          assert.match(error.message, /7\.5/);
          return true;
        },
      );
      await writeFile(csv, 'account_id,branch_id,event_timestamp,Branch_Id\n1.10,7,2024-05-01T01:00:00Z,8\n');
      await assert.rejects(
        getHistoricalFeatures(workspace.context(definitions), { entities: { csv }, features: ['branches:size'] }).toArrow(),
        /Cannot read the entity CSV file .*entities\.csv: its header line names column "Branch_Id" twice/,
      );
    });
  });
});
