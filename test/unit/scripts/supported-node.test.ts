/** `.ci/run` sources scripts/supported-node.sh: an end-of-life Node is replaced, a supported one kept. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../scripts/services/paths.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const work = scratchFolder('supported-node');

/** A folder holding a `node` that claims to be `version`, the way the real one answers `-e`. */
function fakeNode(folder: string, version: string): string {
  mkdirSync(folder, { recursive: true });
  const script = join(folder, 'node');
  writeFileSync(
    script,
    `#!/usr/bin/env bash\nif [ "$1" = -v ]; then echo v${version}; exit 0; fi\n` +
      `exec "${process.execPath}" -e "Object.defineProperty(process.versions, 'node', { value: '${version}' }); eval(process.argv[1])" "$2"\n`,
  );
  chmodSync(script, 0o755);
  return folder;
}

function nodeAfterSourcing(pathFolder: string, cacheDir: string): { node: string; status: number | null } {
  const result = spawnSync('bash', ['-c', 'source scripts/supported-node.sh 2>/dev/null && node -v'], {
    cwd: repoRoot,
    env: { PATH: `${pathFolder}:/usr/bin:/bin`, HOME: work, FLOE_CACHE_DIR: cacheDir, FLOE_NODE_VERSION: '24.99.0' },
    encoding: 'utf8',
  });
  return { node: result.stdout.trim(), status: result.status };
}

test('a supported Node stays the one on PATH', () => {
  for (const version of ['22.22.0', '24.1.0', '26.0.0']) {
    const folder = fakeNode(join(work, `machine-${version}`), version);
    assert.deepEqual(nodeAfterSourcing(folder, join(work, 'empty-cache')), { node: `v${version}`, status: 0 });
  }
});

test("an end-of-life Node is replaced by the cache's LTS", () => {
  const cache = join(work, 'cache');
  fakeNode(join(cache, 'node-v24.99.0-linux-x64', 'bin'), '24.99.0');
  for (const version of ['20.20.2', '22.21.0']) {
    const folder = fakeNode(join(work, `old-${version}`), version);
    assert.deepEqual(nodeAfterSourcing(folder, cache), { node: 'v24.99.0', status: 0 });
  }
});
