/**
 * The Node a command runs on: bin/supported-node.js's rule, `floe` refusing an older Node by name,
 * scripts/supported-node.sh (sourced by .ci/run) replacing an end-of-life Node and keeping a
 * supported one, and scripts/on-supported-node.ts (every `npm run` entry point) running its entry
 * on a supported Node either way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSupportedNode } from '../../../bin/supported-node.js';
import { repoRoot } from '../../../scripts/services/paths.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const work = scratchFolder('supported-node');
const SUPPORTED = ['22.22.0', '22.30.1', '24.1.0', '26.0.0'];
const TOO_OLD = ['18.20.8', '20.20.2', '22.21.0'];

/** A folder holding a `node` that claims to be `version`: `-v` answers it, anything else runs the real Node with it. */
function fakeNode(folder: string, version: string): string {
  mkdirSync(folder, { recursive: true });
  const script = join(folder, 'node');
  const claim = `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'${version}'})`;
  writeFileSync(
    script,
    `#!/usr/bin/env bash\nif [ "$1" = -v ]; then echo v${version}; exit 0; fi\nexec "${process.execPath}" --import "${claim}" "$@"\n`,
  );
  chmodSync(script, 0o755);
  return folder;
}

const machineEnv = (pathFolder: string, cacheDir: string): NodeJS.ProcessEnv => ({
  PATH: `${pathFolder}:/usr/bin:/bin`,
  HOME: work,
  FLOE_CACHE_DIR: cacheDir,
  FLOE_NODE_VERSION: '24.99.0',
});

function nodeAfterSourcing(pathFolder: string, cacheDir: string): { node: string; status: number | null } {
  const result = spawnSync('bash', ['-c', 'source scripts/supported-node.sh 2>/dev/null && node -v'], {
    cwd: repoRoot,
    env: machineEnv(pathFolder, cacheDir),
    encoding: 'utf8',
  });
  return { node: result.stdout.trim(), status: result.status };
}

/** A cache holding a (fake) Node 24.99.0, the one FLOE_NODE_VERSION names, as if installed earlier. */
function cacheWithLts(): string {
  const cache = join(work, 'cache');
  fakeNode(join(cache, 'node-v24.99.0-linux-x64', 'bin'), '24.99.0');
  return cache;
}

test('Node 22.22 and later are supported, older ones are not', () => {
  for (const version of SUPPORTED) assert.equal(isSupportedNode(version), true, version);
  for (const version of TOO_OLD) assert.equal(isSupportedNode(version), false, version);
});

test('a supported Node stays the one on PATH', () => {
  for (const version of SUPPORTED) {
    const folder = fakeNode(join(work, `machine-${version}`), version);
    assert.deepEqual(nodeAfterSourcing(folder, join(work, 'empty-cache')), { node: `v${version}`, status: 0 });
  }
});

test("an end-of-life Node is replaced by the cache's LTS", () => {
  const cache = cacheWithLts();
  for (const version of TOO_OLD) {
    const folder = fakeNode(join(work, `old-${version}`), version);
    assert.deepEqual(nodeAfterSourcing(folder, cache), { node: 'v24.99.0', status: 0 });
  }
});

test('floe on an older Node stops at once with exit 2, naming the version and the fix', () => {
  const folder = fakeNode(join(work, 'floe-20'), '20.20.2');
  const result = spawnSync(join(folder, 'node'), [join(repoRoot, 'bin', 'floe.js'), '--version'], { encoding: 'utf8' });
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^floe: Node 20\.20\.2 \(.+\) is too old; Floe needs Node 22\.22 or later/);
  assert.match(result.stderr, /`\. scripts\/supported-node\.sh` puts Node 24 LTS/);
});

test('an npm run entry point runs on this Node when supported, else on the LTS the cache holds', () => {
  const entry = join(work, 'entry.ts');
  writeFileSync(entry, "const args: string[] = process.argv.slice(2);\nconsole.log(process.versions.node, args.join(' '));\n");
  const cache = cacheWithLts();
  const runEntry = (version: string) =>
    spawnSync('node', ['--import', 'tsx', join(repoRoot, 'scripts', 'on-supported-node.ts'), entry, '--exit', 'a b'], {
      cwd: repoRoot,
      env: machineEnv(fakeNode(join(work, `entry-${version}`), version), cache),
      encoding: 'utf8',
    });
  const current = runEntry('24.1.0');
  assert.deepEqual([current.status, current.stdout], [0, '24.1.0 --exit a b\n'], current.stderr);
  const old = runEntry('20.20.2');
  assert.deepEqual([old.status, old.stdout], [0, '24.99.0 --exit a b\n'], old.stderr);
  assert.match(old.stderr, /Node 20\.20\.2 is older than Floe supports; running .*entry\.ts on a supported Node/);
});

test("the registry's LTS trusts the system CA store too, as a distribution's Node does, unless the user said otherwise", () => {
  const cache = cacheWithLts();
  const trust = (version: string, env: NodeJS.ProcessEnv = {}) =>
    spawnSync('bash', ['-c', 'source scripts/supported-node.sh 2>/dev/null && echo "${NODE_USE_SYSTEM_CA-unset}"'], {
      cwd: repoRoot,
      env: { ...machineEnv(fakeNode(join(work, `ca-${version}`), version), cache), ...env },
      encoding: 'utf8',
    }).stdout.trim();
  assert.equal(trust('20.20.2'), '1');
  assert.equal(trust('20.20.2', { NODE_USE_SYSTEM_CA: '0' }), '0');
  assert.equal(trust('24.1.0'), 'unset');

  const entry = join(work, 'ca-entry.ts');
  writeFileSync(entry, 'console.log(process.env.NODE_USE_SYSTEM_CA);\n');
  const run = spawnSync('node', ['--import', 'tsx', join(repoRoot, 'scripts', 'on-supported-node.ts'), entry], {
    cwd: repoRoot,
    env: machineEnv(fakeNode(join(work, 'ca-entry-20'), '20.20.2'), cache),
    encoding: 'utf8',
  });
  assert.deepEqual([run.status, run.stdout], [0, '1\n'], run.stderr);
});
