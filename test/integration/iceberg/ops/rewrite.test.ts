// services: rest-catalog, python
/**
 * rewriteFiles: a rewrite keeps the rows (pyiceberg and Floe read the same), pyiceberg's inspect
 * shows DELETED entries with the new snapshot id, EXISTING ones beside them, and manifests without
 * removed files carried over untouched. Races: a rewrite and an append both land; the second of two
 * rewrites of one file fails clearly; a delete committed on a rewritten file since the rewrite's
 * starting snapshot makes it fail.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { writeTableFiles } from '../../../../engine/write/table-writer.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../../../iceberg/catalog/catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import type { TableChange } from '../../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../../core/errors.js';
import { eq, lt } from '../../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../../iceberg/expressions/expression.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { rewriteFiles } from '../../../../iceberg/write/rewrite-files.js';
import { snapshotManifests } from '../../../../iceberg/scan/manifest-cache.js';
import { readAllManifestEntries } from '../../../../iceberg/write/table-manifests.js';
import type { OpsContext, Row } from '../../../support/iceberg/ops-context.js';
import {
  appendValues,
  createUniqueTable,
  floeRows,
  ids,
  load,
  pyInspect,
  pyRows,
  restContext,
  sqlContext,
  summaryOf,
} from '../../../support/iceberg/ops-context.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'category', required: false, type: 'string' },
  ],
};
const BY_CATEGORY = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] };
const rows = (category: string, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `(${from + i}, '${category}')`);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const noSleep = { sleep: async () => undefined };

async function liveFiles(table: LoadedTable): Promise<DataFile[]> {
  const head = table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === table.metadata.currentSnapshotId)!;
  const contents = await readAllManifestEntries(table, await snapshotManifests(table, head));
  return contents.flatMap(({ entries }) =>
    entries.filter((entry) => entry.status !== 'deleted' && entry.dataFile.content === 'data').map((entry) => entry.dataFile),
  );
}

/** The rows of `filter` written again as new files: what a compaction of those files writes. */
async function rewritten(context: OpsContext, table: LoadedTable, filter: Expression, name: string): Promise<DataFile[]> {
  const scan = await scanTable(table, { filter });
  return context.engine.withConnection((connection) =>
    writeTableFiles(connection, table, {
      query: scan.sql,
      fileNamePrefix: `${name}-${Date.now()}`,
      localDirectory: join(context.dir, 'work', name),
    }),
  );
}

/** The catalog, with `beforeFirstCommit` run once just before the first commit call reaches it: a race, made certain. */
function racing(catalog: Catalog, beforeFirstCommit: () => Promise<unknown>): Catalog & { calls: number } {
  const wrapper = Object.create(catalog) as Catalog & { calls: number };
  wrapper.calls = 0;
  wrapper.commitTable = async (identifier, requirements, updates) => {
    if (++wrapper.calls === 1) await beforeFirstCommit();
    return catalog.commitTable(identifier, requirements, updates);
  };
  return wrapper;
}

