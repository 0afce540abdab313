// floe.yaml's server.auth and server.tls: what is accepted, what is refused and how the refusal
// names the field; relative TLS files resolve against floe.yaml's folder.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { readProjectConfig } from '../../../features/config.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const DIGEST = 'a'.repeat(64);

async function read(server: string): Promise<Awaited<ReturnType<typeof readProjectConfig>>> {
  const file = path.join(scratchFolder('server-config'), 'floe.yaml');
  await writeFile(file, `project: p\ncatalog: { type: sql, uri: catalog.db, warehouse: warehouse }\nserver:\n${server}`);
  return readProjectConfig(file, {});
}

test('a token reads nothing and pushes nowhere unless it says so; digests are kept lower-case', async () => {
  const config = await read(`  auth:\n    tokens:\n      - { name: ops, sha256: ${DIGEST.toUpperCase()} }\n`);
  assert.deepEqual(config.server.auth?.tokens, [{ name: 'ops', sha256: DIGEST, read: false, push: [], write: [], materialize: false }]);
  assert.equal(config.server.auth?.metricsOpen, false);
});

test('oidc takes issuer, audience, jwksUri and a claim defaulting to floe_permissions', async () => {
  const config = await read(`  auth:\n    oidc: { issuer: https://id.test, audience: floe, jwksUri: https://id.test/jwks }\n`);
  assert.deepEqual(config.server.auth?.oidc, {
    issuer: 'https://id.test',
    audience: 'floe',
    jwksUri: 'https://id.test/jwks',
    claim: 'floe_permissions',
  });
});

for (const [what, server, message] of [
  ['auth with neither tokens nor oidc', '  auth: {}\n', /server\.auth: must have tokens, oidc or both/],
  [
    'a token given instead of its digest',
    '  auth:\n    tokens: [{ name: ops, sha256: hunter2hunter2 }]\n',
    /server\.auth\.tokens\.0\.sha256: must be the SHA-256 of the token as 64 hex digits/,
  ],
  [
    'two tokens with one digest',
    `  auth:\n    tokens: [{ name: a, sha256: ${DIGEST} }, { name: b, sha256: ${DIGEST} }]\n`,
    /server\.auth: two tokens have the same sha256/,
  ],
  [
    'a read list with an unknown field',
    `  auth:\n    tokens: [{ name: a, sha256: ${DIGEST}, read: { tables: [x] } }]\n`,
    /server\.auth\.tokens\.0\.read/,
  ],
  ['a jwksUri that is not a URL', '  auth:\n    oidc: { issuer: i, audience: a, jwksUri: keys.json }\n', /server\.auth\.oidc\.jwksUri/],
  ['tls without its key', '  tls: { certFile: cert.pem }\n', /server\.tls\.keyFile/],
] as const)
  test(`${what} is refused naming the field`, async () => {
    await assert.rejects(read(server), (error: Error) => {
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

test('relative TLS files resolve against floe.yaml', async () => {
  const config = await read('  tls: { certFile: tls/cert.pem, keyFile: /etc/floe/key.pem }\n');
  assert.ok(path.isAbsolute(config.server.tls!.certFile) && config.server.tls!.certFile.endsWith(path.join('tls', 'cert.pem')));
  assert.equal(config.server.tls!.keyFile, '/etc/floe/key.pem');
});
