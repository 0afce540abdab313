// services: rest-catalog, java-oracle
/**
 * Commits through the REST fixture (Iceberg's Java REST catalog on MinIO) are accepted by the Java
 * catalog: Floe creates a partitioned table, appends, evolves its schema (rename + add) and appends
 * again; Java loads it through the same REST catalog and reads exactly those rows at each snapshot.
 * And the other way: a table Java wrote through REST is appended to by Floe and read back by Java.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { jsonRoot } from '../../../iceberg/spec/json.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import { parsePartitionSpec } from '../../../iceberg/spec/partition-json.js';
import { parseSchema } from '../../../iceberg/spec/schema-json.js';
import { openJavaOracle, type JavaCatalog, type JavaOracleSession } from '../../support/java-oracle.js';
import { readFloeRows, sortOracleRows, type OracleRow } from '../../support/oracle-rows.js';
import { restCatalogService } from '../../support/services.js';
import { rowsQuery } from '../../support/interop/wide-rows.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('interop-rest');
let catalog: Catalog;
let engine: Engine;
let java: JavaOracleSession;
let javaCatalog: JavaCatalog;
const namespace = `interop_${randomUUID().slice(0, 8)}`;

before(async () => {
  const rest = restCatalogService();
  catalog = await loadCatalog({ ...floeRestCatalog(rest), name: 'rest' });
  javaCatalog = oracleRestCatalog(rest);
  engine = await Engine.create({ threads: 2, setup: registerIcebergFunctions });
  java = openJavaOracle();
  await catalog.createNamespace([namespace]);
});
after(async () => {
  await java?.close();
  await catalog?.close();
  engine?.close();
});

const byId = (rows: readonly OracleRow[]): OracleRow[] => sortOracleRows(rows, ['id']);
const V1_COLUMNS = { id: 'long', name: 'string', at: 'timestamptz', amount: 'decimal(10, 2)' } as const;
const V2_COLUMNS = { id: 'long', label: 'string', at: 'timestamptz', amount: 'decimal(10, 2)', score: 'double' } as const;
const v1Rows = (from: number, to: number): OracleRow[] =>
  Array.from({ length: to - from }, (_, k) => {
    const n = from + k;
    return {
      id: String(n),
      name: `n${n}`,
      at: `2024-0${1 + (n % 3)}-0${1 + (n % 7)}T0${n % 10}:30:00.000001Z`,
      amount: `${n}.${String(n % 100).padStart(2, '0')}`,
    };
  });
const v2Rows = (from: number, to: number): OracleRow[] =>
  v1Rows(from, to).map(({ name, ...row }) => ({
    ...row,
    label: name === undefined ? null : `${String(name)}!`,
    score: Number(row.id) / 8,
  }));

describe('Floe commits through the REST fixture, Java reads', () => {
  const identifier: TableIdentifier = { namespace: [namespace], name: 'events' };
  const javaName = `${namespace}.events`;

  test('create, append, rename + add column, append: Java reads every snapshot as Floe wrote it', async () => {
    await catalog.createTable(identifier, {
      schema: parseSchema(
        {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'name', type: 'string', required: false },
            { id: 3, name: 'at', type: 'timestamptz', required: false },
            { id: 4, name: 'amount', type: 'decimal(10, 2)', required: false },
          ],
        },
        jsonRoot('events schema'),
      ),
      partitionSpec: parsePartitionSpec(
        {
          'spec-id': 0,
          fields: [
            { 'source-id': 3, 'field-id': 1000, name: 'at_day', transform: 'day' },
            { 'source-id': 1, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[4]' },
          ],
        },
        jsonRoot('events spec'),
      ),
    });
    const first = await appendQuery({
      catalog,
      engine,
      identifier,
      query: rowsQuery(v1Rows(0, 12), V1_COLUMNS),
      workDirectory: dir,
      idempotencyKey: `${namespace}-first`,
    });

    // Schema evolution as the REST spec's updates, under the requirements that make it safe.
    const table = await catalog.loadTable(identifier);
    const schema = currentSchema(table.metadata);
    await catalog.commitTable(
      identifier,
      [
        { type: 'assert-current-schema-id', currentSchemaId: schema.schemaId },
        { type: 'assert-last-assigned-field-id', lastAssignedFieldId: table.metadata.lastColumnId },
      ],
      [
        {
          action: 'add-schema',
          schema: {
            ...schema,
            schemaId: schema.schemaId + 1,
            fields: [
              ...schema.fields.map((field) => (field.id === 2 ? { ...field, name: 'label' } : field)),
              { id: 5, name: 'score', type: 'double', required: false },
            ],
          },
          lastColumnId: 5,
        },
        { action: 'set-current-schema', schemaId: -1 },
      ],
    );
    const second = await appendQuery({
      catalog,
      engine,
      identifier,
      query: rowsQuery(v2Rows(12, 20), V2_COLUMNS),
      workDirectory: dir,
      idempotencyKey: `${namespace}-second`,
    });

    const expectedNow = [...v1Rows(0, 12).map(({ name, ...row }) => ({ ...row, label: name, score: null })), ...v2Rows(12, 20)];
    const javaNow = await java.run('read', { catalog: javaCatalog, identifier: javaName });
    assert.deepEqual(javaNow.columns, ['id', 'label', 'at', 'amount', 'score']);
    assert.deepEqual(byId(javaNow.rows), byId(expectedNow));
    const javaFirst = await java.run('read', { catalog: javaCatalog, identifier: javaName, snapshot_id: String(first.snapshotId) });
    assert.deepEqual(javaFirst.columns, ['id', 'name', 'at', 'amount'], 'time travel reads with the schema of that snapshot');
    assert.deepEqual(byId(javaFirst.rows), byId(v1Rows(0, 12)));

    const inspect = await java.run('inspect', { catalog: javaCatalog, identifier: javaName });
    assert.deepEqual(
      inspect.snapshots.map((snapshot) => snapshot.snapshot_id),
      [String(first.snapshotId), String(second.snapshotId)],
    );
    assert.deepEqual(
      inspect.snapshots.map((snapshot) => snapshot.operation),
      ['append', 'append'],
    );
    assert.equal(inspect.snapshots[1]!.summary['total-records'], '20');
    assert.equal(inspect.snapshots[1]!.schema_id, 1);
    // Java's partition of each file is what Floe wrote (bucket and day computed by Floe).
    const floeFiles = (await readFloeRows(engine, await catalog.loadTable(identifier))).scan.plan.tasks.map((task) => task.dataFile);
    assert.deepEqual(
      inspect.files.map((file) => [file.file_path, file.record_count]).sort(),
      floeFiles.map((file) => [file.filePath, file.recordCount]).sort(),
    );
    for (const file of inspect.files) {
      const ours = floeFiles.find((candidate) => candidate.filePath === file.file_path)!;
      assert.deepEqual([file.partition.at_day, Number(file.partition.id_bucket)], [ours.partition[0], ours.partition[1]], file.file_path);
    }
  });

  test("a table Java created and wrote through REST: Floe appends, Java reads both writers' rows", async () => {
    const javaTable = `${namespace}.from_java`;
    await java.run('create_table', {
      catalog: javaCatalog,
      identifier: javaTable,
      schema: {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'id', type: 'long', required: true },
          { id: 2, name: 'name', type: 'string', required: false },
          { id: 3, name: 'at', type: 'timestamptz', required: false },
          { id: 4, name: 'amount', type: 'decimal(10, 2)', required: false },
        ],
      },
      partition_spec: { 'spec-id': 0, fields: [{ name: 'name_trunc', transform: 'truncate[2]', 'source-id': 2, 'field-id': 1000 }] },
      properties: { 'format-version': '2' },
    });
    await java.run('append', { catalog: javaCatalog, identifier: javaTable, rows: v1Rows(0, 6) });
    const result = await appendQuery({
      catalog,
      engine,
      identifier: { namespace: [namespace], name: 'from_java' },
      query: rowsQuery(v1Rows(6, 15), V1_COLUMNS),
      workDirectory: dir,
      idempotencyKey: `${namespace}-floe-on-java`,
    });
    assert.equal(result.alreadyCommitted, false);
    const read = await java.run('read', { catalog: javaCatalog, identifier: javaTable });
    assert.deepEqual(byId(read.rows), byId(v1Rows(0, 15)));
    const inspect = await java.run('inspect', { catalog: javaCatalog, identifier: javaTable });
    assert.equal(inspect.snapshots.length, 2);
    assert.equal(inspect.snapshots[1]!.snapshot_id, String(result.snapshotId));
    assert.equal(inspect.snapshots[1]!.summary['total-records'], '15');
    // Floe reads the mixed table the same way.
    const floe = await readFloeRows(engine, await catalog.loadTable({ namespace: [namespace], name: 'from_java' }));
    assert.deepEqual(byId(floe.rows), byId(v1Rows(0, 15)));
  });
});