describe('rewriteFiles on the SQL catalog, read by pyiceberg', () => {
  let context: OpsContext;
  before(async () => {
    context = await sqlContext('rewrite');
  });
  after(async () => {
    await context.close();
  });

  it('keeps the rows, marks removed files DELETED, keeps the others EXISTING and carries untouched manifests over', async () => {
    const identifier = await createUniqueTable(context, 'compacted', { schema: SCHEMA, partitionSpec: BY_CATEGORY });
    await appendValues(context, identifier, ['id', 'category'], [...rows('a', 0, 5), ...rows('b', 5, 10)]); // m1: a1, b1
    const s2 = await appendValues(context, identifier, ['id', 'category'], rows('c', 10, 15)); // m2: c2
    await appendValues(context, identifier, ['id', 'category'], rows('a', 15, 20)); // m3: a3
    const base = await load(context, identifier);
    const m2 = (
      await snapshotManifests(
        s2.table,
        s2.table.metadata.snapshots.find((s) => s.snapshotId === s2.snapshotId)!,
      )
    )[0]!.manifestPath;
    const partitionA = (await liveFiles(base)).filter((file) => file.partition[0] === 'a');
    assert.equal(partitionA.length, 2);
    const added = await rewritten(context, base, eq('category', 'a'), 'compact-a');
    assert.equal(added.length, 1);

    const result = await commitChange(
      context.catalog,
      identifier,
      rewriteFiles(partitionA, added, { startingSnapshotId: base.metadata.currentSnapshotId! }),
      noSleep,
    );
    const snapshotId = result.snapshotId!.toString();

    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(0, 20));
    assert.deepEqual(ids(await floeRows(context, identifier, 'id')), range(0, 20));

    const snapshot = (await pyInspect(context, identifier, 'snapshots')).find((row) => row.snapshot_id === snapshotId)!;
    assert.equal(snapshot.operation, 'replace');
    const summary = summaryOf(snapshot);
    assert.equal(summary['added-data-files'], '1');
    assert.equal(summary['deleted-data-files'], '2');
    assert.equal(summary['added-records'], '10');
    assert.equal(summary['deleted-records'], '10');
    assert.equal(summary['total-data-files'], '3');
    assert.equal(summary['total-records'], '20');
    assert.equal(summary['changed-partition-count'], '1');

    const manifests = await pyInspect(context, identifier, 'manifests');
    assert.equal(manifests.length, 4, 'the added manifest, m1 and m3 rewritten, m2 carried over');
    assert.ok(
      manifests.some((manifest) => manifest.path === m2 && String(manifest.added_snapshot_id) === s2.snapshotId!.toString()),
      'm2 is the very same manifest',
    );
    const counts = manifests
      .map((manifest) =>
        [
          Number(manifest.added_data_files_count),
          Number(manifest.existing_data_files_count),
          Number(manifest.deleted_data_files_count),
        ].join('/'),
      )
      .sort();
    assert.deepEqual(counts, ['0/0/1', '0/1/1', '1/0/0', '1/0/0'].sort());

    const entries = await pyInspect(context, identifier, 'entries');
    const byPath = new Map(entries.map((entry) => [(entry.data_file as Row).file_path as string, entry]));
    for (const file of partitionA) {
      const entry = byPath.get(file.filePath)!;
      assert.equal(entry.status, 2, 'removed files are DELETED');
      assert.equal(entry.snapshot_id, snapshotId, 'with the rewrite snapshot id');
    }
    assert.equal(byPath.get(added[0]!.filePath)?.status, 1);
    const b1 = (await liveFiles(base)).find((file) => file.partition[0] === 'b')!;
    assert.equal(byPath.get(b1.filePath)?.status, 0, 'the other file of a rewritten manifest is EXISTING');
    const files = await pyInspect(context, identifier, 'files');
    assert.deepEqual(
      files.map((file) => file.file_path).sort(),
      [...(await liveFiles(await load(context, identifier))).map((file) => file.filePath)].sort(),
    );
    assert.equal(files.length, 3);
  });

  it('a delete committed on a removed file since the starting snapshot makes the rewrite fail; it can be told not to check', async () => {
    const identifier = await createUniqueTable(context, 'deleted-meanwhile', { schema: SCHEMA });
    await appendValues(context, identifier, ['id', 'category'], rows('a', 0, 10));
    const base = await load(context, identifier);
    const [file] = await liveFiles(base);
    const added = await rewritten(context, base, eq('category', 'a'), 'compact');
    const deletes = await deleteRows(base, { engine: context.engine, filter: lt('id', 3), workDirectory: join(context.dir, 'work') });
    await commitChange(context.catalog, identifier, deletes.change!, noSleep);
    const headAfterDelete = (await load(context, identifier)).metadata.currentSnapshotId;

    const rewrite = rewriteFiles([file!], added, { startingSnapshotId: base.metadata.currentSnapshotId! });
    await assert.rejects(commitChange(context.catalog, identifier, rewrite, noSleep), (error: unknown) => {
      assert.ok(FloeError.is(error, 'commit-conflict') && !error.retryable, String(error));
      assert.match(error.message, /position-deletes file .* applies to data file .* that the rewrite removes/);
      assert.ok(error.message.includes(deletes.deleteFiles[0]!.filePath));
      return true;
    });
    assert.equal((await load(context, identifier)).metadata.currentSnapshotId, headAfterDelete);
    assert.deepEqual(ids(await floeRows(context, identifier, 'id')), range(3, 10));

    // Unchecked, the rewrite lands, and shows what the check prevents: the deleted rows are back.
    const unchecked = rewriteFiles([file!], added, { startingSnapshotId: base.metadata.currentSnapshotId!, validateNoNewDeletes: false });
    await commitChange(context.catalog, identifier, unchecked, noSleep);
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(0, 10));
  });
});

