// services: rest-catalog, python
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { RestCatalog } from '../../../iceberg/catalog/rest-catalog.js';
import type { RestCatalogOptions } from '../../../iceberg/catalog/rest-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { Redactor } from '../../../core/redaction.js';
import { fileIOFor } from '../../../iceberg/io/file-io-for.js';
import { parseTableMetadata, serializeTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import { restCatalogService } from '../../support/services.js';
import { emptySnapshotChange } from '../../support/iceberg/changes.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { openRestCatalog, restCatalogContract, s3Properties } from '../../support/iceberg/rest-catalog-contract.js';
import { startRestProxy } from '../../support/iceberg/rest-proxy.js';
import type { RestProxy } from '../../support/iceberg/rest-proxy.js';

function open(overrides: Partial<RestCatalogOptions> = {}): Promise<RestCatalog> {
  return openRestCatalog(restCatalogService(), overrides);
}

const freshNamespace = (): string[] => [`floe_${randomUUID().replaceAll('-', '').slice(0, 12)}`];

// The same contract runs against Nessie in nessie-catalog.test.ts.
restCatalogContract('REST catalog (Iceberg Java fixture)', {
  service: restCatalogService,
  location: () => restCatalogService().warehouse,
});

describe('REST catalog specifics', () => {
  it('loadCatalog opens it from plain config; client properties sit between the server’s defaults and overrides', async () => {
    const service = restCatalogService();
    const catalog = await loadCatalog({
      type: 'rest',
      name: 'from-config',
      uri: service.uri,
      warehouse: service.warehouse,
      s3: {
        endpoint: service.s3.endpoint,
        region: service.s3.region,
        pathStyle: true,
        accessKeyId: service.s3.accessKeyId,
        secretAccessKey: service.s3.secretAccessKey,
      },
    });
    try {
      assert.ok(catalog instanceof RestCatalog);
      assert.equal(catalog.properties['s3.endpoint'], service.s3.endpoint);
      assert.equal(catalog.properties['s3.path-style-access'], 'true');
      assert.equal(catalog.properties['warehouse'], service.warehouse);
      const namespace = freshNamespace();
      await catalog.createNamespace(namespace);
      const table = await catalog.createTable({ namespace, name: 't' }, { schema: EVENTS_SCHEMA });
      assert.ok(await table.io.exists(table.metadataLocation), 'the table FileIO reaches MinIO with the configured settings');
    } finally {
      await catalog.close();
    }
  });

  it('a table created through Floe lands its metadata in MinIO, byte-for-byte what the server returned', async () => {
    const catalog = await open();
    try {
      const namespace = freshNamespace();
      await catalog.createNamespace(namespace);
      const table = await catalog.createTable(
        { namespace, name: 'landing' },
        {
          schema: EVENTS_SCHEMA,
          partitionSpec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'user_id_bucket', transform: 'bucket[16]' }] },
        },
      );
      assert.ok(table.metadataLocation.startsWith(`${restCatalogService().warehouse}/`));
      const text = new TextDecoder().decode(
        await fileIOFor(table.metadataLocation, s3Properties(restCatalogService()), table.caches).read(table.metadataLocation),
      );
      const fromStorage = parseTableMetadata(text, table.metadataLocation);
      assert.deepEqual(fromStorage, table.metadata);
      // Java wrote it; Floe writes it back and reads the same thing.
      assert.deepEqual(parseTableMetadata(serializeTableMetadata(fromStorage), 'rewritten'), fromStorage);
      assert.deepEqual(fromStorage.partitionSpecs[0]?.fields, [
        { sourceId: 1, fieldId: 1000, name: 'user_id_bucket', transform: 'bucket[16]' },
      ]);
    } finally {
      await catalog.close();
    }
  });

  it('creates a v3 table that Java writes with row lineage fields Floe reads', async () => {
    const catalog = await open();
    try {
      const namespace = freshNamespace();
      await catalog.createNamespace(namespace);
      const identifier = { namespace, name: 'v3' };
      const created = await catalog.createTable(identifier, { schema: EVENTS_SCHEMA, formatVersion: 3 });
      assert.equal(created.metadata.formatVersion, 3);
      assert.equal(created.metadata.nextRowId, 0n);
      const change = emptySnapshotChange('v3-first');
      const v3Change = {
        ...change,
        async prepare(base: typeof created) {
          const prepared = await change.prepare(base);
          return {
            ...prepared,
            updates: prepared.updates.map((update) =>
              update.action === 'add-snapshot'
                ? { ...update, snapshot: { ...update.snapshot, firstRowId: base.metadata.nextRowId ?? 0n, addedRows: 5n } }
                : update,
            ),
          };
        },
      };
      const result = await commitChange(catalog, identifier, v3Change);
      assert.equal(result.table.metadata.nextRowId, 5n);
      assert.equal(result.table.metadata.snapshots[0]?.firstRowId, 0n);
    } finally {
      await catalog.close();
    }
  });

  it('maps the spec’s errors: a missing table is not-found, a duplicate namespace already-exists', async () => {
    const catalog = await open();
    try {
      const namespace = freshNamespace();
      await assert.rejects(
        catalog.loadTable({ namespace, name: 'nope' }),
        (error: unknown) => FloeError.is(error, 'not-found') && /HTTP 404/.test(error.message),
      );
      // (Creating a table in a missing namespace is not checked here: the fixture's JdbcCatalog allows it.)
      await catalog.createNamespace(namespace);
      await assert.rejects(catalog.createNamespace(namespace), (error: unknown) => FloeError.is(error, 'already-exists'));
      assert.equal(await catalog.tableExists({ namespace, name: 'nope' }), false);
      assert.deepEqual(await catalog.listTables(namespace), []);
    } finally {
      await catalog.close();
    }
  });
});

