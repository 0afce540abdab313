// services: temporal
// The README's `npm ci && npm run demo` end to end, as a newcomer on this project's own machines runs
// it: in a copy of the checkout, with an end-of-life Node (20) first on PATH, so `npm run demo` must
// bring a supported Node itself (scripts/on-supported-node.ts). The demo starts its own Temporal dev
// server and keeps its state in a temporary folder. It must exit 0 and print each step's result; the
// online features it prints for drivers 1001–1005 are checked against the sample data's formula,
// recomputed here in DuckDB, for the latest hour the scheduled window covered.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { END_OF_LIFE_NODE_VERSION, endOfLifeNode, environmentOn } from '../../support/node-runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HOUR = 3_600_000;

const directory = scratchFolder('demo');
const checkout = scratchFolder('demo-checkout');
let output = '';
let exitCode: number | null = null;

/** The checkout's files as a fresh clone of its working tree has them (no node_modules, no .floe). */
function copyCheckout(destination: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  for (const file of files.split('\0').filter((name) => name !== '' && existsSync(path.join(root, name)))) {
    mkdirSync(path.dirname(path.join(destination, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(destination, file));
  }
}

before(async () => {
  copyCheckout(checkout);
  const child = spawn('bash', ['-c', 'node -v && npm ci && npm run demo -- --exit'], {
    cwd: checkout,
    env: { ...environmentOn(endOfLifeNode(), process.env), FLOE_DEMO_DIR: directory },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
});

function match(pattern: RegExp): RegExpMatchArray {
  const found = output.match(pattern);
  assert.ok(found, `the demo's output has no line matching ${pattern}:\n${output}`);
  return found;
}

test('npm ci && npm run demo exit 0 on an end-of-life Node, the demo on a supported one', () => {
  assert.equal(exitCode, 0, output);
  assert.equal(output.split('\n')[0], `v${END_OF_LIFE_NODE_VERSION}`, 'the shell runs the end-of-life Node');
  match(
    new RegExp(
      `Node ${END_OF_LIFE_NODE_VERSION.replaceAll('.', '\\.')} is older than Floe supports; running scripts/demo\\.ts on a supported Node`,
    ),
  );
});

test('the demo keeps its state in FLOE_DEMO_DIR', () => {
  match(new RegExp(`Warehouse: ${directory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/warehouse`));
  assert.ok(existsSync(path.join(directory, 'catalog.db')), 'the SQLite catalog is in FLOE_DEMO_DIR');
});

test('it applies the definitions, backfills the week in 7 chunks and runs one scheduled window', () => {
  match(/registry v1 written to .*; online tables: create driver_hourly_stats/);
  const backfill = match(/backfill done: (\d+)\/(\d+) chunks, (\d+) entity rows materialized/);
  assert.deepEqual(backfill.slice(1), ['7', '7', '350'], 'one chunk per day, 50 drivers each');
  const window = match(/run (floe-materialize-driver_hourly_stats-\S+) materialized \[(\S+), (\S+)\): latest rows of (\d+) drivers/);
  assert.equal(window[4], '50');
  const start = match(/Backfilling driver_hourly_stats over \[(\S+), (\S+)\)/);
  assert.equal(window[2], start[2], "the scheduled window starts at the backfill's end (the watermark)");
  assert.doesNotMatch(output, /:\d\d\.000Z/, 'instants print as Floe prints them everywhere: no fraction on a whole second');
});

test('compaction leaves fewer data files and one row per driver', () => {
  const compaction = match(/(\d+) partitions rewritten: data files (\d+) → (\d+), rows (\d+) → (\d+)/);
  const [partitions, before, afterFiles, , rowsAfter] = compaction.slice(1).map(Number) as [number, number, number, number, number];
  assert.ok(afterFiles < before, `data files ${before} → ${afterFiles}`);
  assert.equal(afterFiles, partitions, 'one data file per rewritten partition');
  assert.equal(rowsAfter, 50, 'latest row of each of the 50 drivers');
});

test('the training set has one row per entity row', () => {
  const training = match(/training set rows: (\d+) in \d+ file\(s\)/);
  assert.equal(training[1], '15', '5 drivers at 3 instants');
});

test("online features of drivers 1001–1005 are the sample data's values at the latest hour", async () => {
  const start = Date.parse(match(/Backfilling driver_hourly_stats over \[(\S+), /)[1]!);
  const windowEnd = Date.parse(match(/materialized \[\S+, (\S+)\): latest rows/)[1]!);
  // The latest event hour strictly before the scheduled window's end.
  const hour = (Math.ceil(windowEnd / HOUR) * HOUR - HOUR - start) / HOUR;
  const printed = new Map<number, number[]>();
  for (const line of output.split('\n')) {
    const cells = line
      .split('│')
      .map((cell) => cell.trim())
      .filter((cell) => cell !== '');
    if (cells.length === 5 && /^100[1-5]$/.test(cells[1]!) && !cells[2]!.includes(':'))
      printed.set(Number(cells[1]), cells.slice(2).map(Number));
  }
  assert.deepEqual([...printed.keys()].sort(), [1001, 1002, 1003, 1004, 1005], output);
  const instance = await DuckDBInstance.create();
  const connection = await instance.connect();
  try {
    for (const [driver, values] of printed) {
      const reader = await connection.runAndReadAll(
        `SELECT ((hash(${driver}::BIGINT, ${hour}::BIGINT, 'conv') % 1000) / 1000.0)::DOUBLE, ((hash(${driver}::BIGINT, ${hour}::BIGINT, 'acc') % 1000) / 1000.0)::DOUBLE, (hash(${driver}::BIGINT, ${hour}::BIGINT, 'trips') % 200)::BIGINT`,
      );
      const expected = (reader.getRows()[0] ?? []).map(Number);
      assert.deepEqual(values, expected, `driver ${driver} at hour ${hour} of the week`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

test("the closing hint's floe serve serves the demo's online features", async () => {
  const hint = match(
    /serve them over HTTP with `FLOE_CATALOG_URI=(\S+) FLOE_WAREHOUSE=(\S+) npx floe serve --project examples\/quickstart`/,
  );
  assert.equal(hint[1], path.join(directory, 'catalog.db'));
  const server = spawn(
    process.execPath,
    [path.join(root, 'bin', 'floe.js'), 'serve', '--project', 'examples/quickstart', '--port', '0', '--json'],
    { cwd: root, env: { ...process.env, FLOE_CATALOG_URI: hint[1], FLOE_WAREHOUSE: hint[2] }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      server.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
        if (ready) resolve((JSON.parse(ready[0]) as { url: string }).url);
      });
      server.once('exit', (code) => reject(new Error(`floe serve exited with ${code}:\n${stderr}`)));
    });
    const response = await fetch(`${url}/get-online-features`, {
      method: 'POST',
      body: JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001] } }),
    });
    const body = (await response.json()) as { results: { statuses: string[] }[] };
    assert.equal(response.status, 200);
    assert.deepEqual(body.results.at(-1)!.statuses, ['PRESENT'], JSON.stringify(body));
    assert.doesNotMatch(stderr, /warning/, 'every view has data');
  } finally {
    server.kill('SIGINT');
    await new Promise((resolve) => server.once('exit', resolve));
  }
});
