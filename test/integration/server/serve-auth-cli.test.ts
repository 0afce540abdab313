// services: none
// `floe serve` with floe.yaml's server.auth and server.tls: an address beyond loopback is refused
// without auth unless --insecure says so (exit 2, naming the setting); with auth and a certificate
// the test made, it serves HTTPS and refuses callers without a token.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const TOKEN = 'cli-test-token-0123456789abcdef';

const scratch = scratchFolder('serve-auth');
let project: string;
const children: ChildProcess[] = [];

before(async () => {
  project = path.join(scratch, 'project');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(project, 'features.ts'),
    `import { definitions } from ${JSON.stringify(path.join(root, 'test', 'support', 'online', 'online-view.ts'))};\nexport const all = definitions('rides.driver_stats', { buckets: 4 });\n`,
  );
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    path.join(project, 'key.pem'),
    '-out',
    path.join(project, 'cert.pem'),
  ]);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function writeConfig(server: string): Promise<void> {
  await writeFile(
    path.join(project, 'floe.yaml'),
    `project: serve_auth\ncatalog:\n  type: sql\n  uri: ${JSON.stringify(path.join(scratch, 'catalog.db'))}\n  create: true\n  warehouse: ${JSON.stringify(path.join(scratch, 'warehouse'))}\nworkDirectory: work\n${server}`,
  );
}

/** Runs `floe serve` until it prints its address (resolves with it) or exits (resolves with its code and stderr). */
function serve(args: string[]): Promise<{ url?: string; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, [floe, 'serve', '--project', project, '--port', '0', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /"url":\s*"([^"]+)"/.exec(stdout);
      if (match) resolve({ url: match[1]!, stderr });
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

function stop(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
}

async function httpsGet(url: string, ca: Buffer, token?: string): Promise<{ status: number; wwwAuthenticate?: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { ca, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          ...defined({ wwwAuthenticate: response.headers['www-authenticate'] }),
        }),
      );
    });
    call.on('error', reject);
    call.end();
  });
}

describe('floe serve beyond loopback', () => {
  test('without server.auth it refuses to start (exit 2), naming server.auth and --insecure', async () => {
    await writeConfig('');
    const { url, code, stderr } = await serve(['--host', '0.0.0.0']);
    assert.equal(url, undefined, 'it started');
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      /floe serve --host 0\.0\.0\.0 would let anyone .* floe\.yaml has no server\.auth\. Add server\.auth .* or pass --insecure/,
    );
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  test('with --insecure it starts open, printing the wildcard address and a warning of what --insecure turned off', async () => {
    await writeConfig('');
    const { url, stderr } = await serve(['--host', '0.0.0.0', '--insecure']);
    assert.ok(url, stderr);
    assert.match(url, /^http:\/\/0\.0\.0\.0:\d+$/);
    assert.match(stderr, /floe serve: warning: --insecure turns off the check .* server\.auth/);
    const health = await fetch(`http://127.0.0.1:${new URL(url).port}/metrics`);
    assert.equal(health.status, 200);
    stop();
  });

  test('on loopback it starts without server.auth, as before', async () => {
    await writeConfig('');
    const { url, stderr } = await serve(['--host', '127.0.0.1']);
    assert.ok(url, stderr);
    stop();
  });
});

describe('floe serve with server.auth and server.tls', () => {
  test('serves HTTPS on 0.0.0.0: 401 without a token, 200 with it, /health open', async () => {
    const digest = createHash('sha256').update(TOKEN).digest('hex');
    await writeConfig(
      `server:\n  auth:\n    tokens:\n      - name: ops\n        sha256: ${digest}\n        read: true\n  tls:\n    certFile: cert.pem\n    keyFile: key.pem\n`,
    );
    const { url, stderr } = await serve(['--host', '0.0.0.0']);
    assert.ok(url, stderr);
    assert.match(url, /^https:\/\/0\.0\.0\.0:\d+$/);
    const base = `https://127.0.0.1:${new URL(url).port}`;
    const ca = await readFile(path.join(project, 'cert.pem'));
    const refused = await httpsGet(`${base}/metrics`, ca);
    assert.equal(refused.status, 401);
    assert.match(refused.wwwAuthenticate ?? '', /^Bearer/);
    assert.equal((await httpsGet(`${base}/metrics`, ca, TOKEN)).status, 200);
    assert.equal((await httpsGet(`${base}/health`, ca)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${new URL(url).port}/health`), 'plain HTTP is not served');
    stop();
  });

  test("a key that is not the certificate's is refused at start (exit 2) naming both files", async () => {
    await promisify(execFile)('openssl', ['genpkey', '-algorithm', 'RSA', '-out', path.join(project, 'other-key.pem')]);
    await writeConfig(`server:\n  tls:\n    certFile: cert.pem\n    keyFile: other-key.pem\n`);
    const { url, code, stderr } = await serve([]);
    assert.equal(url, undefined);
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      /server\.tls\.certFile .*cert\.pem and server\.tls\.keyFile .*other-key\.pem are not a PEM certificate and its private key/,
    );
  });

  test('a token digest that is not 64 hex digits is refused (exit 2) naming the field', async () => {
    await writeConfig(`server:\n  auth:\n    tokens:\n      - name: ops\n        sha256: ${TOKEN}\n        read: true\n`);
    const { code, stderr } = await serve([]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /server\.auth\.tokens\.0\.sha256: must be the SHA-256 of the token as 64 hex digits/);
    assert.ok(!stderr.includes(TOKEN), 'the error repeats what was written as the digest');
  });
});
