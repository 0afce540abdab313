import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { Registry } from '../../../../features/registry.js';
import { createRegistryServer } from '../../../../server/registry/registry-server.js';
import type { RegistryServer } from '../../../../server/registry/registry-server.js';
import { registryService } from '../../../../server/registry/registry-protos.js';
import { Redactor } from '../../../../core/redaction.js';

const registry = new Registry([
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp' }),
  defineFeatureView({ name: 'stats', entities: ['driver'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }] }),
]);
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const auth = {
  tokens: [
    { name: 'notebook', sha256: sha256('reader-token'), read: true },
    { name: 'pusher', sha256: sha256('push-token'), push: ['anything'] },
  ],
};

type Answer = { error: grpc.ServiceError | null; reply: Record<string, unknown> | undefined };

describe("the registry endpoint's gRPC answers", () => {
  let server: RegistryServer;
  let client: grpc.Client & Record<string, (...args: unknown[]) => void>;

  before(async () => {
    server = createRegistryServer({
      registry,
      project: 'p',
      catalog: { type: 'sql', uri: '/tmp/catalog.db' },
      auth,
      logStream: process.stderr,
      redactor: new Redactor(),
    });
    const port = await server.listen({ host: '127.0.0.1', port: 0 });
    const Client = grpc.makeGenericClientConstructor(registryService(), 'RegistryServer');
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
  });
  after(async () => {
    client.close();
    await server.close();
  });

  const call = (method: string, request: Record<string, unknown>, token?: string): Promise<Answer> => {
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve) =>
      client[method]!(request, metadata, (error: grpc.ServiceError | null, reply?: Record<string, unknown>) => resolve({ error, reply })),
    );
  };

  test('without a token, or with a wrong one, every call is UNAUTHENTICATED before anything is answered', async () => {
    for (const token of [undefined, 'wrong']) {
      const { error, reply } = await call('ListEntities', { project: 'p' }, token);
      assert.equal(error?.code, grpc.status.UNAUTHENTICATED, `token ${token}`);
      assert.equal(reply, undefined);
      assert.equal(JSON.parse(error.details).class, 'FeastError');
      assert.match(JSON.parse(error.details).message, /^The registry endpoint needs credentials/);
    }
  });

  test("a token without read permission is PERMISSION_DENIED, as Feast's FeastPermissionError", async () => {
    const { error } = await call('ListFeatureViews', { project: 'p' }, 'push-token');
    assert.equal(error?.code, grpc.status.PERMISSION_DENIED);
    assert.deepEqual(JSON.parse(error.details), {
      module: 'feast.errors',
      class: 'FeastPermissionError',
      message: 'pusher may not read the registry (that needs read)',
    });
  });

  test("a reader gets Floe's definitions; an unknown name is NOT_FOUND as Feast's exception for its kind, another project too", async () => {
    const { error, reply } = await call('ListFeatureViews', { project: 'p' }, 'reader-token');
    assert.equal(error, null);
    assert.deepEqual(
      (reply!.featureViews as { spec: { name: string } }[]).map((view) => view.spec.name),
      ['stats'],
    );
    const missing = await call('GetFeatureView', { project: 'p', name: 'nope' }, 'reader-token');
    assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
    assert.equal(JSON.parse(missing.error.details).class, 'FeatureViewNotFoundException');
    const elsewhere = await call('ListEntities', { project: 'other' }, 'reader-token');
    assert.equal(elsewhere.error?.code, grpc.status.NOT_FOUND);
    assert.equal(JSON.parse(elsewhere.error.details).class, 'ProjectObjectNotFoundException');
  });

  test('applying a view Floe does not define is FAILED_PRECONDITION, naming it and what to do', async () => {
    const { error } = await call(
      'ApplyFeatureView',
      { project: 'p', featureView: { spec: { name: 'feast_only', entities: ['driver'], features: [] } }, commit: true },
      'reader-token',
    );
    assert.equal(error?.code, grpc.status.FAILED_PRECONDITION);
    assert.match(
      JSON.parse(error.details).message,
      /^feast apply would add feature view feast_only, which Floe's features.ts does not define\. .*floe import feast/,
    );
  });
});