describe('REST catalog auth (through a proxy)', () => {
  let proxy: RestProxy;
  before(async () => {
    proxy = await startRestProxy(restCatalogService().uri);
  });
  after(async () => {
    await proxy.close();
  });

  it('OAuth2 client credentials: a token is fetched once, used, and refreshed after a 401', async () => {
    const redactor = new Redactor();
    const catalog = await open({ uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}`, redactor });
    try {
      const namespace = freshNamespace();
      await catalog.createNamespace(namespace);
      assert.equal(await catalog.namespaceExists(namespace), true);
      assert.equal(proxy.issued.length, 1);
      proxy.revokeAll();
      assert.equal(await catalog.namespaceExists(namespace), true, 'the request succeeds with a new token');
      assert.equal(proxy.issued.length, 2);
      for (const token of proxy.issued)
        assert.equal(redactor.redact(`echoed: ${token}`), 'echoed: [redacted]', 'each issued token is a secret');
    } finally {
      await catalog.close();
    }
  });

  it('a fixed bearer token is sent as is; without valid auth the error names the problem but not the secret', async () => {
    await assert.rejects(
      open({ uri: proxy.uri, token: 'not-a-valid-token' }),
      (error: unknown) => FloeError.is(error, 'catalog') && /HTTP 401/.test(error.message) && !error.message.includes('not-a-valid-token'),
    );
    const wrongSecret = `wrong-${randomUUID()}`;
    await assert.rejects(open({ uri: proxy.uri, credential: `${proxy.clientId}:${wrongSecret}` }), (error: unknown) => {
      assert.ok(FloeError.is(error, 'catalog'), String(error));
      assert.match(error.message, /invalid_client/);
      assert.ok(!error.message.includes(wrongSecret));
      return true;
    });
    const token = proxy.issued.at(-1) as string;
    const catalog = await open({ uri: proxy.uri, token });
    try {
      assert.ok(Array.isArray(await catalog.listNamespaces()));
    } finally {
      await catalog.close();
    }
  });

  it('the fixture’s SQLITE_BUSY jam: retries stay bounded, and the error after the bound names the table and the catalog’s failure', async () => {
    // After a SIGKILL and restart, the fixture's JdbcCatalog on SQLite answers 500 SQLITE_BUSY to
    // commits that arrive together (issue #58): an outcome Floe cannot know, chased by reloading
    // for the idempotency key until the budget is spent, then a retryable error for the activity.
    const catalog = await open({ uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}` });
    try {
      const namespace = freshNamespace();
      await catalog.createNamespace(namespace);
      const identifier = { namespace, name: 'jammed' };
      await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
      proxy.jamCommits(true);
      const started = Date.now();
      await assert.rejects(
        commitChange(catalog, identifier, emptySnapshotChange('jammed-window'), { unknownOutcomeBudgetMs: 3_000 }),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'commit-state-unknown'), String(error));
          assert.equal(error.retryable, true, 'the activity retries it later');
          assert.match(error.message, new RegExp(`to ${namespace[0]}\\.jammed: outcome unknown after \\d+ attempts over 3 s`));
          assert.match(error.message, /HTTP 500 SQLiteException: \[SQLITE_BUSY\]/);
          assert.doesNotMatch(error.message, new RegExp(proxy.clientSecret));
          return true;
        },
      );
      assert.ok(Date.now() - started < 10_000, 'bounded by the budget, not by the jam');
      assert.ok(proxy.jammedCommits >= 2 && proxy.jammedCommits <= 12, `${proxy.jammedCommits} attempts in 3 s of 0.25–2 s waits`);
      assert.equal((await catalog.loadTable(identifier)).metadata.snapshots.length, 0, 'nothing landed');
    } finally {
      proxy.jamCommits(false);
      await catalog.close();
    }
  });

  it('existence checks fall back to GET on a server that refuses HEAD', async () => {
    const catalog = await open({ uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}` });
    proxy.refuseHead(true);
    try {
      const namespace = freshNamespace();
      assert.equal(await catalog.namespaceExists(namespace), false);
      await catalog.createNamespace(namespace);
      assert.equal(await catalog.namespaceExists(namespace), true);
      await catalog.createTable({ namespace, name: 't' }, { schema: EVENTS_SCHEMA });
      assert.equal(await catalog.tableExists({ namespace, name: 't' }), true);
      assert.equal(await catalog.tableExists({ namespace, name: 'missing' }), false);
      assert.ok(proxy.requests.includes(`GET /v1/namespaces/${namespace[0]}`), 'a GET replaced the refused HEAD');
    } finally {
      proxy.refuseHead(false);
      await catalog.close();
    }
  });
});
