import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { FloeError } from '../../../core/errors.js';
import { scratchFolder } from '../../support/scratch-folder.js';

function invalid(input: unknown, field: RegExp, secret?: string): void {
  assert.throws(
    () => parseCatalogConfig(input),
    (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'), String(error));
      assert.match(error.message, field);
      if (secret !== undefined) assert.ok(!error.message.includes(secret), 'the secret is not echoed');
      return true;
    },
  );
}

describe('catalog config', () => {
  it('accepts a SQL and a REST catalog, defaulting the name', () => {
    assert.deepEqual(parseCatalogConfig({ type: 'sql', uri: 'sqlite:///tmp/c.db', warehouse: 'file:///tmp/wh' }), {
      type: 'sql',
      uri: 'sqlite:///tmp/c.db',
      warehouse: 'file:///tmp/wh',
      name: 'default',
      create: false,
    });
    const rest = parseCatalogConfig({
      type: 'rest',
      name: 'prod',
      uri: 'https://catalog.example.com/api',
      credential: 'id:secret',
      s3: { endpoint: 'https://acct.r2.cloudflarestorage.com', pathStyle: true },
    });
    assert.equal(rest.type, 'rest');
    assert.equal(rest.name, 'prod');
  });

  it('names the field that is wrong, never the value', () => {
    invalid({ type: 'hive', uri: 'thrift://x' }, /catalog.type/);
    invalid({ type: 'sql' }, /catalog.uri/);
    invalid({ type: 'rest', uri: 'not a url' }, /catalog.uri/);
    invalid({ type: 'sql', uri: 'x', s3: { endpoint: 'http://x', pathStyle: 'yes' } }, /catalog.s3.pathStyle/);
    invalid({ type: 'sql', uri: 'x', s3: { secretAccessKey: 'hunter2-secret', typo: 1 } }, /catalog.s3/, 'hunter2-secret');
    invalid(
      { type: 'rest', uri: 'http://x', token: 'tok-secret', credential: 'id:cred-secret' },
      /catalog.credential: give either token or credential/,
      'cred-secret',
    );
  });

  it('loadCatalog opens a working SQL catalog with its S3 settings as FileIO properties', async (t) => {
    const root = scratchFolder('load-catalog', t);
    const catalog = await loadCatalog({
      type: 'sql',
      name: 'features',
      uri: `sqlite:///${join(root, 'c.db')}`,
      create: true,
      warehouse: `file://${join(root, 'wh')}`,
      s3: { endpoint: 'http://127.0.0.1:9', pathStyle: true },
    });
    try {
      assert.ok(catalog instanceof SqlCatalog);
      assert.equal(catalog.name, 'features');
      await catalog.createNamespace(['db']);
      assert.deepEqual(await catalog.listNamespaces(), [['db']]);
    } finally {
      await catalog.close();
    }
  });

  it('refuses a SQLite catalog file that does not exist, naming catalog.uri, and creates one only when catalog.create is true', async (t) => {
    const root = scratchFolder('missing-catalog', t);
    const typo = join(root, 'catlog.db');
    for (const uri of [typo, `sqlite:///${typo}`, `jdbc:sqlite:${typo}`]) {
      await assert.rejects(loadCatalog({ type: 'sql', uri, warehouse: join(root, 'wh') }), (error: unknown) => {
        assert.ok(FloeError.is(error, 'not-found'), String(error));
        assert.match(
          error.message,
          /SQLite catalog database .*catlog\.db does not exist: check catalog\.uri in floe\.yaml, or set catalog\.create: true/,
        );
        return true;
      });
    }
    assert.ok(!existsSync(typo), 'a refused catalog leaves no file behind');
    assert.ok(!existsSync(join(root, 'nested')));
    await assert.rejects(loadCatalog({ type: 'sql', uri: join(root, 'nested', 'c.db') }), /does not exist/);
    assert.ok(!existsSync(join(root, 'nested')), 'nor a folder');

    const created = await loadCatalog({ type: 'sql', uri: typo, create: 'true' });
    await created.createNamespace(['db']);
    await created.close();
    const reopened = await loadCatalog({ type: 'sql', uri: typo });
    try {
      assert.deepEqual(await reopened.listNamespaces(), [['db']], 'an existing catalog opens without create');
    } finally {
      await reopened.close();
    }
  });
});
