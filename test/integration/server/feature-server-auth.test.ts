// services: none
// Authentication and permissions on the feature server (issue #40 item 2): every route with no
// token, a wrong token, a token without the permission and a good one, over a real SQL catalog;
// OIDC tokens signed by the test and verified against a JWKS the test serves; a push refused by
// permission leaves both tables at the snapshot they had.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { ServerAuthInput } from '../../../features/config.js';
import { testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable, definitions, liveView, VIEW } from '../../support/online/online-view.js';
import { serverError } from '../../support/server-error.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');
const WINDOW = { start: START, end: START + 24 * HOUR };
const SOURCE_TABLE = 'rides.driver_stats';
const LIVE_VIEW = 'driver_live';
const ISSUER = 'https://issuer.floe.test';
const AUDIENCE = 'floe-feature-server';

const tokens = {
  admin: 'admin-token-0123456789',
  reader: 'reader-token-0123456789',
  liveReader: 'live-reader-token-0123456789',
  pusher: 'pusher-token-0123456789',
  nothing: 'nothing-token-0123456789',
};
const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

const scratch = scratchFolder('server-auth');
let runtime: Runtime;
let server: FastifyInstance;
let base: string;
let jwks: Server;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;

before(async () => {
  const catalog = {
    type: 'sql' as const,
    uri: `sqlite:///${path.join(scratch, 'catalog.db')}`,
    warehouse: `file://${path.join(scratch, 'warehouse')}`,
  };
  runtime = await testRuntime({
    directory: scratch,
    catalog,
    definitions: [
      ...definitions(SOURCE_TABLE, { buckets: 4 }),
      definePushSource({ name: 'driver_push', batchSource: 'driver_source' }),
      definePushSource({ name: 'other_push', batchSource: 'driver_source' }),
      liveView(LIVE_VIEW),
    ],
  });
  const context = {
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
  };
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await appendSource(context, SOURCE_TABLE, [{ driver_id: 1001, conv_rate: 0.5, trips: 7, event: START + HOUR, created: START + HOUR }]);
  await materializeWindow(context, VIEW, { start: new Date(WINDOW.start), end: new Date(WINDOW.end) }, 'auth-test');

  const keys = await generateKeyPair('RS256');
  signingKey = keys.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const publicJwk: JWK = { ...(await exportJWK(keys.publicKey)), kid: 'floe-test', alg: 'RS256', use: 'sig' };
  jwks = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksPort = (jwks.address() as { port: number }).port;

  const auth: ServerAuthInput = {
    tokens: [
      { name: 'admin', sha256: sha256(tokens.admin), read: true, push: ['driver_push', 'other_push'] },
      { name: 'reader', sha256: sha256(tokens.reader).toUpperCase(), read: { views: [VIEW], featureServices: ['driver_trips_model'] } },
      { name: 'live-reader', sha256: sha256(tokens.liveReader), read: { views: [LIVE_VIEW] } },
      { name: 'pusher', sha256: sha256(tokens.pusher), push: ['other_push'] },
      { name: 'nothing', sha256: sha256(tokens.nothing) },
    ],
    oidc: { issuer: ISSUER, audience: AUDIENCE, jwksUri: `http://127.0.0.1:${jwksPort}/jwks.json` },
  };
  server = createFeatureServer({
    auth,
    push: { config: { maxDelayMs: 0 }, workDirectory: runtime.project.config.workDirectory },
    store: new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      refreshIntervalMs: 0,
      clock: () => WINDOW.end,
    }),
  });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await new Promise((resolve) => jwks?.close(resolve));
  await runtime?.close();
});

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: { error?: string; message?: string } | undefined;
  readonly wwwAuthenticate: string | null;
}

async function call(method: 'GET' | 'POST', route: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let json: Answer['json'];
  try {
    json = serverError(JSON.parse(text));
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, wwwAuthenticate: response.headers.get('www-authenticate') };
}

const readBody = { features: [`${VIEW}:trips`], entities: { driver_id: [1001] } };
const serviceBody = { feature_service: 'driver_trips_model', entities: { driver_id: [1001] } };
let nextDriver = 5000;
function pushBody(source: string, to = 'online_and_offline'): Record<string, unknown> {
  const driver = nextDriver++;
  return {
    push_source_name: source,
    to,
    df: {
      driver_id: [driver],
      conv_rate: [0.25],
      trips: [3],
      event_timestamp: [new Date(START + 2 * HOUR).toISOString()],
      created: [new Date(START + 2 * HOUR).toISOString()],
    },
  };
}

