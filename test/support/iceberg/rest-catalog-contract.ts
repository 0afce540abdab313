/**
 * What every Iceberg REST catalog Floe talks to must do with Floe's client, run against each server
 * in the test stack (Iceberg's Java fixture, Nessie): the catalog contract, pyiceberg reading what
 * Floe committed and Floe reading what pyiceberg committed, and a commit whose reply is lost (a 502
 * from a proxy in front of the server) found again by its idempotency key, never applied twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RestCatalog } from '../../../iceberg/catalog/rest-catalog.js';
import type { RestCatalogOptions } from '../../../iceberg/catalog/rest-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { parseTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import { runPyiceberg } from '../pyiceberg.js';
import type { MetadataReply, TableStateReply } from '../pyiceberg.js';
import { oracleCatalogFor } from '../rest-catalog.js';
import type { RestCatalogService } from '../services.js';
import { addColumnChange, emptySnapshotChange } from './changes.js';
import { catalogContract, EVENTS_SCHEMA } from './catalog-contract.js';
import type { ContractOptions } from './catalog-contract.js';
import { startRestProxy } from './rest-proxy.js';
import type { RestProxy } from './rest-proxy.js';
import { defined } from '../../../contracts/defined.js';

export interface RestServer {
  /** Read when a test runs, so a file whose service is absent fails in its tests, naming the service. */
  readonly service: () => RestCatalogService;
  /** Where the server puts a table's metadata (the warehouse's location). */
  readonly location: () => string;
  readonly metadataFiles?: ContractOptions['metadataFiles'];
}

/** The S3 settings a client of `service` passes itself (the server's config adds or overrides its own). */
export function s3Properties(service: RestCatalogService): Record<string, string> {
  return {
    's3.endpoint': service.s3.endpoint,
    's3.region': service.s3.region,
    's3.access-key-id': service.s3.accessKeyId,
    's3.secret-access-key': service.s3.secretAccessKey,
    's3.path-style-access': 'true',
  };
}

export function openRestCatalog(service: RestCatalogService, overrides: Partial<RestCatalogOptions> = {}): Promise<RestCatalog> {
  return RestCatalog.open({
    name: 'rest',
    uri: service.uri,
    warehouse: service.warehouse,
    properties: s3Properties(service),
    ...overrides,
  });
}

const freshNamespace = (): string[] => [`floe_${randomUUID().replaceAll('-', '').slice(0, 12)}`];

export function restCatalogContract(label: string, server: RestServer): void {
  catalogContract(label, {
    open: () => openRestCatalog(server.service()),
    get expectedLocationPrefix() {
      return server.location();
    },
    retry: { minWaitMs: 1, maxWaitMs: 20, numRetries: 30 },
    ...defined({ metadataFiles: server.metadataFiles }),
  });

  describe(`${label} ↔ pyiceberg`, () => {
    it('pyiceberg appends through the server; Floe sees the snapshot; Floe’s change is what pyiceberg then loads', async () => {
      const service = server.service();
      const oracle = oracleCatalogFor(service);
      const namespace = freshNamespace();
      const name = `${namespace[0]}.orders`;
      await runPyiceberg<TableStateReply>('create_table', {
        catalog: oracle,
        identifier: name,
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'amount', type: 'double', required: false },
          ],
        },
      });
      const catalog = await openRestCatalog(service);
      try {
        const identifier = { namespace, name: 'orders' };
        // A load whose response is unchanged returns the table parsed before; another client's change is seen at once.
        const created = await catalog.loadTable(identifier);
        assert.equal(await catalog.loadTable(identifier), created);
        const appended = await runPyiceberg<TableStateReply>('append', {
          catalog: oracle,
          identifier: name,
          columns: { id: 'long', amount: 'double' },
          rows: [{ id: '1', amount: 1.5 }],
        });
        const table = await catalog.loadTable(identifier);
        assert.notEqual(table, created);
        assert.equal(table.metadata.currentSnapshotId?.toString(), appended.snapshot_id);
        // Nessie answers a commit with a URL of its own for the new state; a load names its file.
        if (server.metadataFiles !== 'nessie') assert.equal(table.metadataLocation, appended.metadata_location);
        await commitChange(catalog, identifier, addColumnChange('note'));
        const seen = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle, identifier: name });
        const floeSees = (await catalog.loadTable(identifier)).metadata;
        const nessie = server.metadataFiles === 'nessie';
        // Against Nessie, Floe rebuilds the snapshots' ancestry from Nessie's commit log, while the
        // file pyiceberg reads holds one snapshot; Nessie adds its nessie.* properties only to its answers.
        assert.deepEqual(parseTableMetadata(seen.metadata_json, seen.metadata_location), {
          ...floeSees,
          snapshots: floeSees.snapshots.filter((snapshot) => !nessie || snapshot.snapshotId === floeSees.currentSnapshotId),
          properties: Object.fromEntries(Object.entries(floeSees.properties).filter(([key]) => !nessie || !key.startsWith('nessie.'))),
        });
        const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: oracle, identifier: name });
        assert.deepEqual(read.rows, [{ id: '1', amount: 1.5, note: null }], 'the row pyiceberg wrote, read back under Floe’s schema');
      } finally {
        await catalog.close();
      }
    });
  });

  describe(`${label}: a lost commit reply (through a proxy)`, () => {
    let proxy: RestProxy;
    before(async () => {
      proxy = await startRestProxy(server.service().uri);
    });
    after(async () => {
      await proxy.close();
    });

    it('a commit whose reply is lost (502: state unknown) is found by its idempotency key and not applied twice', async () => {
      const catalog = await openRestCatalog(server.service(), {
        uri: proxy.uri,
        credential: `${proxy.clientId}:${proxy.clientSecret}`,
      });
      try {
        const namespace = freshNamespace();
        await catalog.createNamespace(namespace);
        const identifier = { namespace, name: 'lossy' };
        await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
        proxy.loseCommitReplies(1);
        const result = await commitChange(catalog, identifier, emptySnapshotChange('exactly-once'), { sleep: async () => undefined });
        assert.equal(proxy.lostCommitReplies, 1, 'the commit went through the proxy and its reply was lost');
        assert.equal(result.alreadyCommitted, true);
        assert.equal(result.attempts, 1);
        const table = await catalog.loadTable(identifier);
        assert.equal(table.metadata.snapshots.length, 1);
        assert.equal(table.metadata.currentSnapshotId, result.snapshotId);
      } finally {
        await catalog.close();
      }
    });
  });
}
