/**
 * Commits to v3 tables on a local SQL catalog with made-up file entries (nothing reads their rows):
 * an upgrade from v2 and the row ids the next commit hands every live row; a row delta whose
 * deletion vector replaces an older one (told apart from its Puffin neighbours by offset), with
 * Java's summary counts; a deletion vector another commit added meanwhile; a refused downgrade.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadedTable, TableIdentifier } from '../../../../iceberg/catalog/catalog.js';
import type { SqlCatalog } from '../../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import type { TableChange } from '../../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../../core/errors.js';
import { snapshotManifests } from '../../../../iceberg/scan/manifest-cache.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { writeAddedManifest } from '../../../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../../../iceberg/write/fast-append.js';
import { rowDelta } from '../../../../iceberg/write/row-delta.js';
import { readAllManifestEntries } from '../../../../iceberg/write/table-manifests.js';
import { upgradeFormatVersion } from '../../../../iceberg/write/upgrade-format-version.js';
import { scratchFolder } from '../../../support/scratch-folder.js';
import { scratchSqlCatalog, tableMaker } from '../../../support/iceberg/scratch-tables.js';

const SCHEMA: Schema = { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
let root: string;
let catalog: SqlCatalog;

before(async () => {
  root = scratchFolder('v3-writes');
  catalog = await scratchSqlCatalog(root, 'unit');
});
after(async () => {
  await catalog.close();
});
const newTable = tableMaker(() => catalog, ['db'], { schema: SCHEMA });

const dataFile = (table: LoadedTable, name: string, recordCount: number): DataFile => ({
  content: 'data',
  filePath: `${table.metadata.location}/data/${name}.parquet`,
  fileFormat: 'PARQUET',
  partition: [],
  recordCount,
  fileSizeInBytes: 100 * recordCount,
});

/** A deletion vector of `data` at `offset` in a Puffin file (the entry only: nothing reads it). */
const vector = (table: LoadedTable, puffin: string, data: DataFile, offset: number, cardinality: number): DataFile => ({
  content: 'position-deletes',
  filePath: `${table.metadata.location}/data/${puffin}.puffin`,
  fileFormat: 'PUFFIN',
  partition: [],
  recordCount: cardinality,
  fileSizeInBytes: 1000,
  referencedDataFile: data.filePath,
  contentOffset: offset,
  contentSizeInBytes: 40,
});

const commit = (identifier: TableIdentifier, change: TableChange) =>
  commitChange(catalog, identifier, change, { sleep: async () => undefined });

async function head(identifier: TableIdentifier) {
  const table = await catalog.loadTable(identifier);
  const snapshot = table.metadata.snapshots.find((candidate) => candidate.snapshotId === table.metadata.currentSnapshotId)!;
  const contents = await readAllManifestEntries(table, await snapshotManifests(table, snapshot));
  const live = contents.flatMap(({ entries }) => entries.filter((entry) => entry.status !== 'deleted'));
  return { table, snapshot, live };
}

async function deletesManifest(table: LoadedTable, files: DataFile[], name: string) {
  return writeAddedManifest(table, files, name, { content: 'deletes' });
}

