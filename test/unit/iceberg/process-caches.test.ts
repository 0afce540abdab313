/**
 * The process caches (iceberg/process-caches.ts): every local folder derives from one scratch root,
 * and what one catalog keeps is its own: two catalogs with their own caches share no parsed
 * metadata, even for the same file.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../../engine/duckdb.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { fileIOFor } from '../../../iceberg/io/file-io-for.js';
import type { LocalFileCache } from '../../../iceberg/io/local-cache.js';
import { ProcessCaches } from '../../../iceberg/process-caches.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const identifier = { namespace: ['db'], name: 'events' };
const schema = { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' as const }] };

describe('ProcessCaches', () => {
  it('puts every local folder under its one scratch root', () => {
    const root = join('/var', 'floe', 'work');
    const caches = new ProcessCaches(root);
    assert.equal(caches.scratchRoot, root);
    assert.deepEqual(
      [caches.spillDirectory, caches.fileCacheDirectory, caches.deletionVectorDirectory, caches.deletionVectors().directory],
      [join(root, 'duckdb-spill'), join(root, 'file-cache'), join(root, 'deletion-vectors'), join(root, 'deletion-vectors')],
    );
    const s3 = fileIOFor('s3://bucket/t/data/a.parquet', {}, caches) as unknown as { cache: LocalFileCache };
    assert.equal(s3.cache.directory, join(root, 'file-cache'));
    // floe.io.cache-dir still names another folder for the files of object storage.
    const told = fileIOFor('s3://bucket/t/data/a.parquet', { 'floe.io.cache-dir': '/elsewhere' }, caches) as unknown as {
      cache: LocalFileCache;
    };
    assert.equal(told.cache.directory, '/elsewhere');
  });

  it('without a root, lives in a floe folder of the OS temp folder, with a spill folder of its own process', () => {
    const caches = new ProcessCaches();
    assert.equal(caches.scratchRoot, join(tmpdir(), 'floe'));
    assert.equal(caches.spillDirectory, join(tmpdir(), 'floe', `duckdb-spill-${process.pid}`));
    assert.equal(caches.fileCacheDirectory, join(tmpdir(), 'floe', 'file-cache'));
    assert.equal(caches.deletionVectorDirectory, join(tmpdir(), 'floe', 'deletion-vectors'));
  });

  it("keeps one deletion-vector cache per folder, and another object's apart", () => {
    const caches = new ProcessCaches('/w');
    assert.equal(caches.deletionVectors(), caches.deletionVectors());
    assert.notEqual(caches.deletionVectors(), caches.deletionVectors('/other'));
    assert.notEqual(new ProcessCaches('/w').deletionVectors(), caches.deletionVectors());
  });

  it('spills an engine built without a folder in a fresh temporary scratch root', async () => {
    const engine = await Engine.create({ threads: 1 });
    try {
      assert.equal(await engine.setting('temp_directory'), new ProcessCaches().spillDirectory);
    } finally {
      engine.close();
    }
  });

  it('two catalogs do not share parsed metadata, even of one file', async (t) => {
    const root = scratchFolder('process-caches', t);
    const config = { type: 'sql', uri: join(root, 'catalog.db'), create: true, warehouse: pathToFileURL(join(root, 'warehouse')).href };
    const first = await loadCatalog(config, { caches: new ProcessCaches(join(root, 'first')) });
    const second = await loadCatalog(config);
    try {
      assert.notEqual(first.caches, second.caches);
      await first.createNamespace(['db']);
      const created = await first.createTable(identifier, { schema });
      assert.equal(created.caches, first.caches);
      assert.equal(first.caches.tableMetadata.get(created.metadataLocation)?.metadata, created.metadata);
      assert.equal(second.caches.tableMetadata.has(created.metadataLocation), false);

      const loaded = await second.loadTable(identifier);
      assert.equal(loaded.caches, second.caches);
      assert.deepEqual(loaded.metadata, created.metadata);
      // Parsed by the second catalog from the file, not handed over from the first's cache.
      assert.notEqual(loaded.metadata, created.metadata);
      assert.equal(second.caches.tableMetadata.get(created.metadataLocation)?.metadata, loaded.metadata);
      assert.equal((await first.loadTable(identifier)).metadata, created.metadata);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
