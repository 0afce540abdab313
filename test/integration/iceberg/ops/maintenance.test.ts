// services: rest-catalog, python
/**
 * Expire snapshots and remove orphan files, on a local warehouse (SQL catalog) and on MinIO (REST
 * catalog): files only expired snapshots reached are gone from storage, every file a live snapshot
 * reads remains (pyiceberg reads each live snapshot), and orphan removal deletes neither a referenced
 * file nor one younger than its threshold.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { writeTableFiles } from '../../../../engine/write/table-writer.js';
import type { LoadedTable, TableIdentifier } from '../../../../iceberg/catalog/catalog.js';
import { lt } from '../../../../iceberg/expressions/expression.js';
import { expireSnapshots } from '../../../../iceberg/maintenance/expire-snapshots.js';
import { reachableFrom } from '../../../../iceberg/maintenance/reachable-files.js';
import { normalizeLocation, referencedFiles, removeOrphanFiles } from '../../../../iceberg/maintenance/remove-orphan-files.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { rewriteFiles } from '../../../../iceberg/write/rewrite-files.js';
import { snapshotManifests } from '../../../../iceberg/scan/manifest-cache.js';
import { readAllManifestEntries } from '../../../../iceberg/write/table-manifests.js';
import { dataDirectory } from '../../../../iceberg/write/table-locations.js';
import type { OpsContext } from '../../../support/iceberg/ops-context.js';
import {
  appendValues,
  commit,
  createUniqueTable,
  ids,
  load,
  pyInspect,
  pyRows,
  restContext,
  sqlContext,
} from '../../../support/iceberg/ops-context.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
  ],
};
const tuples = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `(${from + i}, 'n${from + i}')`);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function liveDataFiles(table: LoadedTable) {
  const snapshot = table.metadata.snapshots.find((candidate) => candidate.snapshotId === table.metadata.currentSnapshotId)!;
  const contents = await readAllManifestEntries(table, await snapshotManifests(table, snapshot));
  return contents
    .filter(({ manifest }) => manifest.content === 'data')
    .flatMap(({ entries }) => entries.filter((entry) => entry.status !== 'deleted').map((entry) => entry.dataFile));
}

/** What the table's snapshots read (live entries only) and its metadata files: what must never be deleted. */
async function needed(table: LoadedTable): Promise<Set<string>> {
  const live = await reachableFrom(table, table.metadata.snapshots, { liveOnly: true });
  const files = [
    table.metadataLocation,
    ...table.metadata.metadataLog.map((entry) => entry.metadataFile),
    ...live.manifestLists,
    ...live.manifests,
    ...live.dataFiles,
    ...live.deleteFiles,
  ];
  return new Set(files.map(normalizeLocation));
}

async function listAll(table: LoadedTable): Promise<Set<string>> {
  const files = new Set<string>();
  for await (const file of table.io.list(`${table.metadata.location}/`)) files.add(normalizeLocation(file.location));
  return files;
}

