/**
 * The write changes on a local SQL catalog with made-up file entries (nothing reads their rows):
 * v3 row lineage through an append, a row delta and a rewrite; summaries when a rewrite removes
 * delete files; the new-deletes check; argument errors; and when a delete file applies to a data file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LoadedTable, TableIdentifier } from '../../../../iceberg/catalog/catalog.js';
import type { SqlCatalog } from '../../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import type { TableChange } from '../../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../../core/errors.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { writeAddedManifest } from '../../../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../../../iceberg/write/fast-append.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID } from '../../../../iceberg/spec/position-deletes.js';
import { rewriteFiles } from '../../../../iceberg/write/rewrite-files.js';
import { rowDelta } from '../../../../iceberg/write/row-delta.js';
import { snapshotManifests } from '../../../../iceberg/scan/manifest-cache.js';
import { readAllManifestEntries } from '../../../../iceberg/write/table-manifests.js';
import { deleteApplies } from '../../../../iceberg/write/validation.js';
import { scratchFolder } from '../../../support/scratch-folder.js';
import { scratchSqlCatalog, tableMaker } from '../../../support/iceberg/scratch-tables.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'part', required: false, type: 'string' },
  ],
};
/** `part` as an identity partition. */
const PARTITIONED_BY_PART: PartitionSpec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'part', transform: 'identity' }] };
const root = scratchFolder('write-changes');
let catalog: SqlCatalog;

before(async () => {
  catalog = await scratchSqlCatalog(root, 'unit');
});
after(async () => {
  await catalog.close();
});
const newTable = tableMaker(() => catalog, ['db'], { schema: SCHEMA });

const file = (
  table: LoadedTable,
  name: string,
  recordCount: number,
  partition: DataFile['partition'] = [],
  content: DataFile['content'] = 'data',
): DataFile => ({
  content,
  filePath: `${table.metadata.location}/data/${name}.parquet`,
  fileFormat: 'PARQUET',
  partition,
  recordCount,
  fileSizeInBytes: 100 * recordCount,
});

const commit = (identifier: TableIdentifier, change: TableChange) =>
  commitChange(catalog, identifier, change, { sleep: async () => undefined });

async function head(identifier: TableIdentifier) {
  const table = await catalog.loadTable(identifier);
  const snapshot = table.metadata.snapshots.find((candidate) => candidate.snapshotId === table.metadata.currentSnapshotId)!;
  return { table, snapshot, contents: await readAllManifestEntries(table, await snapshotManifests(table, snapshot)) };
}

