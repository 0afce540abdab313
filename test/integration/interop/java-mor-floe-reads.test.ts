/**
 * Merge-on-read tables written by Java Iceberg (test/support/java-mor-fixtures.ts: position and
 * equality deletes on unpartitioned, bucket and identity tables, interleaved sequence numbers, null
 * equality keys, schema evolution) read by Floe give Java's rows at every snapshot; Floe's plan
 * attaches to each data file exactly the delete files the spec's rules select (worked out here from
 * Java's own file listing), and never fewer than Java's planner applies. v3 deletion vectors are
 * refused with a clear `unsupported` error naming the Puffin file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import type { Catalog, LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { FloeError } from '../../../iceberg/errors.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { generateJavaMorFixtures, JAVA_MOR_CASES, type JavaMorCase, type JavaMorFixture } from '../../support/java-mor-fixtures.js';
import type { JavaFile } from '../../support/java-oracle.js';
import { readFloeRows, sortRows } from '../../support/oracle-rows.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('interop-mor');
let fixtures: Record<JavaMorCase, JavaMorFixture>;
let catalog: Catalog;
let engine: Engine;

before(async () => {
  fixtures = await generateJavaMorFixtures(dir);
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  engine = await Engine.create({ threads: 2 });
});
after(async () => {
  await catalog?.close();
  engine?.close();
});

async function load(fixture: JavaMorFixture): Promise<LoadedTable> {
  const [namespace, name] = fixture.identifier.split('.') as [string, string];
  return catalog.loadTable({ namespace: [namespace], name });
}

const MOR_CASES = JAVA_MOR_CASES.filter((name) => name !== 'deletion-vectors-v3');

/** The spec's "Scan Planning" rules over Java's listing of the snapshot's files. */
function specDeletes(
  files: readonly JavaFile[],
  data: JavaFile,
  unpartitionedSpecs: ReadonlySet<number>,
): { position: string[]; equality: string[] } {
  const samePartition = (file: JavaFile): boolean =>
    file.spec_id === data.spec_id && JSON.stringify(file.partition) === JSON.stringify(data.partition);
  const dataSeq = data.data_sequence_number!;
  const position = files
    .filter(
      (file) =>
        file.content === 1 &&
        samePartition(file) &&
        file.data_sequence_number! >= dataSeq &&
        (file.referenced_data_file === null || file.referenced_data_file === data.file_path),
    )
    .map((file) => file.file_path);
  const equality = files
    .filter(
      (file) => file.content === 2 && (samePartition(file) || unpartitionedSpecs.has(file.spec_id)) && file.data_sequence_number! > dataSeq,
    )
    .map((file) => file.file_path);
  return { position: position.sort(), equality: equality.sort() };
}

describe('Java writes merge-on-read tables, Floe reads them', () => {
  for (const name of MOR_CASES) {
    test(`${name}: Floe reads Java's rows at every snapshot`, async () => {
      const fixture = fixtures[name];
      const table = await load(fixture);
      const current = await readFloeRows(engine, table);
      assert.deepEqual(
        current.scan.plan.schema.fields.map((field) => field.name),
        fixture.columns,
      );
      assert.deepEqual(sortRows(current.rows, ['id']), fixture.rows, `${name}: current`);
      for (const snapshot of fixture.snapshots) {
        const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshot_id) });
        assert.deepEqual(sortRows(floe.rows, ['id']), snapshot.rows, `${name}: snapshot at sequence number ${snapshot.sequence_number}`);
      }
      assert.equal(current.scan.plan.mode, 'merge-on-read');
    });

    test(`${name}: Floe's plan applies the deletes the spec selects, a superset of Java's bound-narrowed plan`, async () => {
      const fixture = fixtures[name];
      const table = await load(fixture);
      const plan = await planScan(table);
      const unpartitioned = new Set(
        table.metadata.partitionSpecs.filter((spec) => spec.fields.every((field) => field.transform === 'void')).map((spec) => spec.specId),
      );
      const javaData = fixture.inspect.files.filter((file) => file.content === 0);
      assert.deepEqual(
        plan.tasks.map((task) => task.dataFile.filePath).sort(),
        javaData.map((file) => file.file_path).sort(),
        'the same data files',
      );
      for (const task of plan.tasks) {
        const data = javaData.find((file) => file.file_path === task.dataFile.filePath)!;
        assert.equal(task.dataSequenceNumber, data.data_sequence_number, `${name}: data sequence number of ${data.file_path}`);
        const expected = specDeletes(fixture.inspect.files, data, unpartitioned);
        const floePosition = task.positionDeletes.map((ref) => ref.file.filePath).sort();
        const floeEquality = task.equalityDeletes.map((ref) => ref.file.filePath).sort();
        // Floe may narrow position deletes by their file_path bounds (as Java does); equality deletes it keeps all.
        for (const path of floePosition)
          assert.ok(expected.position.includes(path), `${name}: ${path} does not apply to ${data.file_path} by the spec`);
        assert.deepEqual(floeEquality, expected.equality, `${name}: equality deletes of ${data.file_path}`);
        const javaTask = fixture.inspect.scan_tasks.find((candidate) => candidate.data_file === data.file_path)!;
        for (const path of javaTask.delete_files)
          assert.ok([...floePosition, ...floeEquality].includes(path), `${name}: Java applies ${path} to ${data.file_path}, Floe does not`);
      }
    });
  }

  test('deletion vectors (v3 Puffin): refused as unsupported, naming the table and the file, before any row is read', async () => {
    const fixture = fixtures['deletion-vectors-v3'];
    const table = await load(fixture);
    // Snapshots before the first vector read fine.
    const first = fixture.snapshots[0]!;
    const before = await readFloeRows(engine, table, { snapshotId: BigInt(first.snapshot_id) });
    assert.deepEqual(
      sortRows(before.rows, ['id']).map((row) => row.id),
      first.rows.map((row) => row.id),
    );
    await assert.rejects(readFloeRows(engine, table), (error: unknown) => {
      assert.ok(FloeError.is(error, 'unsupported'), String(error));
      assert.match(error.message, /Deletion vectors/);
      assert.match(String(error.context.file), /\.puffin$/);
      assert.equal(
        error.context.table,
        [...table.identifier.namespace, table.identifier.name].join('.'),
        'the table by its identifier, not its metadata file',
      );
      return true;
    });
  });

  test('known limitation, recorded: timestamptz_ns values lose their nanoseconds (DuckDB 1.5 reads UTC-adjusted NANOS Parquet as µs TIMESTAMPTZ)', async () => {
    // Java wrote 2024-07-01T00:00:00.123456789Z; the spec's value keeps all nine digits. DuckDB's
    // Parquet reader types the column TIMESTAMP WITH TIME ZONE (µs) before Floe's TIMESTAMP_NS
    // cast, so the last three digits are gone. When DuckDB keeps them, this test fails: then
    // compare these rows with Java's in full.
    const fixture = fixtures['deletion-vectors-v3'];
    const table = await load(fixture);
    const first = fixture.snapshots[0]!;
    const floe = await readFloeRows(engine, table, { snapshotId: BigInt(first.snapshot_id) });
    const javaValues = first.rows.map((row) => String(row.at));
    assert.deepEqual(javaValues[0], '2024-07-01T00:00:00.123456789Z');
    assert.deepEqual(
      sortRows(floe.rows, ['id']).map((row) => row.at),
      javaValues.map((value) => value.replace(/(\.\d{6})\d{3}Z$/, '$1000Z')),
    );
  });
});
