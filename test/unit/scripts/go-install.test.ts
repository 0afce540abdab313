/**
 * The Go build step, with a stand-in `go` on PATH (the real builds take 10-20 minutes and are
 * exercised by every cold `npm test`): the binary lands in its versioned folder only when the
 * build succeeds, Go's caches are kept inside FLOE_CACHE_DIR and dropped after the run's last build
 * (one whose modules were fetched ahead counts), and a failed build names the command and shows its log.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedGoBinaryPath, ensureGoBinary, prefetchGoModules, type GoBinary } from '../../../scripts/services/go-install.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = scratchFolder('go-install-test');
const fakeBin = join(root, 'fake-bin');
const saved = { PATH: process.env.PATH, FLOE_CACHE_DIR: process.env.FLOE_CACHE_DIR, FAKE_GO_FAIL: process.env.FAKE_GO_FAIL };

before(() => {
  mkdirSync(fakeBin, { recursive: true });
  // Records the environment it was given, creates the caches like go does, writes the binary.
  writeFileSync(
    join(fakeBin, 'go'),
    [
      '#!/bin/sh',
      'if [ -n "$FAKE_GO_FAIL" ]; then echo "go: module lookup disabled by test"; exit 1; fi',
      'mkdir -p "$GOMODCACHE" "$GOCACHE"',
      'if [ "$2" = "-n" ]; then echo "$@" > "$GOMODCACHE/fetching"; mv "$GOMODCACHE/fetching" "$GOMODCACHE/fetched.txt"; exit 0; fi',
      'echo "$@ GOFLAGS=$GOFLAGS GOMODCACHE=$GOMODCACHE" > "$FLOE_CACHE_DIR/go-args.txt"',
      'printf "#!/bin/sh\\necho fake tool\\n" > "$GOBIN/fake-tool"',
      'chmod +x "$GOBIN/fake-tool"',
    ].join('\n'),
  );
  chmodSync(join(fakeBin, 'go'), 0o755);
  process.env.PATH = `${fakeBin}${delimiter}${saved.PATH ?? ''}`;
});

after(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const tool: GoBinary = {
  what: 'Fake tool',
  why: 'testing',
  installTarget: 'example.com/fake/cmd/fake-tool@v1.2.3',
  folder: 'fake-tool-v1.2.3',
  binaryName: 'fake-tool',
};

test('a successful build puts the binary in its versioned folder and drops the Go caches', async () => {
  const cache = join(root, 'cache-ok');
  process.env.FLOE_CACHE_DIR = cache;
  delete process.env.FAKE_GO_FAIL;
  const path = await ensureGoBinary(tool);
  assert.equal(path, join(cache, 'bin', 'fake-tool-v1.2.3', 'fake-tool'));
  assert.equal(path, cachedGoBinaryPath(tool));
  assert.ok(existsSync(path));
  const args = readFileSync(join(cache, 'go-args.txt'), 'utf8');
  assert.match(args, /^install -trimpath -ldflags=-s -w example\.com\/fake\/cmd\/fake-tool@v1\.2\.3 /);
  assert.match(args, /-modcacherw/);
  assert.ok(args.includes(`GOMODCACHE=${join(cache, 'go', 'mod')}`), args);
  assert.equal(existsSync(join(cache, 'go')), false, 'Go caches removed after the build');
  assert.equal(existsSync(join(cache, 'bin', 'fake-tool-v1.2.3.partial')), false, 'staging folder removed');
  // Cached now: a second call does not build again.
  rmSync(join(cache, 'go-args.txt'));
  await ensureGoBinary(tool);
  assert.equal(existsSync(join(cache, 'go-args.txt')), false);
});

test('a failed build leaves no binary behind and says what failed', async () => {
  const cache = join(root, 'cache-fail');
  process.env.FLOE_CACHE_DIR = cache;
  process.env.FAKE_GO_FAIL = '1';
  await assert.rejects(ensureGoBinary(tool), (error: Error) => {
    assert.match(error.message, /Fake tool failed to build\/install: exited with code 1/);
    assert.match(error.message, /command: go install -trimpath -ldflags=-s -w example\.com\/fake\/cmd\/fake-tool@v1\.2\.3/);
    assert.match(error.message, /\| go: module lookup disabled by test/);
    return true;
  });
  assert.equal(existsSync(cachedGoBinaryPath(tool)), false);
});

test("a build whose modules were fetched ahead keeps Go's caches until it is done", async () => {
  const cache = join(root, 'cache-prefetch');
  process.env.FLOE_CACHE_DIR = cache;
  delete process.env.FAKE_GO_FAIL;
  const later: GoBinary = { ...tool, installTarget: 'example.com/fake/cmd/fake-tool@v2.0.0', folder: 'fake-tool-v2.0.0' };
  prefetchGoModules(later);
  const fetched = join(cache, 'go', 'mod', 'fetched.txt');
  while (!existsSync(fetched)) await sleep(10);
  assert.equal(readFileSync(fetched, 'utf8').trim(), 'install -n example.com/fake/cmd/fake-tool@v2.0.0');
  await ensureGoBinary(tool);
  assert.equal(existsSync(fetched), true, 'the caches outlive a build while another is to come');
  await ensureGoBinary(later);
  assert.equal(existsSync(join(cache, 'go')), false, 'and go with the last build');
  assert.ok(existsSync(cachedGoBinaryPath(later)));
});
