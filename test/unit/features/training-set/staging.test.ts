// What a training set's staging removal deletes, in a real table's storage (SQL catalog, local
// files): a chunk's retry removes that chunk's data files and manifests only; a run's cleanup
// removes all of its own and counts them; another run's staged files and the table's own stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadedTable } from '../../../../iceberg/catalog/catalog.js';
import { metadataDirectory } from '../../../../iceberg/write/table-locations.js';
import {
  chunkFolder,
  chunkManifestName,
  removeStagedChunk,
  removeStagedRun,
  stagingRoot,
} from '../../../../features/training-set/staging.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

async function stage(table: LoadedTable, files: readonly string[]): Promise<void> {
  for (const file of files) await table.io.write(file, new TextEncoder().encode(file));
}

async function filesOf(table: LoadedTable): Promise<string[]> {
  const found: string[] = [];
  for await (const file of table.io.list(`${table.metadata.location.replace(/\/+$/, '')}/`)) found.push(file.location);
  return found.sort();
}

test('a chunk retry removes only that chunk; a run cleanup removes only that run', async () => {
  await withWorkspace(async (workspace) => {
    await createTableWithRows(workspace, 'datasets.out', [{ name: 'id', type: 'long' }], []);
    const table = await workspace.catalog.loadTable({ namespace: ['datasets'], name: 'out' });
    const key = 'training-set-datasets.out/1';
    const other = 'training-set-other';
    const metadata = metadataDirectory(table);
    const chunk0 = [
      `${chunkFolder(table, key, 0)}/a1-0.parquet`,
      `${chunkFolder(table, key, 0)}/a2-0.parquet`,
      `${metadata}/${chunkManifestName(key, 0)}-a1-m0.avro`,
    ];
    const chunk1 = [`${chunkFolder(table, key, 1)}/a1-0.parquet`, `${metadata}/${chunkManifestName(key, 1)}-a1-m0.avro`];
    const otherRun = [`${chunkFolder(table, other, 0)}/a1-0.parquet`, `${metadata}/${chunkManifestName(other, 0)}-a1-m0.avro`];
    const before = await filesOf(table);
    await stage(table, [...chunk0, ...chunk1, ...otherRun]);
    assert.ok(stagingRoot(table, key).endsWith('/data/training-set/training-set-datasets.out_1'), 'the key is made path-safe');

    await removeStagedChunk(table, key, 0);
    assert.deepEqual(await filesOf(table), [...before, ...chunk1, ...otherRun].sort());

    await stage(table, chunk0);
    assert.equal(await removeStagedRun(table, key), chunk0.length + chunk1.length);
    assert.deepEqual(await filesOf(table), [...before, ...otherRun].sort());
    assert.equal(await removeStagedRun(table, key), 0, 'nothing is left to remove');
  });
});