describe('write changes', () => {
  it('v3: appends, row deltas and rewrites hand out row-id ranges, and rewritten files keep their row ids', async () => {
    const identifier = await newTable({ formatVersion: 3 });
    let table = await catalog.loadTable(identifier);
    const [a, b] = [file(table, 'a', 10), file(table, 'b', 5)];
    await commit(identifier, fastAppend([await writeAddedManifest(table, [a, b], 'append-1')]));
    let state = await head(identifier);
    assert.equal(state.snapshot.firstRowId, 0n);
    assert.equal(state.snapshot.addedRows, 15n);
    assert.equal(state.table.metadata.nextRowId, 15n);
    assert.deepEqual(
      state.contents[0]!.entries.map((entry) => entry.dataFile.firstRowId),
      [0n, 10n],
    );

    table = state.table;
    const deletes = await writeAddedManifest(table, [file(table, 'd', 2, [], 'position-deletes')], 'delete-1', { content: 'deletes' });
    await commit(identifier, rowDelta({ deletes: [deletes] }));
    state = await head(identifier);
    assert.equal(state.snapshot.firstRowId, 15n);
    assert.equal(state.snapshot.addedRows, 0n, 'delete files add no rows');

    const c = file(state.table, 'c', 7);
    await commit(identifier, rewriteFiles([a], [c]));
    state = await head(identifier);
    assert.equal(state.snapshot.summary.operation, 'replace');
    assert.equal(state.snapshot.firstRowId, 15n);
    // The new manifest (7 added rows) and the rewritten one (b, 5 existing rows) get fresh ranges.
    assert.equal(state.snapshot.addedRows, 12n);
    assert.equal(state.table.metadata.nextRowId, 27n);
    const entries = state.contents.flatMap(({ entries: list }) => list).filter((entry) => entry.dataFile.content === 'data');
    const byName = new Map(entries.map((entry) => [entry.dataFile.filePath.replace(/.*\//, ''), entry]));
    assert.equal(byName.get('b.parquet')?.status, 'existing');
    assert.equal(byName.get('b.parquet')?.dataFile.firstRowId, 10n, 'b keeps the row ids it was given');
    assert.equal(byName.get('a.parquet')?.status, 'deleted');
    assert.equal(byName.get('c.parquet')?.dataFile.firstRowId, 15n);
  });

  it('a rewrite that removes delete files reports them in its summary and totals', async () => {
    const identifier = await newTable({ formatVersion: 2 });
    const table = await catalog.loadTable(identifier);
    const [a, b] = [file(table, 'a', 10), file(table, 'b', 10)];
    await commit(identifier, fastAppend([await writeAddedManifest(table, [a, b], 'append')]));
    const positions = file(table, 'pos', 3, [], 'position-deletes');
    const equalities = { ...file(table, 'eq', 2, [], 'equality-deletes'), equalityIds: [1] };
    await commit(
      identifier,
      rowDelta({ deletes: [await writeAddedManifest(table, [positions, equalities], 'deletes', { content: 'deletes' })] }),
    );
    const compacted = file(table, 'ab', 15);
    const result = await commit(identifier, rewriteFiles([a, b, positions, equalities], [compacted]));
    const { snapshot, contents } = await head(identifier);
    assert.equal(snapshot.snapshotId, result.snapshotId);
    assert.deepEqual(Object.fromEntries(Object.entries(snapshot.summary).filter(([key]) => key !== 'operation')), {
      'added-data-files': '1',
      'deleted-data-files': '2',
      'added-records': '15',
      'deleted-records': '20',
      'added-files-size': '1500',
      'removed-files-size': '2500',
      'removed-delete-files': '2',
      'removed-position-delete-files': '1',
      'removed-equality-delete-files': '1',
      'removed-position-deletes': '3',
      'removed-equality-deletes': '2',
      'changed-partition-count': '1',
      'total-data-files': '1',
      'total-records': '15',
      'total-files-size': '1500',
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    });
    const live = contents.flatMap(({ entries }) =>
      entries.filter((entry) => entry.status !== 'deleted').map((entry) => entry.dataFile.filePath),
    );
    assert.deepEqual(live, [compacted.filePath]);
  });

  it('a rewrite fails when a delete committed after its starting snapshot applies to a removed file, and not when it applies elsewhere', async () => {
    const identifier = await newTable({ formatVersion: 2, partitionSpec: PARTITIONED_BY_PART });
    const table = await catalog.loadTable(identifier);
    const [x, y] = [file(table, 'x', 10, ['x']), file(table, 'y', 10, ['y'])];
    const start = (await commit(identifier, fastAppend([await writeAddedManifest(table, [x, y], 'append')]))).snapshotId!;
    const deleteInY = file(table, 'del-y', 1, ['y'], 'position-deletes');
    await commit(identifier, rowDelta({ deletes: [await writeAddedManifest(table, [deleteInY], 'deletes', { content: 'deletes' })] }));
    // x's partition has no new delete: the rewrite of x lands.
    await commit(identifier, rewriteFiles([x], [file(table, 'x2', 10, ['x'])], { startingSnapshotId: start }));
    await assert.rejects(
      commit(identifier, rewriteFiles([y], [file(table, 'y2', 10, ['y'])], { startingSnapshotId: start })),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'commit-conflict') && !error.retryable, String(error));
        assert.ok(error.message.includes(deleteInY.filePath) && error.message.includes(y.filePath), error.message);
        return true;
      },
    );
    // From a starting snapshot the branch no longer descends from, nothing can be validated.
    await assert.rejects(
      commit(identifier, rewriteFiles([y], [file(table, 'y3', 10, ['y'])], { startingSnapshotId: 42n })),
      (error: unknown) => FloeError.is(error, 'commit-conflict') && /no longer an ancestor/.test(error.message),
    );
  });

  it('a commit from a table loaded before another commit landed conflicts once, reloads and lands; a repeated key lands once', async () => {
    const identifier = await newTable({ formatVersion: 2 });
    const stale = await catalog.loadTable(identifier);
    const other = await commit(identifier, fastAppend([await writeAddedManifest(stale, [file(stale, 'other', 1)], 'other')]));
    const mine = fastAppend([await writeAddedManifest(stale, [file(stale, 'mine', 1)], 'mine')], { idempotencyKey: 'mine' });
    const landed = await commitChange(catalog, identifier, mine, { sleep: async () => undefined, loaded: stale });
    assert.equal(landed.attempts, 2, 'the first attempt, built on the stale head, conflicted');
    assert.equal((await head(identifier)).snapshot.parentSnapshotId, other.snapshotId);
    const again = fastAppend([await writeAddedManifest(stale, [file(stale, 'mine', 1)], 'mine-again')], { idempotencyKey: 'mine' });
    const repeated = await commitChange(catalog, identifier, again, { sleep: async () => undefined, loaded: stale });
    assert.deepEqual([repeated.alreadyCommitted, repeated.snapshotId], [true, landed.snapshotId]);
    const { contents } = await head(identifier);
    assert.deepEqual(contents.flatMap((manifest) => manifest.entries.map((entry) => entry.dataFile.filePath.split('/').at(-1))).sort(), [
      'mine.parquet',
      'other.parquet',
    ]);
  });

  it('refuses changes that cannot make sense', async () => {
    assert.throws(
      () => rewriteFiles([], []),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
    const identifier = await newTable({ formatVersion: 2 });
    const table = await catalog.loadTable(identifier);
    const data = await writeAddedManifest(table, [file(table, 'a', 1)], 'data');
    assert.throws(
      () => rowDelta({ deletes: [data] }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /is not a delete manifest/.test(error.message),
    );
    await assert.rejects(
      commit(identifier, rewriteFiles([file(table, 'ghost', 1)], [])),
      (error: unknown) => FloeError.is(error, 'commit-conflict') && /ghost\.parquet is no longer in the table/.test(error.message),
    );
  });
});

describe('deleteApplies (spec: "Scan Planning")', () => {
  const data = {
    file: {
      content: 'data',
      filePath: 's3://b/t/data/f.parquet',
      fileFormat: 'PARQUET',
      partition: ['p'],
      recordCount: 1,
      fileSizeInBytes: 1,
    } as DataFile,
    specId: 1,
    sequenceNumber: 5,
  };
  const positional = (overrides: Partial<DataFile>, sequenceNumber = 5, specId = 1) => ({
    file: { ...data.file, content: 'position-deletes' as const, filePath: 'del', ...overrides },
    specId,
    sequenceNumber,
  });
  const equality = (sequenceNumber: number, specId = 1, partition: DataFile['partition'] = ['p']) => ({
    file: { ...data.file, content: 'equality-deletes' as const, filePath: 'eq', partition, equalityIds: [1] },
    specId,
    sequenceNumber,
  });
  const bound = (text: string) => new Map([[POSITION_DELETE_FILE_PATH_FIELD_ID, new TextEncoder().encode(text)]]);
  const unpartitioned = new Set([0]);

  it('position deletes: same partition, sequence number at least the data file’s, and the path within reach', () => {
    assert.equal(deleteApplies(positional({}), data, unpartitioned), true);
    assert.equal(deleteApplies(positional({}, 4), data, unpartitioned), false);
    assert.equal(deleteApplies(positional({ partition: ['q'] }), data, unpartitioned), false);
    assert.equal(deleteApplies(positional({}, 6, 2), data, unpartitioned), false, 'another spec');
    assert.equal(deleteApplies(positional({ referencedDataFile: 's3://b/t/data/g.parquet' }), data, unpartitioned), false);
    assert.equal(deleteApplies(positional({ referencedDataFile: data.file.filePath }), data, unpartitioned), true);
    assert.equal(
      deleteApplies(positional({ lowerBounds: bound('s3://b/t/data/g'), upperBounds: bound('s3://b/t/data/h') }), data, unpartitioned),
      false,
    );
    assert.equal(
      deleteApplies(positional({ lowerBounds: bound('s3://b/t/data/a'), upperBounds: bound('s3://b/t/data/g') }), data, unpartitioned),
      true,
    );
  });

  it('equality deletes: a strictly greater sequence number; partition-scoped unless their spec is unpartitioned', () => {
    assert.equal(deleteApplies(equality(5), data, unpartitioned), false);
    assert.equal(deleteApplies(equality(6), data, unpartitioned), true);
    assert.equal(deleteApplies(equality(6, 1, ['q']), data, unpartitioned), false);
    assert.equal(deleteApplies(equality(6, 0, []), data, unpartitioned), true, 'global');
  });
});