describe('v3 writes', () => {
  it('an upgraded table starts at next-row-id 0, and its next commit numbers every live row, old and new', async () => {
    const identifier = await newTable({ formatVersion: 2 });
    let table = await catalog.loadTable(identifier);
    const [a, b] = [dataFile(table, 'a', 10), dataFile(table, 'b', 4)];
    await commit(identifier, fastAppend([await writeAddedManifest(table, [a], 'append-1')]));
    await commit(identifier, fastAppend([await writeAddedManifest(table, [b], 'append-2')]));
    await commit(identifier, upgradeFormatVersion(3));
    table = await catalog.loadTable(identifier);
    assert.equal(table.metadata.formatVersion, 3);
    assert.equal(table.metadata.nextRowId, 0n);
    assert.ok(
      table.metadata.snapshots.every((snapshot) => snapshot.firstRowId === undefined),
      'snapshots from before the upgrade keep no row ids',
    );

    const c = dataFile(table, 'c', 6);
    await commit(identifier, fastAppend([await writeAddedManifest(table, [c], 'append-3')]));
    const state = await head(identifier);
    assert.equal(state.snapshot.firstRowId, 0n);
    assert.equal(state.snapshot.addedRows, 20n, 'the 6 new rows and the 14 that had no row id');
    assert.equal(state.table.metadata.nextRowId, 20n);
    const ids = new Map(state.live.map((entry) => [entry.dataFile.filePath.replace(/.*\//, ''), entry.dataFile.firstRowId]));
    // The new manifest first, then the carried ones, each numbered on from the one before.
    assert.deepEqual(Object.fromEntries(ids), { 'c.parquet': 0n, 'b.parquet': 6n, 'a.parquet': 10n });

    await commit(identifier, fastAppend([await writeAddedManifest(state.table, [dataFile(state.table, 'd', 1)], 'append-4')]));
    const next = await head(identifier);
    assert.deepEqual([next.snapshot.firstRowId, next.snapshot.addedRows, next.table.metadata.nextRowId], [20n, 1n, 21n]);
  });

  it('a downgrade is refused, and an upgrade to the version a table has changes nothing', async () => {
    const identifier = await newTable({ formatVersion: 3 });
    await assert.rejects(
      commit(identifier, upgradeFormatVersion(2)),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') && !error.retryable && /format version 3: it cannot go back to version 2/.test(error.message),
    );
    const before = await catalog.loadTable(identifier);
    await commit(identifier, upgradeFormatVersion(3));
    assert.equal((await catalog.loadTable(identifier)).metadataLocation, before.metadataLocation);
  });

  it('a deletion vector that replaces an older one removes it in the same snapshot, and only it of its Puffin file', async () => {
    const identifier = await newTable({ formatVersion: 3 });
    const table = await catalog.loadTable(identifier);
    const [a, b] = [dataFile(table, 'a', 10), dataFile(table, 'b', 10)];
    await commit(identifier, fastAppend([await writeAddedManifest(table, [a, b], 'append')]));
    // One Puffin file holds the vectors of a and b.
    const [oldA, oldB] = [vector(table, 'first', a, 4, 2), vector(table, 'first', b, 44, 3)];
    await commit(
      identifier,
      rowDelta({ deletes: [await deletesManifest(table, [oldA, oldB], 'first')] }, { referencedDataFiles: [a.filePath, b.filePath] }),
    );
    const first = await head(identifier);
    assert.equal(first.snapshot.summary['added-dvs'], '2');
    assert.equal(first.snapshot.summary['added-position-delete-files'], undefined, 'vectors are not position delete files');
    assert.equal(first.snapshot.summary['added-position-deletes'], '5');

    const newA = vector(table, 'second', a, 4, 5);
    await commit(
      identifier,
      rowDelta(
        { deletes: [await deletesManifest(table, [newA], 'second')], removedDeletes: [oldA] },
        { referencedDataFiles: [a.filePath] },
      ),
    );
    const second = await head(identifier);
    const vectors = second.live.filter((entry) => entry.dataFile.fileFormat === 'PUFFIN');
    assert.deepEqual(
      vectors.map((entry) => [entry.dataFile.filePath.replace(/.*\//, ''), entry.dataFile.referencedDataFile?.replace(/.*\//, '')]).sort(),
      [
        ['first.puffin', 'b.parquet'],
        ['second.puffin', 'a.parquet'],
      ],
    );
    const summary = second.snapshot.summary;
    assert.deepEqual(
      [summary['added-dvs'], summary['removed-dvs'], summary['added-position-deletes'], summary['removed-position-deletes']],
      ['1', '1', '5', '2'],
    );
    assert.deepEqual([summary['total-delete-files'], summary['total-position-deletes']], ['2', '8']);
    assert.equal(second.snapshot.addedRows, 0n, 'deletes add no row ids');

    // The old vector is gone now: replacing it again fails clearly, without a retry.
    await assert.rejects(
      commit(
        identifier,
        rowDelta({ deletes: [await deletesManifest(table, [vector(table, 'third', a, 4, 6)], 'third')], removedDeletes: [oldA] }),
      ),
      (error: unknown) =>
        FloeError.is(error, 'commit-conflict') &&
        !error.retryable &&
        error.message.includes(`file ${oldA.filePath} is no longer in the table`),
    );
  });

  it('a row delta fails when another commit added a deletion vector for one of its data files after the rows were read', async () => {
    const identifier = await newTable({ formatVersion: 3 });
    const table = await catalog.loadTable(identifier);
    const a = dataFile(table, 'a', 10);
    const read = (await commit(identifier, fastAppend([await writeAddedManifest(table, [a], 'append')]))).snapshotId!;
    await commit(identifier, rowDelta({ deletes: [await deletesManifest(table, [vector(table, 'theirs', a, 4, 1)], 'theirs')] }));
    await assert.rejects(
      commit(
        identifier,
        rowDelta(
          { deletes: [await deletesManifest(table, [vector(table, 'mine', a, 4, 2)], 'mine')] },
          { referencedDataFiles: [a.filePath], startingSnapshotId: read },
        ),
      ),
      (error: unknown) =>
        FloeError.is(error, 'commit-conflict') &&
        !error.retryable &&
        error.message.includes(`another commit added a deletion vector for data file ${a.filePath}`),
    );
  });
});
