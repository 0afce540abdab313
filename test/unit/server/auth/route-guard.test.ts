// The route guard on a Fastify app of its own: routes declared with the write and materialize
// permissions (Feast's /write-to-online-store and /materialize bodies) answer 403 naming the view a
// token may not write or materialize, and pass a token that may.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import Fastify from 'fastify';
import { serverAuthConfigSchema } from '../../../../features/config.js';
import { createAuthenticator } from '../../../../server/auth/authenticator.js';
import { guardRoutes, ROUTE_PERMISSIONS } from '../../../../server/auth/route-guard.js';
import { serverError } from '../../../support/server-error.js';

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

async function app() {
  const server = Fastify();
  const auth = serverAuthConfigSchema.parse({
    tokens: [
      { name: 'writer', sha256: digest('writer-token'), write: ['driver_live'], materialize: ['driver_live'] },
      { name: 'scheduler', sha256: digest('scheduler-token'), materialize: true },
      { name: 'reader', sha256: digest('reader-token'), read: true },
    ],
  });
  guardRoutes(server, { authenticator: createAuthenticator(auth) });
  server.post('/write-to-online-store', { config: { permission: ROUTE_PERMISSIONS.feastWrite } }, async () => ({ ok: true }));
  server.post('/materialize', { config: { permission: ROUTE_PERMISSIONS.feastMaterialize } }, async () => ({ ok: true }));
  await server.ready();
  return server;
}

async function post(route: string, token: string, payload: unknown): Promise<{ status: number; message: string }> {
  const server = await app();
  try {
    const response = await server.inject({
      method: 'POST',
      url: route,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as object,
    });
    return { status: response.statusCode, message: response.statusCode === 200 ? '' : serverError(response.json()).message };
  } finally {
    await server.close();
  }
}

test('write: the named feature view only', async () => {
  assert.equal((await post('/write-to-online-store', 'writer-token', { feature_view_name: 'driver_live', df: {} })).status, 200);
  const refused = await post('/write-to-online-store', 'writer-token', { feature_view_name: 'driver_stats', df: {} });
  assert.equal(refused.status, 403);
  assert.equal(refused.message, 'writer may not write to the online store of feature view driver_stats');
  const reader = await post('/write-to-online-store', 'reader-token', { feature_view_name: 'driver_live', df: {} });
  assert.equal(reader.message, 'reader may not write to the online store of feature view driver_live');
});

test('materialize: named views, or every view only with materialize: true', async () => {
  assert.equal((await post('/materialize', 'writer-token', { feature_views: ['driver_live'] })).status, 200);
  const other = await post('/materialize', 'writer-token', { feature_views: ['driver_live', 'driver_stats'] });
  assert.equal(other.message, 'writer may not materialize feature view driver_stats');
  const every = await post('/materialize', 'writer-token', { start_ts: '2024-05-01T00:00:00Z' });
  assert.equal(every.message, 'writer may not materialize every feature view');
  assert.equal((await post('/materialize', 'scheduler-token', {})).status, 200);
  assert.equal((await post('/materialize', 'reader-token', { feature_views: ['driver_live'] })).status, 403);
});
