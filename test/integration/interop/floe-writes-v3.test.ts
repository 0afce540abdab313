// services: python, java-oracle
/**
 * Iceberg v3 tables Floe writes, read by Java Iceberg 1.10 (the reference implementation) and
 * pyiceberg: after every step, Java's rows (IcebergGenerics, deletion vectors applied) equal
 * Floe's, Java's planner gives each data file at most one deletion vector, and the row lineage of
 * the metadata Java loads holds — every snapshot has first-row-id and added-rows, each one starts
 * where the one before ended, and next-row-id is where the last one ends.
 *
 * One table created as v3: two Floe appends; a Floe row delete (deletion vectors in one Puffin
 * file); a Java delete of rows of a file Floe gave a vector (Java reads Floe's vector, merges it
 * into its own and removes it); a Floe delete in that file again (Floe merges Java's vector); a
 * Java append on top of Floe's row lineage; a compaction. One table created as v2 with a position
 * delete file, upgraded to v3: its next Floe delete folds the position deletes into a vector and
 * removes the file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN } from '../../../engine/read/read-plan.js';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { localizePlan } from '../../../engine/read/table-reader.js';
import { compactTable } from '../../../features/compaction/index.js';
import { Registry } from '../../../features/registry.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { upgradeFormatVersion } from '../../../iceberg/write/upgrade-format-version.js';
import { javaSqliteCatalog, openJavaOracle, type JavaCatalog, type JavaOracleSession } from '../../support/java-oracle.js';
import { readFloeRows, sortOracleRows, type OracleRow } from '../../support/oracle-rows.js';
import { sqliteCatalog, type OracleCatalog } from '../../support/pyiceberg.js';
import { py } from '../../support/interop/pyiceberg-interop.js';
import { scratchFolder } from '../../support/scratch-folder.js';

let dir: string;
let catalog: Catalog;
let engine: Engine;
let java: JavaOracleSession;
let javaCatalog: JavaCatalog;
let pyCatalog: OracleCatalog;

const SCHEMA = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' as const },
    { id: 2, name: 'name', required: false, type: 'string' as const },
  ],
};
const rowsQuery = (from: number, to: number): string =>
  `SELECT range::BIGINT AS id, 'row ' || range::VARCHAR AS name FROM range(${from}, ${to})`;

before(async () => {
  dir = scratchFolder('interop-v3');
  javaCatalog = javaSqliteCatalog(dir);
  pyCatalog = sqliteCatalog(dir);
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  engine = await Engine.create({ threads: 2, setup: registerIcebergFunctions });
  java = openJavaOracle();
  await catalog.createNamespace(['floe']);
});
after(async () => {
  await java?.close();
  await catalog?.close();
  engine?.close();
});

const nameOf = (identifier: TableIdentifier): string => `${identifier.namespace.join('.')}.${identifier.name}`;

async function append(identifier: TableIdentifier, from: number, to: number): Promise<void> {
  await appendQuery({ catalog, engine, identifier, query: rowsQuery(from, to), workDirectory: join(dir, 'work') });
}

async function floeDelete(identifier: TableIdentifier, rowFilter: string): Promise<number> {
  const table = await catalog.loadTable(identifier);
  const deletes = await deleteRows(table, { engine, rowFilter, workDirectory: join(dir, 'work') });
  if (deletes.change) await commitChange(catalog, identifier, deletes.change);
  return deletes.deletedRows;
}

/** Java's rows and Floe's are the expected ones; Java's plan has at most one deletion vector per data file; row lineage as the spec says. */
async function agree(identifier: TableIdentifier, expectedIds: readonly number[]): Promise<LoadedTable> {
  const expected = [...expectedIds].sort((a, b) => a - b);
  const fromJava = await java.run('read', { catalog: javaCatalog, identifier: nameOf(identifier) });
  const javaRows = sortOracleRows(fromJava.rows as OracleRow[], ['id']);
  assert.deepEqual(
    javaRows.map((row) => Number(row.id)),
    expected,
    "Java's rows",
  );
  const inspect = await java.run('inspect', { catalog: javaCatalog, identifier: nameOf(identifier) });
  assert.equal(inspect.format_version, 3);
  const vectors = new Map(
    inspect.files.filter((file) => file.file_format === 'PUFFIN').map((file) => [`${file.file_path}#${file.content_offset}`, file]),
  );
  for (const task of inspect.scan_tasks) {
    const applied = task.delete_files.filter((path) =>
      [...vectors.values()].some((file) => file.file_path === path && file.referenced_data_file === task.data_file),
    );
    assert.ok(applied.length <= 1, `data file ${task.data_file} has ${applied.length} deletion vectors`);
  }
  for (const file of inspect.files.filter((candidate) => candidate.file_format === 'PUFFIN')) {
    assert.equal(file.content, 1);
    assert.ok(
      file.referenced_data_file !== null && file.content_offset !== null && file.content_size_in_bytes !== null,
      JSON.stringify(file),
    );
  }

  const { metadata } = await java.run('load_metadata', { catalog: javaCatalog, identifier: nameOf(identifier) });
  const snapshots = (metadata.snapshots as Record<string, unknown>[])
    .filter((snapshot) => snapshot['first-row-id'] !== undefined)
    .sort((a, b) => Number(a['sequence-number']) - Number(b['sequence-number']));
  let next = Number(snapshots[0]?.['first-row-id'] ?? 0);
  for (const snapshot of snapshots) {
    assert.equal(Number(snapshot['first-row-id']), next, `snapshot ${String(snapshot['snapshot-id'])} starts where the one before ended`);
    assert.equal(typeof snapshot['added-rows'], 'number');
    next += Number(snapshot['added-rows']);
  }
  assert.equal(Number(metadata['next-row-id']), next, 'next-row-id is where the last snapshot ends');

  const table = await catalog.loadTable(identifier);
  assert.deepEqual(sortOracleRows((await readFloeRows(engine, table)).rows, ['id']), javaRows, "Floe's rows are Java's");
  return table;
}