function assertUnauthorized(answer: Answer, reason: RegExp): void {
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.json?.error, 'unauthorized');
  assert.match(answer.wwwAuthenticate ?? '', /^Bearer realm="floe"/);
  assert.match(answer.json?.message ?? '', reason);
  for (const token of Object.values(tokens)) assert.ok(!answer.text.includes(token), 'the answer repeats a token');
}

function assertForbidden(answer: Answer, missing: RegExp): void {
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.json?.error, 'forbidden');
  assert.match(answer.json?.message ?? '', missing);
}

const routes: {
  name: string;
  method: 'GET' | 'POST';
  route: string;
  body?: () => unknown;
  good: string;
  without: string;
  missing: RegExp;
  ok: number;
}[] = [
  {
    name: 'POST /get-online-features (features)',
    method: 'POST',
    route: '/get-online-features',
    body: () => readBody,
    good: tokens.reader,
    without: tokens.liveReader,
    missing: /live-reader may not read feature view driver_stats_view/,
    ok: 200,
  },
  {
    name: 'POST /get-online-features (feature service)',
    method: 'POST',
    route: '/get-online-features',
    body: () => serviceBody,
    good: tokens.reader,
    without: tokens.liveReader,
    missing: /live-reader may not read feature service driver_trips_model/,
    ok: 200,
  },
  {
    name: 'POST /push',
    method: 'POST',
    route: '/push',
    body: () => pushBody('driver_push', 'online'),
    good: tokens.admin,
    without: tokens.pusher,
    missing: /pusher may not push to push source driver_push/,
    ok: 200,
  },
  {
    name: 'GET /metrics',
    method: 'GET',
    route: '/metrics',
    good: tokens.liveReader,
    without: tokens.pusher,
    missing: /pusher may not read, which GET \/metrics needs/,
    ok: 200,
  },
  { name: 'an unknown route', method: 'GET', route: '/nope', good: tokens.nothing, without: tokens.nothing, missing: /./, ok: 404 },
];

describe('static tokens on every route', () => {
  for (const route of routes) {
    test(`${route.name}: no token 401, wrong token 401, without the permission 403, good token ${route.ok}`, async () => {
      assertUnauthorized(await call(route.method, route.route, undefined, route.body?.()), /send Authorization: Bearer <token>/);
      assertUnauthorized(await call(route.method, route.route, 'not-a-token-of-ours', route.body?.()), /the token is not valid/);
      if (route.ok !== 404) assertForbidden(await call(route.method, route.route, route.without, route.body?.()), route.missing);
      const good = await call(route.method, route.route, route.good, route.body?.());
      assert.equal(good.status, route.ok, good.text);
    });
  }

  test('GET /health stays open', async () => {
    const answer = await call('GET', '/health', undefined);
    assert.equal(answer.status, 200, answer.text);
  });

  test('a good read answers the features', async () => {
    const answer = await call('POST', '/get-online-features', tokens.reader, readBody);
    const results = (JSON.parse(answer.text) as { results: { values: unknown[] }[] }).results;
    assert.deepEqual(results[1]!.values, [7]);
  });

  test('a header that is not "Bearer <token>" is a 401', async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    assert.equal(response.status, 401);
    assert.match(serverError(await response.json()).message, /not "Bearer <token>"/);
  });

  test('on one keep-alive connection, each request is judged by its own token', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const read = (token: string | undefined): Promise<number> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(readBody);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        const sent = request(`${base}/get-online-features`, { method: 'POST', agent, headers }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode!));
        });
        sent.on('socket', (socket) => sockets.add(socket));
        sent.on('error', reject);
        sent.end(body);
      });
    try {
      const statuses = [];
      for (const token of [tokens.reader, tokens.reader, 'not-a-token-of-ours', tokens.nothing, undefined, tokens.reader, tokens.pusher])
        statuses.push(await read(token));
      assert.deepEqual(statuses, [200, 200, 401, 403, 401, 200, 403]);
      assert.equal(sockets.size, 1, 'every request went over one connection');
    } finally {
      agent.destroy();
    }
  });

  test('a push refused by permission leaves the source and online tables at their snapshots', async () => {
    const first = await call('POST', '/push', tokens.admin, pushBody('driver_push'));
    assert.equal(first.status, 200, first.text);
    const snapshots = async (): Promise<(bigint | number | null)[]> =>
      Promise.all(
        [SOURCE_TABLE, `floe_online.${LIVE_VIEW}`].map(
          async (table) => (await runtime.catalog.loadTable(parseTableIdentifier(table))).metadata.currentSnapshotId,
        ),
      );
    const before = await snapshots();
    assert.ok(before.every((id) => id !== null));
    const refused = await call('POST', '/push', tokens.pusher, pushBody('driver_push'));
    assertForbidden(refused, /pusher may not push to push source driver_push/);
    const readOnly = await call('POST', '/push', tokens.reader, pushBody('driver_push'));
    assertForbidden(readOnly, /reader may not push to push source driver_push/);
    assert.deepEqual(await snapshots(), before);
  });
});

