// services: python
/**
 * Row-level deletes written by Floe as position delete files (merge-on-read), and equality deletes:
 * pyiceberg reads exactly the rows that remain, its `inspect` agrees with the files and summaries
 * Floe wrote, and Floe's own merge-on-read scan reads the same rows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendEqualityDeletes } from '../../../../engine/deletes/equality-deletes.js';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import { FloeError } from '../../../../core/errors.js';
import { and, eq, gtEq, isIn, lt, or } from '../../../../iceberg/expressions/expression.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { rewriteFiles } from '../../../../iceberg/write/rewrite-files.js';
import { snapshotManifests } from '../../../../iceberg/scan/manifest-cache.js';
import { readAllManifestEntries } from '../../../../iceberg/write/table-manifests.js';
import type { OpsContext, Row } from '../../../support/iceberg/ops-context.js';
import {
  appendValues,
  commit,
  createUniqueTable,
  floeRows,
  ids,
  load,
  pyInspect,
  pyRows,
  sqlContext,
  summaryOf,
} from '../../../support/iceberg/ops-context.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'category', required: false, type: 'string' },
    { id: 3, name: 'amount', required: false, type: 'double' },
  ],
};
const COLUMNS = ['id', 'category', 'amount'];
const CATEGORIES = ['a', 'b', 'c'];
const tuple = (id: number): string => `(${id}, '${CATEGORIES[id % 3]}', ${id * 1.5})`;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

let context: OpsContext;
before(async () => {
  context = await sqlContext('row-delete');
});
after(async () => {
  await context.close();
});

describe('deleteRows writes position deletes that pyiceberg applies', () => {
  it('partitioned table: one delete file per touched partition, rows gone for pyiceberg and Floe, inspect agrees', async () => {
    const identifier = await createUniqueTable(context, 'events', {
      schema: SCHEMA,
      partitionSpec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] },
    });
    await appendValues(context, identifier, COLUMNS, range(0, 30).map(tuple));
    await appendValues(context, identifier, COLUMNS, range(30, 60).map(tuple));
    const before = await load(context, identifier);

    // ids < 10 in category a or b, and every id ≥ 55 (all categories): touches three partitions.
    const filter = or(and(lt('id', 10), isIn('category', ['a', 'b'])), gtEq('id', 55));
    const deletes = await deleteRows(before, { engine: context.engine, filter, workDirectory: join(context.dir, 'work') });
    const expectedDeleted = range(0, 60).filter((id) => (id < 10 && id % 3 !== 2) || id >= 55);
    assert.equal(deletes.deletedRows, expectedDeleted.length);
    assert.equal(deletes.snapshotId, before.metadata.currentSnapshotId);
    assert.ok(deletes.change);
    const result = await commit(context, identifier, deletes.change);

    const remaining = range(0, 60).filter((id) => !expectedDeleted.includes(id));
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), remaining);
    assert.deepEqual(ids(await floeRows(context, identifier, 'id')), remaining);
    // The snapshot before the delete still reads every row.
    assert.deepEqual(ids(await pyRows(context, identifier, 'id', { snapshotId: before.metadata.currentSnapshotId! })), range(0, 60));

    const deleteFiles = await pyInspect(context, identifier, 'delete_files');
    assert.equal(deleteFiles.length, 3, 'one position delete file per partition touched (a, b, c)');
    assert.deepEqual(deleteFiles.map((file) => (file.partition as Row).category).sort(), ['a', 'b', 'c']);
    for (const file of deleteFiles) assert.equal(file.content, 1);
    assert.equal(
      deleteFiles.reduce((sum, file) => sum + Number(file.record_count), 0),
      expectedDeleted.length,
    );
    assert.deepEqual(new Set(deleteFiles.map((file) => file.file_path)), new Set(deletes.deleteFiles.map((file) => file.filePath)));

    const snapshots = await pyInspect(context, identifier, 'snapshots');
    const last = snapshots.find((snapshot) => snapshot.snapshot_id === result.snapshotId?.toString());
    assert.ok(last, 'pyiceberg lists the delete snapshot');
    assert.equal(last.operation, 'delete');
    const summary = summaryOf(last);
    assert.equal(summary['added-delete-files'], '3');
    assert.equal(summary['added-position-delete-files'], '3');
    assert.equal(summary['added-position-deletes'], String(expectedDeleted.length));
    assert.equal(summary['total-position-deletes'], String(expectedDeleted.length));
    assert.equal(summary['total-delete-files'], '3');
    assert.equal(summary['total-records'], '60', 'records count what the data files hold; deletes do not change it');

    const entries = await pyInspect(context, identifier, 'entries');
    const deleteEntries = entries.filter((entry) => (entry.data_file as Row).content === 1);
    assert.equal(deleteEntries.length, 3);
    for (const entry of deleteEntries) {
      assert.equal(entry.status, 1, 'added');
      assert.equal(entry.snapshot_id, result.snapshotId?.toString());
      assert.equal(Number(entry.sequence_number), 3);
    }

    // A second delete on top of the first: merge-on-read keeps working, pyiceberg applies both.
    const second = await deleteRows(await load(context, identifier), {
      engine: context.engine,
      rowFilter: '"amount" BETWEEN 30 AND 45',
      workDirectory: join(context.dir, 'work'),
    });
    assert.equal(second.deletedRows, range(20, 31).length);
    await commit(context, identifier, second.change!);
    const remainingAfter = remaining.filter((id) => !(id * 1.5 >= 30 && id * 1.5 <= 45));
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), remainingAfter);
    assert.deepEqual(ids(await floeRows(context, identifier, 'id')), remainingAfter);
  });

  it('unpartitioned table: a delete file that covers one data file names it (referenced_data_file)', async () => {
    const identifier = await createUniqueTable(context, 'flat', { schema: SCHEMA });
    await appendValues(context, identifier, COLUMNS, range(0, 20).map(tuple));
    const deletes = await deleteRows(await load(context, identifier), {
      engine: context.engine,
      filter: eq('category', 'c'),
      workDirectory: join(context.dir, 'work'),
    });
    assert.equal(deletes.deletedRows, 6);
    assert.equal(deletes.deleteFiles.length, 1);
    const [deleteFile] = deletes.deleteFiles;
    const table = await load(context, identifier);
    const manifests = await readAllManifestEntries(table, await snapshotManifests(table, table.metadata.snapshots[0]!));
    const dataFile = manifests[0]!.entries[0]!.dataFile;
    assert.equal(deleteFile?.referencedDataFile, dataFile.filePath);
    await commit(context, identifier, deletes.change!);
    assert.deepEqual(
      ids(await pyRows(context, identifier, 'id')),
      range(0, 20).filter((id) => id % 3 !== 2),
    );
    // pyiceberg's inspect does not show referenced_data_file: read the committed delete manifest back.
    const committed = await load(context, identifier);
    const current = await readAllManifestEntries(committed, await snapshotManifests(committed, committed.metadata.snapshots[1]!));
    const committedDeletes = current.filter(({ manifest }) => manifest.content === 'deletes').flatMap(({ entries }) => entries);
    assert.deepEqual(
      committedDeletes.map((entry) => entry.dataFile.referencedDataFile),
      [dataFile.filePath],
    );
    assert.equal((await pyInspect(context, identifier, 'delete_files')).length, 1);
  });

  it('deleting rows that match nothing gives no change', async () => {
    const identifier = await createUniqueTable(context, 'nothing', { schema: SCHEMA });
    await appendValues(context, identifier, COLUMNS, range(0, 5).map(tuple));
    const deletes = await deleteRows(await load(context, identifier), {
      engine: context.engine,
      filter: gtEq('id', 100),
      workDirectory: join(context.dir, 'work'),
    });
    assert.equal(deletes.change, null);
    assert.equal(deletes.deletedRows, 0);
    await assert.rejects(
      deleteRows(await load(context, identifier), { engine: context.engine, workDirectory: join(context.dir, 'work') }),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
  });

  it('a delete whose data file was rewritten meanwhile fails clearly and leaves the table at the rewrite', async () => {
    const identifier = await createUniqueTable(context, 'raced', { schema: SCHEMA });
    await appendValues(context, identifier, COLUMNS, range(0, 10).map(tuple));
    const read = await load(context, identifier);
    const deletes = await deleteRows(read, { engine: context.engine, filter: lt('id', 3), workDirectory: join(context.dir, 'work') });
    // A compaction rewrites the data file the deletes refer to before they commit.
    const [contents] = await readAllManifestEntries(read, await snapshotManifests(read, read.metadata.snapshots[0]!));
    const oldFile = contents!.entries[0]!.dataFile;
    const copy = { ...oldFile, filePath: oldFile.filePath.replace(/\.parquet$/, '-copy.parquet') };
    await read.io.write(copy.filePath, await read.io.read(oldFile.filePath));
    const rewrite = await commit(context, identifier, rewriteFiles([oldFile], [copy]));
    await assert.rejects(commit(context, identifier, deletes.change!), (error: unknown) => {
      assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
      assert.equal(error.retryable, false);
      assert.match(
        error.message,
        new RegExp(
          `data file ${oldFile.filePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} they refer to was removed by snapshot ${rewrite.snapshotId}`,
        ),
      );
      return true;
    });
    const now = await load(context, identifier);
    assert.equal(now.metadata.currentSnapshotId, rewrite.snapshotId);
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(0, 10));
  });
});

describe('appendEqualityDeletes', () => {
  it('deletes every older row with equal values, newer rows stay; Floe reads it and pyiceberg inspects it', async () => {
    const identifier = await createUniqueTable(context, 'eq', {
      schema: SCHEMA,
      partitionSpec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] },
    });
    await appendValues(context, identifier, COLUMNS, range(0, 12).map(tuple));
    const deletes = await appendEqualityDeletes(await load(context, identifier), {
      engine: context.engine,
      columns: ['id'],
      query: `SELECT * FROM (VALUES (3, 'a'), (4, 'b'), (100, 'c')) AS d(id, category)`,
      workDirectory: join(context.dir, 'work'),
    });
    assert.equal(deletes.deleteFiles.length, 3, 'one equality delete file per partition');
    for (const file of deletes.deleteFiles) assert.deepEqual(file.equalityIds, [1]);
    await commit(context, identifier, deletes.change!);
    // A row appended after the delete, with a deleted id, is not deleted (its sequence number is not older).
    await appendValues(context, identifier, COLUMNS, ["(3, 'a', 99.0)"]);
    const rows = await floeRows(context, identifier, 'id');
    assert.deepEqual(ids(rows), [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(rows.find((row: Row) => Number(row.id) === 3)?.amount, 99);
    const inspected = await pyInspect(context, identifier, 'delete_files');
    assert.equal(inspected.length, 3);
    for (const file of inspected) {
      assert.equal(file.content, 2);
      assert.deepEqual(file.equality_ids, [1]);
    }
  });
});