for (const [label, open] of [
  ['SQL catalog', sqlContext],
  ['REST catalog', restContext],
] as const) {
  describe(`rewrite races on the ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('rewrite-race');
    });
    after(async () => {
      await context.close();
    });

    it('a rewrite racing an append: both commit, the rewrite replays onto the append, no row lost', async () => {
      const identifier: TableIdentifier = await createUniqueTable(context, 'race-append', { schema: SCHEMA });
      await appendValues(context, identifier, ['id', 'category'], rows('a', 0, 10));
      const base = await load(context, identifier);
      const [file] = await liveFiles(base);
      const added = await rewritten(context, base, eq('category', 'a'), 'compact');
      let appended: bigint | undefined;
      const catalog = racing(context.catalog, async () => {
        appended = (await appendValues(context, identifier, ['id', 'category'], rows('b', 10, 15))).snapshotId;
      });
      const result = await commitChange(
        catalog,
        identifier,
        rewriteFiles([file!], added, { startingSnapshotId: base.metadata.currentSnapshotId! }),
        noSleep,
      );
      assert.equal(result.attempts, 2, 'the first attempt lost to the append and was replayed');
      const table = await load(context, identifier);
      assert.equal(table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === result.snapshotId)?.parentSnapshotId, appended);
      assert.deepEqual(ids(await floeRows(context, identifier, 'id')), range(0, 15));
      assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(0, 15));
      const live = (await liveFiles(table)).map((entry) => entry.filePath);
      assert.ok(!live.includes(file!.filePath));
      assert.ok(live.includes(added[0]!.filePath));
    });

    it('a rewrite racing a rewrite of the same file: the second fails clearly, the table stays at the first', async () => {
      const identifier = await createUniqueTable(context, 'race-rewrite', { schema: SCHEMA });
      await appendValues(context, identifier, ['id', 'category'], rows('a', 0, 10));
      const base = await load(context, identifier);
      const [file] = await liveFiles(base);
      const first = await rewritten(context, base, eq('category', 'a'), 'first');
      const second = await rewritten(context, base, eq('category', 'a'), 'second');
      let firstSnapshot: bigint | undefined;
      const catalog = racing(context.catalog, async () => {
        firstSnapshot = (await commitChange(context.catalog, identifier, rewriteFiles([file!], first), noSleep)).snapshotId;
      });
      const change: TableChange = rewriteFiles([file!], second, { startingSnapshotId: base.metadata.currentSnapshotId! });
      await assert.rejects(commitChange(catalog, identifier, change, noSleep), (error: unknown) => {
        assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
        assert.equal(error.retryable, false);
        assert.ok(error.message.includes(`file ${file!.filePath} is no longer in the table`), error.message);
        return true;
      });
      assert.equal(catalog.calls, 1, 'not retried after the file was found gone');
      const table = await load(context, identifier);
      assert.equal(table.metadata.currentSnapshotId, firstSnapshot);
      assert.deepEqual(
        (await liveFiles(table)).map((entry) => entry.filePath),
        [first[0]!.filePath],
      );
      assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(0, 10));
    });
  });
}
