// services: temporal, python
// The newcomer path through the published package, outside the checkout: `npm pack`, an offline
// install of the tarball into a temp folder, then `npx floe init`, the project's sample data,
// `floe apply`, `floe worker` as a process, `floe materialize`, `floe get-online` (checked against
// pyiceberg) and `floe serve` answering Feast's curl (no Content-Type), then the everyday tools:
// `FeatureStore.getOnlineFeatures`, `floe training-set --entities-csv` and `floe table head`. Every
// step runs with TZ=Asia/Tokyo and gives instants without a zone, which mean UTC; every instant
// printed is UTC with a Z, the same from curl and the library. Every Node process of those steps
// records the modules it loads; none may come from the checkout. The recorded workflow histories
// replay against the bundle the package ships.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from '@temporalio/worker';
import { loadRecordedHistories } from '../../support/histories.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { temporalService } from '../../support/services.js';
import type { Finished } from '../../support/child-process.js';
import { exitCode, firstJson, interrupt, runToEnd } from '../../support/child-process.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { withoutNodeOptions } from '../../support/node-runtime.js';
import { printedInstant } from '../../../contracts/instants.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where a module must never come from: the checkout, and the node_modules it links to (the main checkout's). */
const CHECKOUT_PATHS = [...new Set([realpathSync(root), realpathSync(path.join(root, 'node_modules'))])];
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const WINDOW = { start: new Date(today - DAY).toISOString(), end: new Date(today).toISOString() };
/** An instant as a user may type it: no zone (so UTC), e.g. 2026-11-24T00:00:00. */
const zoneless = (iso: string): string => iso.slice(0, 19);

let scratch: string;
let app: string;
let project: string;
let tarball: string;
let moduleLog: string;
let env: NodeJS.ProcessEnv;
let oracle: OracleCatalog;
const children: ChildProcess[] = [];

before(async () => {
  scratch = realpathSync(scratchFolder('package'));
  assert.ok(!CHECKOUT_PATHS.some((checkout) => scratch.startsWith(checkout)), `${scratch} is inside the checkout`);
  app = path.join(scratch, 'app');
  project = path.join(app, 'my_features');
  moduleLog = path.join(scratch, 'modules.log');
  await mkdir(app);
  const hook = await writeModuleRecorder(scratch);
  env = {
    ...withoutNodeOptions(process.env),
    NODE_OPTIONS: `--import ${hook}`,
    FLOE_MODULE_LOG: moduleLog,
    FLOE_TEMPORAL_ADDRESS: temporalService().address,
    FLOE_TASK_QUEUE: `package-${randomUUID()}`,
    FLOE_CATALOG_NAME: 'floe_oracle',
    // Far from UTC: an instant without a zone taken as local time would be 9 hours off.
    TZ: 'Asia/Tokyo',
  };
  oracle = {
    type: 'sql',
    uri: `sqlite:///${path.join(project, '.floe', 'catalog.db')}`,
    warehouse: `file://${path.join(project, '.floe', 'warehouse')}`,
  };
});

after(async () => {
  for (const child of children) await interrupt(child);
});

