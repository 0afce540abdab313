// services: python, java-oracle
/**
 * Merge-on-read tables written by Java Iceberg (test/support/java-mor-fixtures.ts: position and
 * equality deletes on unpartitioned, bucket and identity tables, interleaved sequence numbers, null
 * equality keys, schema evolution) read by Floe give Java's rows at every snapshot; Floe's plan
 * attaches to each data file exactly the delete files the spec's rules select (worked out here from
 * Java's own file listing), and never fewer than Java's planner applies. On v3, a data file's
 * deletion vector replaces its position delete files (a table upgraded from v2 keeps them for the
 * other files), and pyiceberg 0.12, which reads deletion vectors too, reads the same rows. A
 * deletion vector whose bytes are damaged is a `corrupt` error naming the table and data file.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import type { Catalog, LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { FloeError } from '../../../core/errors.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { generateJavaMorFixtures, JAVA_MOR_CASES, type JavaMorCase, type JavaMorFixture } from '../../support/java-mor-fixtures.js';
import { asPyicebergCatalog, type JavaFile } from '../../support/java-oracle.js';
import { readFloeRows, sortOracleRows } from '../../support/oracle-rows.js';
import { runPyiceberg, type RowsReply } from '../../support/pyiceberg.js';
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

/**
 * Java's rows as Floe reads them today: deletion-vectors-v3's timestamptz_ns column to the
 * microsecond (the limitation recorded at the end of this file).
 */
function javaRows(name: JavaMorCase, rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  if (name !== 'deletion-vectors-v3') return [...rows];
  return rows.map((row) => ({ ...row, at: typeof row.at === 'string' ? row.at.replace(/(\.\d{6})\d{3}Z$/, '$1000Z') : row.at }));
}

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
  // First, before any read: a vector's decoded positions are kept locally once read (table files are immutable).
  test('a deletion vector with a wrong CRC or magic: corrupt, naming the table and the data file, not the metadata file', async () => {
    const fixture = fixtures['deletion-vectors-equality-v3'];
    const table = await load(fixture);
    const vector = fixture.inspect.files.find((file) => file.file_format === 'PUFFIN')!;
    const puffin = new URL(vector.file_path).pathname;
    const original = readFileSync(puffin);
    const tableName = [...table.identifier.namespace, table.identifier.name].join('.');
    const damage = async (offsetInBlob: number, pattern: RegExp): Promise<void> => {
      const damaged = Buffer.from(original);
      damaged[vector.content_offset! + offsetInBlob]! ^= 0xff;
      writeFileSync(puffin, damaged);
      try {
        await assert.rejects(readFloeRows(engine, table), (error: unknown) => {
          assert.ok(FloeError.is(error, 'corrupt'), String(error));
          assert.match(error.message, pattern);
          assert.ok(error.message.includes(`data file ${vector.referenced_data_file!} of table ${tableName}`), error.message);
          assert.ok(!error.message.includes(table.metadataLocation), 'no metadata file path');
          assert.equal(error.context.table, tableName);
          return true;
        });
      } finally {
        writeFileSync(puffin, original);
      }
    };
    await damage(5, /magic D1 D3 39 64/);
    await damage(vector.content_size_in_bytes! - 1, /CRC-32/);
    // Restored, it reads again.
    assert.deepEqual(sortOracleRows((await readFloeRows(engine, table)).rows, ['id']), fixture.rows);
  });

  for (const name of JAVA_MOR_CASES) {
    test(`${name}: Floe reads Java's rows at every snapshot`, async () => {
      const fixture = fixtures[name];
      const table = await load(fixture);
      const current = await readFloeRows(engine, table);
      assert.deepEqual(
        current.scan.plan.schema.fields.map((field) => field.name),
        fixture.columns,
      );
      assert.deepEqual(sortOracleRows(current.rows, ['id']), javaRows(name, fixture.rows), `${name}: current`);
      for (const snapshot of fixture.snapshots) {
        const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshot_id) });
        assert.deepEqual(
          sortOracleRows(floe.rows, ['id']),
          javaRows(name, snapshot.rows),
          `${name}: snapshot at sequence number ${snapshot.sequence_number}`,
        );
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
        // A deletion vector replaces the data file's position delete files: Floe applies it alone.
        const vector = fixture.inspect.files.find((file) => file.file_format === 'PUFFIN' && file.referenced_data_file === data.file_path);
        if (vector !== undefined) {
          assert.deepEqual(
            task.positionDeletes.map((ref) => [
              ref.file.filePath,
              ref.file.contentOffset,
              ref.file.contentSizeInBytes,
              ref.dataSequenceNumber,
            ]),
            [[vector.file_path, vector.content_offset, vector.content_size_in_bytes, vector.data_sequence_number]],
            `${name}: the deletion vector alone applies to ${data.file_path}`,
          );
        }
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

  for (const [name, last] of [
    ['deletion-vectors-equality-v3', 3],
    ['upgraded-v2-to-v3', 5],
  ] as const) {
    test(`${name}: pyiceberg 0.12, which reads deletion vectors too, reads the same rows as Floe up to the first equality delete`, async () => {
      // pyiceberg 0.12 refuses equality deletes (see test/integration/java/java-mor-fixtures.test.ts).
      const fixture = fixtures[name];
      const table = await load(fixture);
      const catalog = asPyicebergCatalog(fixture.catalog);
      const compared = fixture.snapshots.filter((snapshot) => snapshot.sequence_number <= last);
      assert.ok(
        compared.some((snapshot) => snapshot.operation !== 'append'),
        'a snapshot with deletes is compared',
      );
      for (const snapshot of compared) {
        const python = await runPyiceberg<RowsReply>('read', {
          catalog,
          identifier: fixture.identifier,
          snapshot_id: snapshot.snapshot_id,
        });
        const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshot_id) });
        assert.deepEqual(
          sortOracleRows(floe.rows, ['id']),
          sortOracleRows(python.rows, ['id']),
          `${name}: snapshot at sequence number ${snapshot.sequence_number}`,
        );
      }
    });
  }

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
      sortOracleRows(floe.rows, ['id']).map((row) => row.at),
      javaValues.map((value) => value.replace(/(\.\d{6})\d{3}Z$/, '$1000Z')),
    );
  });
});