for (const [label, open] of [
  ['SQL catalog, local warehouse', sqlContext],
  ['REST catalog, MinIO', restContext],
] as const) {
  describe(`maintenance on ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('maintenance');
    });
    after(async () => {
      await context.close();
    });

    it('expire removes only what expired snapshots reached; orphans go only when unreferenced and old enough', async () => {
      const identifier: TableIdentifier = await createUniqueTable(context, 'expiring', { schema: SCHEMA });
      // S1, S2: two appends; S3: compaction of both files into one; S4: a row-level delete.
      const s1 = await appendValues(context, identifier, ['id', 'name'], tuples(0, 10));
      const s2 = await appendValues(context, identifier, ['id', 'name'], tuples(10, 20));
      const beforeRewrite = await load(context, identifier);
      const [fileA, fileB] = await liveDataFiles(beforeRewrite);
      const compacted = await appendQueryFiles(context, beforeRewrite);
      const s3 = await commit(
        context,
        identifier,
        rewriteFiles([fileA!, fileB!], compacted, { startingSnapshotId: beforeRewrite.metadata.currentSnapshotId! }),
      );
      const deletes = await deleteRows(await load(context, identifier), {
        engine: context.engine,
        filter: lt('id', 5),
        workDirectory: join(context.dir, 'work'),
      });
      const s4 = await commit(context, identifier, deletes.change!);
      const [s1List, s2List] = [s1, s2].map(
        (result) => result.table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === result.snapshotId)!.manifestList!,
      );
      const s1Manifests = (await snapshotManifests(s1.table, s1.table.metadata.snapshots[0]!)).map((manifest) => manifest.manifestPath);
      const table = await load(context, identifier);
      const io = table.io;
      for (const file of [fileA!.filePath, fileB!.filePath, s1List!, s2List!, ...s1Manifests])
        assert.ok(await io.exists(file), `before expiry ${file} exists`);

      const expired = await expireSnapshots(context.catalog, identifier, { olderThanMs: Date.now() + 1000, retainLast: 2 });
      assert.deepEqual([...expired.expiredSnapshotIds].sort(), [s1.snapshotId!, s2.snapshotId!].sort());
      assert.deepEqual(expired.deleted, { manifestLists: 2, manifests: 2, dataFiles: 2, deleteFiles: 0, statisticsFiles: 0 });
      for (const file of [fileA!.filePath, fileB!.filePath, s1List!, s2List!, ...s1Manifests])
        assert.equal(await io.exists(file), false, `after expiry ${file} is gone`);

      // Everything the live snapshots reach is still there, and pyiceberg reads both.
      const after = await load(context, identifier);
      assert.deepEqual(
        after.metadata.snapshots.map((snapshot) => snapshot.snapshotId),
        [s3.snapshotId, s4.snapshotId],
      );
      const listed = await listAll(after);
      for (const file of await needed(after)) assert.ok(listed.has(file), `needed file ${file} remains`);
      assert.deepEqual(ids(await pyRows(context, identifier, 'id', { snapshotId: s3.snapshotId! })), range(0, 20));
      assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(5, 20));
      assert.equal((await pyInspect(context, identifier, 'snapshots')).length, 2);

      // Again: nothing left to expire, nothing deleted.
      const again = await expireSnapshots(context.catalog, identifier, { olderThanMs: Date.now() + 1000, retainLast: 2 });
      assert.deepEqual(again.expiredSnapshotIds, []);
      assert.deepEqual(again.deleted, { manifestLists: 0, manifests: 0, dataFiles: 0, deleteFiles: 0, statisticsFiles: 0 });

      // Orphans: a stray file in data/; young files stay, old unreferenced ones go, referenced ones never.
      const orphan = `${dataDirectory(after)}/stray-${Date.now()}.parquet`;
      await io.write(orphan, new TextEncoder().encode('not a table file'));
      const young = await removeOrphanFiles(after, { olderThanMs: Date.now() - 60_000 });
      assert.equal(young.orphans.length, 0);
      assert.ok(young.tooYoung >= 1);
      assert.ok(await io.exists(orphan));
      const dry = await removeOrphanFiles(after, { olderThanMs: Date.now() + 60_000, dryRun: true });
      assert.ok(dry.orphans.some((file) => normalizeLocation(file.location) === normalizeLocation(orphan)));
      assert.ok(await io.exists(orphan), 'a dry run deletes nothing');
      const removed = await removeOrphanFiles(after, { olderThanMs: Date.now() + 60_000 });
      assert.deepEqual(
        removed.orphans.map((file) => file.location),
        dry.orphans.map((file) => file.location),
      );
      assert.equal(await io.exists(orphan), false);
      const referenced = await referencedFiles(await load(context, identifier));
      for (const file of removed.orphans)
        assert.ok(!referenced.has(normalizeLocation(file.location)), `${file.location} was not referenced`);
      const remaining = await listAll(after);
      for (const file of await needed(after)) assert.ok(remaining.has(file), `needed file ${file} survived orphan removal`);
      assert.deepEqual(ids(await pyRows(context, identifier, 'id', { snapshotId: s3.snapshotId! })), range(0, 20));
      assert.deepEqual(ids(await pyRows(context, identifier, 'id')), range(5, 20));
    });
  });
}

/** The table's live rows written again as new data files (what a compaction would write). */
async function appendQueryFiles(context: OpsContext, table: LoadedTable) {
  const scan = await scanTable(table);
  return context.engine.withConnection((connection) =>
    writeTableFiles(connection, table, {
      query: scan.sql,
      fileNamePrefix: `compact-${Date.now()}`,
      localDirectory: join(context.dir, 'work', 'compact'),
    }),
  );
}