describe('the newcomer path through the npm package', () => {
  test('npm pack builds a tarball that installs offline outside the checkout', async () => {
    // `npm pack` runs `prepare`, which builds dist/ (JavaScript, .d.ts, the workflow bundle).
    const pack = await run('npm', ['pack', '--json', '--pack-destination', scratch], root, withoutNodeOptions(process.env));
    assert.equal(pack.code, 0, pack.stderr);
    // `prepare`'s own output comes first; the JSON report is the rest.
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(scratch, packed!.filename);
    const shipped = packed!.files.map((file) => file.path);
    for (const file of [
      'LICENSE',
      'bin/floe.js',
      'bin/supported-node.js',
      'dist/cli/main.js',
      'dist/public/index.js',
      'dist/public/index.d.ts',
      'dist/public/worker.d.ts',
      'dist/public/server.d.ts',
      'dist/workflows.bundle.js',
      'examples/init-template/features.ts.template',
    ]) {
      assert.ok(shipped.includes(file), `the tarball ships ${file}`);
    }
    assert.deepEqual(
      shipped.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
      [],
      'no TypeScript sources ship',
    );
    assert.deepEqual(
      shipped.filter((file) => file.startsWith('test/') || file.startsWith('bench/')),
      [],
    );

    await writeInstallableApp(app, tarball);
    const install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app, withoutNodeOptions(process.env));
    assert.equal(install.code, 0, `offline install failed (a package missing from the npm cache is named here):\n${install.stderr}`);
    assert.equal(realpathSync(path.join(app, 'node_modules', '.bin', 'floe')), path.join(app, 'node_modules', 'floe', 'bin', 'floe.js'));
  });

  test('npx floe init makes a project that depends on floe and imports it by name', async () => {
    const init = await run('npx', ['floe', 'init', 'my_features', '--floe-dependency', `file:${tarball}`, '--json'], app);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual((await readdir(project)).sort(), [
      '.floe',
      '.gitignore',
      'README.md',
      'features.ts',
      'floe.yaml',
      'generate_data.mjs',
      'package.json',
    ]);
    assert.deepEqual(await readdir(path.join(project, '.floe')), ['catalog.db'], 'init creates the SQLite catalog');
    const manifest = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    assert.deepEqual(manifest.dependencies, { floe: `file:${tarball}` });
    assert.equal(manifest.scripts.apply, 'floe apply');
    assert.match(await readFile(path.join(project, 'features.ts'), 'utf8'), /from 'floe';/);
    for (const file of (await readdir(project)).filter((name) => name !== '.floe')) {
      const text = await readFile(path.join(project, file), 'utf8');
      assert.ok(
        !CHECKOUT_PATHS.some((checkout) => text.includes(checkout)) && !text.includes('../'),
        `${file} points nowhere outside the project`,
      );
    }
  });

  test('the sample data, floe apply, a worker process and floe materialize fill the online table', async () => {
    const generate = await run('npm', ['run', 'generate', '--', '--days', '2', '--drivers', '20', '--end', WINDOW.end], project);
    assert.equal(generate.code, 0, generate.stderr);
    assert.match(generate.stdout, /Wrote 960 rows of 20 drivers/);
    const apply = await run('npx', ['floe', 'apply'], project);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /\+ feature view driver_hourly_stats/);

    // Long-running commands run the installed bin directly, so Ctrl-C (SIGINT) reaches them and not an npx between.
    const worker = spawn(process.execPath, [installedBin(), 'worker'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(worker);
    const materialize = await run(
      'npx',
      ['floe', 'materialize', 'driver_hourly_stats', '--start', zoneless(WINDOW.start), '--end', zoneless(WINDOW.end), '--json'],
      project,
    );
    assert.equal(materialize.code, 0, materialize.stderr);
    const materialized = JSON.parse(materialize.stdout) as { rows: number; start: string; end: string };
    assert.deepEqual(
      materialized,
      { ...materialized, rows: 20, start: printedInstant(WINDOW.start), end: printedInstant(WINDOW.end) },
      'the window in UTC, printed as Floe prints instants',
    );
  });

  test('floe get-online and floe serve (Feast curl, no Content-Type) return the values pyiceberg reads from the source', async () => {
    const last = new Date(today - 3_600_000).toISOString().replace('.000Z', '.000000+00:00');
    const source = await runPyiceberg<{ rows: { conv_rate: number }[] }>('read', {
      catalog: oracle,
      identifier: 'rides.driver_stats',
      row_filter: `driver_id == 1001 and event_timestamp == '${last}'`,
    });
    assert.equal(source.rows.length, 1);
    const expected = source.rows[0]!.conv_rate;

    const getOnline = await run(
      'npx',
      ['floe', 'get-online', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001,5000', '--json'],
      project,
    );
    assert.equal(getOnline.code, 0, getOnline.stderr);
    const online = JSON.parse(getOnline.stdout) as { features: { values: unknown[]; statuses: string[] }[] };
    assert.deepEqual(online.features[0]!.statuses, ['PRESENT', 'NOT_FOUND']);
    assert.equal(online.features[0]!.values[0], expected);

    const server = spawn(process.execPath, [installedBin(), 'serve', '--port', '0', '--json'], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    const { url } = (await firstJson(server)) as { url: string };
    // What Feast's documented `curl -X POST -d '{…}'` sends, minus even curl's form Content-Type.
    const response = await fetch(`${url}/get-online-features`, {
      method: 'POST',
      body: new Blob([JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: [1001, 5000] } })]),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[] };
    assert.deepEqual(body.results[1]!.statuses, ['PRESENT', 'NOT_FOUND']);
    assert.equal(body.results[1]!.values[0], expected);
    assert.equal(body.results[1]!.event_timestamps[0], new Date(today - 3_600_000).toISOString().replace('.000Z', 'Z'));
    server.kill('SIGINT');
    assert.equal(await exitCode(server), 0);

    // The README's TypeScript read, as plain JavaScript: FeatureStore.getOnlineFeatures, the same instants as curl.
    await writeFile(
      path.join(project, 'read-online.mjs'),
      `import { FeatureStore } from 'floe';
const store = await FeatureStore.open('.');
const response = await store.getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: 1001 }, { driver_id: 5000 }] });
console.log(JSON.stringify(response.features[0]));
await store.close();
`,
    );
    const library = await run(process.execPath, ['read-online.mjs'], project);
    assert.equal(library.code, 0, library.stderr);
    const feature = JSON.parse(library.stdout) as { values: unknown[]; statuses: string[]; eventTimestamps: (string | null)[] };
    assert.deepEqual(feature.values, [expected, null]);
    assert.deepEqual(feature.eventTimestamps, [body.results[1]!.event_timestamps[0], null]);
  });

  test('floe training-set --entities-csv with zone-less times, read back with floe table head', async () => {
    const requests = path.join(project, 'requests.csv');
    const asked = new Date(today - 30 * 60_000).toISOString(); // 23:30 UTC yesterday: the 23:00 row
    await writeFile(requests, `driver_id,event_timestamp\n1001,${zoneless(asked).replace('T', ' ')}\n`);
    const training = await run(
      'npx',
      [
        'floe',
        'training-set',
        '--entities-csv',
        'requests.csv',
        '--features',
        'driver_hourly_stats:conv_rate',
        '--output',
        'datasets.newcomer',
        '--json',
      ],
      project,
    );
    assert.equal(training.code, 0, training.stderr);
    const head = await run('npx', ['floe', 'table', 'head', 'datasets.newcomer', '--json'], project);
    assert.equal(head.code, 0, head.stderr);
    const online = await run(
      'npx',
      ['floe', 'get-online', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001', '--json'],
      project,
    );
    const latest = (JSON.parse(online.stdout) as { features: { values: unknown[] }[] }).features[0]!.values[0];
    assert.deepEqual((JSON.parse(head.stdout) as { rows: unknown[] }).rows, [
      { driver_id: '1001', event_timestamp: asked.replace('.000Z', 'Z'), conv_rate: latest },
    ]);
  });

  test('no step loaded a module from the checkout', async () => {
    // The worker records what it loaded when it exits.
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        await exitCode(child);
      }
    }
    const loaded = [...new Set((await readFile(moduleLog, 'utf8')).split('\n').filter(Boolean))];
    const installed = path.join(app, 'node_modules', 'floe', 'dist') + path.sep;
    for (const module of [
      'cli/main.js',
      'workers/worker.js',
      'server/feature-server.js',
      'features/project.js',
      'examples/init-template/sample-data.js',
    ]) {
      assert.ok(loaded.includes(installed + module), `${module} was loaded from the installed package`);
    }
    assert.ok(loaded.includes(path.join(project, 'features.ts')), 'the definitions were loaded');
    assert.deepEqual(
      loaded.filter((file) => CHECKOUT_PATHS.some((checkout) => file.startsWith(checkout + path.sep))),
      [],
      'modules loaded from the checkout',
    );
  });

  test('the module record catches a module loaded from the checkout', async () => {
    // The check above is only as good as the record: a process that does load a checkout module must show in it.
    const plantedLog = path.join(scratch, 'planted.log');
    const checkoutModule = path.join(realpathSync(path.join(root, 'node_modules')), 'yaml', 'dist', 'index.js');
    const planted = await run(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(checkoutModule).href)});`],
      app,
      { ...env, FLOE_MODULE_LOG: plantedLog },
    );
    assert.equal(planted.code, 0, planted.stderr);
    assert.ok((await readFile(plantedLog, 'utf8')).split('\n').includes(checkoutModule));
  });

  test('the recorded workflow histories replay against the workflow bundle the package ships', async () => {
    const histories = await loadRecordedHistories();
    assert.ok(histories.length > 0);
    const codePath = path.join(app, 'node_modules', 'floe', 'dist', 'workflows.bundle.js');
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath } }, histories)) results.push(result);
    assert.equal(results.length, histories.length);
    for (const result of results) assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  });
});

/**
 * A package.json naming the tarball, and a lockfile pinning floe's dependencies to the versions the
 * checkout's lockfile pins. The npm cache holds those tarballs (the checkout was installed from it)
 * but not the registry's version lists, so only a locked install can run offline.
 */
async function writeInstallableApp(directory: string, tarballPath: string): Promise<void> {
  const floe = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const checkoutLock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const dependencies = { floe: `file:${tarballPath}` };
  const integrity = `sha512-${createHash('sha512')
    .update(await readFile(tarballPath))
    .digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'floe-newcomer', dependencies },
    'node_modules/floe': {
      version: floe.version,
      resolved: `file:${tarballPath}`,
      integrity,
      license: floe.license,
      dependencies: floe.dependencies,
      bin: floe.bin,
      engines: floe.engines,
    },
  };
  for (const [key, entry] of Object.entries(checkoutLock.packages))
    if (key.startsWith('node_modules/') && !entry.dev) packages[key] = entry;
  await writeFile(
    path.join(directory, 'package.json'),
    JSON.stringify({ name: 'floe-newcomer', private: true, type: 'module', dependencies }, null, 2),
  );
  await writeFile(
    path.join(directory, 'package-lock.json'),
    JSON.stringify({ name: 'floe-newcomer', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/**
 * A `--import` module that appends to $FLOE_MODULE_LOG the file of every ES module any later import
 * resolves to (through a resolve hook) and, at exit, of every CommonJS module loaded.
 */
async function writeModuleRecorder(directory: string): Promise<string> {
  const hooks = path.join(directory, 'record-modules-hooks.mjs');
  const recorder = path.join(directory, 'record-modules.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (resolved.url.startsWith('file:')) appendFileSync(process.env.FLOE_MODULE_LOG, fileURLToPath(resolved.url) + '\\n');
  return resolved;
}
`,
  );
  await writeFile(
    recorder,
    `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(new URL(`file://${hooks}`).href)});
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(process.env.FLOE_MODULE_LOG, Object.keys(require.cache).map((file) => file + '\\n').join('')));
`,
  );
  return recorder;
}

function installedBin(): string {
  return path.join(app, 'node_modules', '.bin', 'floe');
}

function run(command: string, args: string[], cwd: string, runEnv: NodeJS.ProcessEnv = env): Promise<Finished> {
  return runToEnd(command, args, { cwd, env: runEnv });
}