describe('OIDC tokens', () => {
  const sign = (
    claims: Record<string, unknown>,
    options: { key?: CryptoKey; issuer?: string; audience?: string; expiresIn?: string | number } = {},
  ): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'floe-test' })
      .setSubject('svc-ranking')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key ?? signingKey);
  const readsView = { floe_permissions: { read: { views: [VIEW] } } };

  test('a good token reads; its claim grants no push', async () => {
    const token = await sign(readsView);
    const read = await call('POST', '/get-online-features', token, readBody);
    assert.equal(read.status, 200, read.text);
    assertForbidden(await call('POST', '/push', token, pushBody('other_push')), /svc-ranking may not push to push source other_push/);
    assertForbidden(
      await call('POST', '/get-online-features', token, serviceBody),
      /svc-ranking may not read feature service driver_trips_model/,
    );
  });

  test('a claim given as JSON text grants the same', async () => {
    const token = await sign({ floe_permissions: JSON.stringify({ read: true }) });
    assert.equal((await call('GET', '/metrics', token)).status, 200);
  });

  test("a validly signed token's sub is shown stripped of control characters and cut to 128 characters", async () => {
    const sub = `svc-\u001b[31mred\r\nX-Injected: yes\u202e${'a'.repeat(6_000)}`;
    const token = await new SignJWT(readsView)
      .setProtectedHeader({ alg: 'RS256', kid: 'floe-test' })
      .setSubject(sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signingKey);
    const refused = await call('POST', '/push', token, pushBody('driver_push'));
    assertForbidden(refused, / may not push to push source driver_push$/);
    const shown = (refused.json?.message ?? '').replace(/ may not push to push source driver_push$/, '');
    const kept = 'svc-[31mredX-Injected: yes';
    assert.equal(shown, `${kept}${'a'.repeat(127 - kept.length)}…`);
    assert.equal([...shown].length, 128);
    assert.doesNotMatch(refused.text, /\\u001b|\\r|\\n|\\u202e|a{200}/);
  });

  test('a token without the claim is valid but may do nothing', async () => {
    assertForbidden(await call('POST', '/get-online-features', await sign({}), readBody), /svc-ranking may not read/);
  });

  test('an expired token is a 401', async () => {
    const token = await sign(readsView, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    assertUnauthorized(await call('POST', '/get-online-features', token, readBody), /the token has expired/);
  });

  test('a token for another audience is a 401', async () => {
    const token = await sign(readsView, { audience: 'someone-else' });
    assertUnauthorized(await call('POST', '/get-online-features', token, readBody), /the token's aud claim is not accepted/);
  });

  test('a token from another issuer is a 401', async () => {
    const token = await sign(readsView, { issuer: 'https://elsewhere.test' });
    assertUnauthorized(await call('POST', '/get-online-features', token, readBody), /the token's iss claim is not accepted/);
  });

  test('a token signed by another key is a 401', async () => {
    const token = await sign(readsView, { key: strangerKey });
    assertUnauthorized(await call('POST', '/get-online-features', token, readBody), /the token's signature does not verify/);
  });

  test('a good token with its signature altered is a 401', async () => {
    const token = await sign(readsView);
    const [header, payload] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), floe_permissions: { read: true, push: ['driver_push'] } })).toString('base64url')}.${token.split('.')[2]}`;
    assertUnauthorized(await call('POST', '/push', forged, pushBody('driver_push')), /the token's signature does not verify/);
  });
});

describe('route declarations', () => {
  test('a route added without a declared permission is refused when it is added', async () => {
    const bare = createFeatureServer({
      store: new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine }),
    });
    try {
      assert.throws(() => bare.get('/debug', async () => ({})), /route GET \/debug declares no permission \(config\.permission\)/);
    } finally {
      await bare.close();
    }
  });

  test('server.auth.metricsOpen opens GET /metrics alone', async () => {
    const open = createFeatureServer({
      auth: { tokens: [{ name: 'admin', sha256: sha256(tokens.admin), read: true }], metricsOpen: true },
      store: new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine }),
    });
    try {
      assert.equal((await open.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
      assert.equal((await open.inject({ method: 'POST', url: '/get-online-features', payload: readBody })).statusCode, 401);
    } finally {
      await open.close();
    }
  });
});