describe('Floe writes v3, Java and pyiceberg read it', () => {
  const events: TableIdentifier = { namespace: ['floe'], name: 'v3_events' };
  let ids = Array.from({ length: 30 }, (_, index) => index);

  test('appends: every row gets a row id', async () => {
    await catalog.createTable(events, {
      schema: SCHEMA,
      formatVersion: 3,
      partitionSpec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[2]' }] },
    });
    await append(events, 0, 20);
    await append(events, 20, 30);
    const table = await agree(events, ids);
    assert.deepEqual([table.metadata.nextRowId, table.metadata.snapshots.map((snapshot) => snapshot.addedRows)], [30n, [20n, 10n]]);
  });

  test('a Floe row delete writes one deletion vector per data file, in one Puffin file', async () => {
    assert.equal(await floeDelete(events, 'id % 3 = 0'), 10);
    ids = ids.filter((id) => id % 3 !== 0);
    const table = await agree(events, ids);
    const plan = await planScan(table);
    const vectors = plan.tasks.flatMap((task) => task.positionDeletes.map((ref) => ref.file));
    assert.ok(vectors.length >= 2 && vectors.every((file) => file.fileFormat === 'PUFFIN'), JSON.stringify(vectors));
    assert.equal(new Set(vectors.map((file) => file.filePath)).size, 1);
    const summary = table.metadata.snapshots.at(-1)!.summary;
    assert.deepEqual(
      [summary['added-dvs'], summary['added-position-deletes'], summary['added-position-delete-files']],
      [String(vectors.length), '10', undefined],
    );
  });

  let javaFile = '';
  test("Java deletes rows of a file Floe gave a vector: it reads Floe's vector and replaces it", async () => {
    const table = await catalog.loadTable(events);
    const task = (await planScan(table)).tasks.find((candidate) => candidate.positionDeletes.length > 0)!;
    javaFile = task.dataFile.filePath;
    const reply = await java.run('delete_positions', {
      catalog: javaCatalog,
      identifier: nameOf(events),
      file_path: javaFile,
      positions: [1, 2],
    });
    assert.equal(reply.removed_delete_files?.length, 1, 'Java removed the vector Floe wrote for that file');
    const rows = await java.run('read', { catalog: javaCatalog, identifier: nameOf(events) });
    ids = (rows.rows as OracleRow[]).map((row) => Number(row.id));
    await agree(events, ids);
  });

  test("Floe deletes in that file again, merging Java's vector", async () => {
    const table = await catalog.loadTable(events);
    const before = (await planScan(table)).tasks.find((task) => task.dataFile.filePath === javaFile)!.positionDeletes;
    assert.deepEqual(
      before.map((ref) => ref.file.fileFormat),
      ['PUFFIN'],
      "the file's one vector, Java's",
    );
    const plan = await planScan(table);
    const localPath = await localizePlan(table, plan);
    const inFile = await engine.withConnection(async (connection) =>
      (
        await connection.runAndReadAll(
          `SELECT id FROM (${readPlanSql(plan, { localPath, rowPositions: true })}) WHERE ${ROW_FILE_PATH_COLUMN} = ${quoteLiteral(javaFile)} ORDER BY id LIMIT 2`,
        )
      ).getRowsJS(),
    );
    const doomed = inFile.map((row) => Number(row[0]));
    assert.equal(doomed.length, 2);
    assert.equal(await floeDelete(events, `id IN (${doomed.join(', ')})`), 2);
    ids = ids.filter((id) => !doomed.includes(id));
    const after = (await planScan(await agree(events, ids))).tasks.find((task) => task.dataFile.filePath === javaFile)!.positionDeletes;
    assert.equal(after.length, 1);
    assert.notEqual(after[0]!.file.filePath, before[0]!.file.filePath, "Floe's vector replaced Java's");
    assert.equal(after[0]!.file.recordCount, before[0]!.file.recordCount + 2);
  });

  test("Java appends on top of Floe's row lineage", async () => {
    await java.run('append', {
      catalog: javaCatalog,
      identifier: nameOf(events),
      rows: [100, 101, 102].map((id) => ({ id, name: `java ${id}` })),
    });
    ids = [...ids, 100, 101, 102];
    await agree(events, ids);
  });

  test('compaction folds the deletion vectors into new data files and removes them', async () => {
    const context = { registry: new Registry([]), catalog, engine, workDirectory: join(dir, 'work') };
    const summary = await compactTable(context, { table: nameOf(events) }, { skipCleanup: true });
    assert.ok(summary.deleteFilesRemoved > 0, JSON.stringify(summary));
    const table = await agree(events, ids);
    const { summary: planned } = await planScan(table);
    assert.deepEqual([planned.positionDeleteFiles, planned.deletionVectors], [0, 0]);
  });

  test('pyiceberg reads the table equal', async () => {
    await floeDelete(events, 'id = 100');
    ids = ids.filter((id) => id !== 100);
    const table = await agree(events, ids);
    const floe = sortOracleRows((await readFloeRows(engine, table)).rows, ['id']);
    const fromPython = await py<{ rows: OracleRow[] }>({ command: 'read', catalog: pyCatalog, identifier: nameOf(events) });
    assert.deepEqual(sortOracleRows(fromPython.rows, ['id']), floe);
  });

  test('a v2 table with a position delete file, upgraded: the next delete folds it into a deletion vector', async () => {
    const upgraded: TableIdentifier = { namespace: ['floe'], name: 'upgraded' };
    await catalog.createTable(upgraded, { schema: SCHEMA, formatVersion: 2 });
    await append(upgraded, 0, 10);
    assert.equal(await floeDelete(upgraded, 'id = 3'), 1);
    let table = await catalog.loadTable(upgraded);
    assert.deepEqual(
      (await planScan(table)).tasks.flatMap((task) => task.positionDeletes.map((ref) => ref.file.fileFormat)),
      ['PARQUET'],
    );
    await commitChange(catalog, upgraded, upgradeFormatVersion(3));
    await append(upgraded, 10, 12);
    table = await agree(upgraded, [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]);
    const afterUpgrade = table.metadata.snapshots.at(-1)!;
    assert.deepEqual(
      [afterUpgrade.firstRowId, afterUpgrade.addedRows],
      [0n, 12n],
      'the first commit after the upgrade numbers all 12 rows',
    );

    assert.equal(await floeDelete(upgraded, 'id = 5'), 1);
    table = await agree(upgraded, [0, 1, 2, 4, 6, 7, 8, 9, 10, 11]);
    const deleteFiles = (await planScan(table)).tasks.flatMap((task) => task.positionDeletes.map((ref) => ref.file));
    assert.deepEqual(
      deleteFiles.map((file) => [file.fileFormat, file.recordCount]),
      [['PUFFIN', 2]],
      'the position delete file is folded into the vector and removed',
    );
    const summary = table.metadata.snapshots.at(-1)!.summary;
    assert.deepEqual([summary['added-dvs'], summary['removed-position-delete-files']], ['1', '1']);
  });
});
