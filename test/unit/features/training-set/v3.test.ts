// A project whose floe.yaml says `iceberg.formatVersion: 3` (the registry carries it) writes its
// training sets as v3 tables: the commit of the chunks hands every row a row id (first-row-id 0,
// added-rows and next-row-id the row count), and the rows read back as they were written.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { quoteLiteral } from '../../../../engine/sql.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { Registry } from '../../../../features/registry.js';
import { commitTrainingSet, planTrainingSet, writeTrainingSetChunk } from '../../../../features/training-set/index.js';
import type { TrainingSetRequest } from '../../../../features/training-set/index.js';
import { currentSnapshot } from '../../../../iceberg/spec/metadata.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

const BASE = 1_714_000_000_000_000n;
const at = (seconds: number): bigint => BASE + BigInt(seconds) * 1_000_000n;

test('with tableFormatVersion 3, a training set is a v3 table whose rows all have row ids', async () => {
  await withWorkspace(async (workspace) => {
    await createTableWithRows(
      workspace,
      'src.trips',
      [
        { name: 'driver_id', type: 'long' },
        { name: 'ts', type: 'timestamptz' },
        { name: 'amount', type: 'long' },
      ],
      [[1, 2, 3].map((driver) => [BigInt(driver), { micros: at(driver) }, BigInt(driver * 10)])],
    );
    const entityFile = path.join(workspace.directory, 'entities.parquet');
    const values = Array.from({ length: 9 }, (_, index) => `(${index}, ${1 + (index % 3)}::BIGINT, TIMESTAMPTZ '2030-01-01 00:00:00+00')`);
    await workspace.engine.withConnection((connection) =>
      connection.run(
        `COPY (SELECT * FROM (VALUES ${values.join(', ')}) AS t(request_id, driver_id, event_timestamp)) TO ${quoteLiteral(entityFile)} (FORMAT parquet)`,
      ),
    );
    const definitions = [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({ name: 'trips_source', table: 'src.trips', timestampField: 'ts' }),
      defineFeatureView({
        name: 'latest_trip',
        entities: ['driver'],
        source: 'trips_source',
        features: [{ name: 'amount', type: 'long' }],
      }),
    ];
    const context = { ...workspace.context(definitions), registry: new Registry(definitions, { tableFormatVersion: 3 }) };
    const request: TrainingSetRequest = {
      entities: { parquet: [entityFile] },
      features: ['latest_trip:amount'],
      output: { table: 'datasets.trips_v3' },
    };
    const key = 'training-set-v3';
    const plan = await planTrainingSet(context, request, { key, chunkRows: 4 });
    const chunks = [];
    for (const chunk of plan.chunks)
      chunks.push(await writeTrainingSetChunk(context, request, { key, chunk, entitySnapshotId: null, attempt: 1 }));
    await commitTrainingSet(context, request, { key, chunks });

    const table = await workspace.catalog.loadTable({ namespace: ['datasets'], name: 'trips_v3' });
    assert.equal(table.metadata.formatVersion, 3);
    const snapshot = currentSnapshot(table.metadata)!;
    assert.deepEqual([snapshot.firstRowId, snapshot.addedRows, table.metadata.nextRowId], [0n, 9n, 9n]);
    const scan = await scanTable(table);
    const rows = await workspace.engine.withConnection(async (connection) =>
      (await connection.runAndReadAll(`SELECT request_id, amount FROM (${scan.sql}) ORDER BY request_id`)).getRowsJS(),
    );
    assert.deepEqual(
      rows,
      Array.from({ length: 9 }, (_, index) => [index, BigInt((1 + (index % 3)) * 10)]),
    );
  });
});
