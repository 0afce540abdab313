// createTableEnsuringNamespace against a real SQL catalog (SQLite): the namespace is created when
// missing, an existing one (or one another writer creates meanwhile) is fine, an existing table is not.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../../iceberg/catalog/create-table.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { FloeError } from '../../../core/errors.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const schema: Schema = { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', type: 'long', required: true }] };

async function withCatalog(fn: (catalog: Catalog) => Promise<void>): Promise<void> {
  const directory = scratchFolder('create-table');
  const catalog = await loadCatalog({
    type: 'sql',
    create: true,
    uri: path.join(directory, 'catalog.db'),
    warehouse: path.join(directory, 'warehouse'),
  });
  try {
    await fn(catalog);
  } finally {
    await catalog.close();
  }
}

test('creates the missing namespace, then the table; an existing namespace is reused', async () => {
  await withCatalog(async (catalog) => {
    assert.equal(await catalog.namespaceExists(['datasets']), false);
    const first = await createTableEnsuringNamespace(catalog, { namespace: ['datasets'], name: 'a' }, { schema });
    assert.deepEqual(first.identifier, { namespace: ['datasets'], name: 'a' });
    assert.equal(await catalog.namespaceExists(['datasets']), true);
    await createTableEnsuringNamespace(catalog, { namespace: ['datasets'], name: 'b' }, { schema, properties: { 'floe.test': 'yes' } });
    assert.deepEqual((await catalog.listTables(['datasets'])).map((id) => id.name).sort(), ['a', 'b']);
    assert.equal((await catalog.loadTable({ namespace: ['datasets'], name: 'b' })).metadata.properties['floe.test'], 'yes');
  });
});

test('a namespace another writer creates between the check and the create is fine', async () => {
  await withCatalog(async (catalog) => {
    // The other writer wins the race: the namespace appears just after this writer first saw it missing.
    let checks = 0;
    const racing: Catalog = Object.assign(Object.create(catalog) as Catalog, {
      namespaceExists: async (namespace: readonly string[]) => {
        checks += 1;
        if (checks > 1) return catalog.namespaceExists(namespace);
        await catalog.createNamespace(namespace);
        return false;
      },
    });
    const table = await createTableEnsuringNamespace(racing, { namespace: ['raced'], name: 't' }, { schema });
    assert.deepEqual(table.identifier, { namespace: ['raced'], name: 't' });
    assert.ok(checks >= 1);
  });
});

test('an existing table still fails with already-exists', async () => {
  await withCatalog(async (catalog) => {
    await createTableEnsuringNamespace(catalog, { namespace: ['datasets'], name: 't' }, { schema });
    await assert.rejects(createTableEnsuringNamespace(catalog, { namespace: ['datasets'], name: 't' }, { schema }), (error: unknown) =>
      FloeError.is(error, 'already-exists'),
    );
  });
});
