// What the `floe` command loads before it can fail on a bad argument or a missing floe.yaml: none of
// the catalog, storage, engine or Temporal client packages, whose module graphs cost most of a short
// command's start-up. The real command runs in its own process with a hook recording every module
// it loads; the check is on what was loaded, never on how long it took.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');

/** Packages a command loads only once it opens a catalog, reads a table or talks to Temporal. */
const HEAVY_PACKAGES = ['@duckdb/node-api', '@aws-sdk/client-s3', '@temporalio/client', 'apache-arrow', 'pg', 'better-sqlite3'];

/** Records the URL of every module the process loads, and writes them to FLOE_TEST_LOADED_MODULES at exit. */
const RECORD_LOADS = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = [];
registerHooks({ load: (url, context, next) => (loaded.push(url), next(url, context)) });
process.on('exit', () => writeFileSync(process.env.FLOE_TEST_LOADED_MODULES, loaded.join('\\n')));
`;

let directory: string;

before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'floe-start-up-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function floeLoads(args: readonly string[]): Promise<{ code: number | null; stderr: string; packages: Set<string> }> {
  const record = path.join(directory, `loaded-${args.join('-').replace(/[^a-z0-9]+/gi, '-')}.txt`);
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(RECORD_LOADS)}`, floe, ...args], {
    cwd: directory,
    env: { ...process.env, FLOE_TEST_LOADED_MODULES: record },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const urls = (await readFile(record, 'utf8')).split('\n');
  return { code, stderr, packages: new Set(urls.flatMap((url) => packageOf(url) ?? [])) };
}

/** `file:///…/node_modules/@scope/name/lib/x.js` → `@scope/name`. */
function packageOf(url: string): string | undefined {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match?.[1];
}

function assertNoHeavyPackage(packages: Set<string>): void {
  assert.deepEqual(
    HEAVY_PACKAGES.filter((name) => packages.has(name)),
    [],
  );
  // The recording itself works: the command's own packages are seen.
  assert.ok(packages.has('commander'), [...packages].join(', '));
}

describe('floe start-up', () => {
  for (const args of [
    ['table', 'inspect', 'rides.trips'],
    ['plan'],
    ['get-online', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001'],
    ['materialize', 'driver_hourly_stats', '--start', '2024-05-01T00:00:00Z', '--end', '2024-05-02T00:00:00Z'],
  ]) {
    test(`${args.join(' ')}: a missing floe.yaml is reported before any catalog, engine or Temporal package loads`, async () => {
      const { code, stderr, packages } = await floeLoads(args);
      assert.equal(code, 2);
      assert.match(stderr, /Cannot read the project file .*floe\.yaml/);
      assertNoHeavyPackage(packages);
    });
  }

  test('a bad argument is reported before any of them loads', async () => {
    const { code, stderr, packages } = await floeLoads(['table', 'head', 'rides.trips', '--limit', '0']);
    assert.equal(code, 2);
    assert.match(stderr, /--limit must be a positive integer, got 0/);
    assertNoHeavyPackage(packages);
  });

  test('--help loads none of them', async () => {
    const { code, packages } = await floeLoads(['--help']);
    assert.equal(code, 0);
    assertNoHeavyPackage(packages);
  });
});
