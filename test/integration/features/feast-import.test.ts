// services: temporal, python
// `floe import feast` on the repository Feast 0.67's own `feast init` writes (the oracle venv's
// Feast): `feast apply` and `feast registry-dump`, then the import; the generated features.ts
// type-checks against Floe's public API; Feast's example Parquet, as `feast init` wrote it, goes
// into an Iceberg table by `floe table load` (its Map column written as a struct, loaded with --map); `floe
// apply`, `floe materialize` and `floe get-online` answer what Feast's get_online_features answers
// after Feast materialized the same rows into its default SQLite online store. Then Feast's own
// client, its online store pointed at `floe serve`, pushes the template's row (Map, Json and
// Struct values) and reads the template's feature service back (issue #54).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { MetadataReply, OracleCatalog } from '../../support/pyiceberg.js';
import { portOnDemandViews } from '../../support/feast-template.js';
import { pythonOracle, temporalService } from '../../support/services.js';
import { runPython, stopPythonServers } from '../../support/python-fork-server.js';
import { floeCommand, linkCheckoutAsFloe, startServer, startWorker, stopWorker } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FEAST_ORACLE = path.join(root, 'test', 'oracles', 'feast_example_repo.py');
const FEAST_CLIENT = path.join(root, 'test', 'oracles', 'feast_template_client.py');
const VIEW = 'driver_hourly_stats';
/** The example's scalar features, then its Map, Json and Struct ones (issue #54). */
const FEATURES = ['conv_rate', 'acc_rate', 'avg_daily_trips', 'driver_metadata', 'driver_config', 'driver_profile'];
/** The example's five drivers and one nobody knows. */
const DRIVERS = [1001, 1002, 1003, 1004, 1005, 9999];
const run = promisify(execFile);

const directory = scratchFolder('feast-import');
let worker: ChildProcess | undefined;
let workerOutput = '';

after(async () => {
  await stopWorker(worker);
  await stopPythonServers();
});

/** Runs the venv's `feast` in a folder; its output, or the failure with Feast's own words. */
async function feast(args: readonly string[], cwd: string): Promise<string> {
  const binary = path.join(path.dirname(pythonOracle().python), 'feast');
  const { code, stdout, stderr } = await runPython(pythonOracle().python, binary, args, {
    cwd,
    env: { ...process.env, FEAST_USAGE: 'False' },
  });
  assert.equal(code, 0, `feast ${args.join(' ')}:\n${stderr}`);
  return stdout;
}

async function feastOracle(request: Record<string, unknown>): Promise<{ start: string; end: string; online: Record<string, unknown[]> }> {
  const { code, stdout, stderr } = await runPython(pythonOracle().python, FEAST_ORACLE, [], { stdin: JSON.stringify(request) });
  assert.equal(code, 0, `Feast failed:\n${stderr}`);
  return JSON.parse(stdout) as { start: string; end: string; online: Record<string, unknown[]> };
}

test("Feast's example repository, imported, applied, materialized and read, answers as Feast does", async () => {
  await feast(['init', 'example'], directory);
  const repo = path.join(directory, 'example', 'feature_repo');
  await feast(['apply'], repo);
  const dumpFile = path.join(directory, 'registry.json');
  await writeFile(dumpFile, await feast(['registry-dump'], repo));

  const project = path.join(directory, 'floe');
  await run('mkdir', [project]);
  const out = path.join(project, 'features.ts');
  const imported = await floeCommand([
    'import',
    'feast',
    dumpFile,
    '--out',
    out,
    '--table',
    'driver_hourly_stats_source=rides.driver_stats',
    '--table',
    'driver_quality_labels_batch=rides.driver_quality_labels',
    '--json',
  ]);
  // The example has a label view, which Floe leaves out: exit 1. Its map, JSON and struct features are imported.
  assert.equal(imported.code, 1, imported.stderr);
  const result = JSON.parse(imported.stdout) as { refusals: { object: string }[]; todos: { object: string }[] };
  assert.deepEqual(
    result.refusals.map((note) => note.object),
    ['label view driver_quality_labels'],
  );
  assert.deepEqual(
    result.todos.map((note) => note.object),
    ['on-demand view transformed_conv_rate', 'on-demand view transformed_conv_rate_fresh'],
  );

  // As a user's project: `import … from 'floe'` resolves to this checkout, type-checked strictly.
  await writeFile(path.join(project, 'package.json'), '{"type": "module"}\n');
  const env = await linkCheckoutAsFloe(project);
  await writeFile(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      // The checkout's own strict settings; Floe's sources as the package's `floe-source` condition exports them.
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: { customConditions: ['floe-source'], typeRoots: [path.join(root, 'node_modules', '@types')] },
      include: [],
      files: ['features.ts', path.join(root, 'iceberg', 'spec', 'avro', 'snappyjs.d.ts')],
    }),
  );
  const typeCheck = await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project]).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  assert.equal(`${typeCheck.stdout}${typeCheck.stderr}`, '', 'the generated features.ts type-checks');

  // Feast's answers.
  const parquet = path.join(directory, 'driver_stats.parquet');
  const expected = await feastOracle({ repo, view: VIEW, features: FEATURES, entity_ids: DRIVERS, parquet, maps: ['driver_metadata'] });
  const catalogFile = path.join(project, 'catalog.db');
  const warehouse = path.join(project, 'warehouse');
  const catalog: OracleCatalog = { type: 'sql', uri: `sqlite:///${catalogFile}`, warehouse: `file://${warehouse}` };
  await writeFile(
    path.join(project, 'floe.yaml'),
    [
      'project: feast_example',
      'catalog:',
      '  type: sql',
      '  name: floe_oracle',
      `  uri: ${JSON.stringify(catalogFile)}`,
      `  warehouse: ${JSON.stringify(warehouse)}`,
      '  create: true',
      'temporal:',
      `  address: ${JSON.stringify(temporalService().address)}`,
      `  taskQueue: feast-import-${randomUUID()}`,
      'workDirectory: work',
      '',
    ].join('\n'),
  );

  // Feast's own data file as it is, loaded as a user does: pandas wrote the Map feature
  // driver_metadata as a struct of its keys, which --map makes the map the import declares.
  const loaded = await floeCommand(
    [
      'table',
      'load',
      path.join(repo, 'data', 'driver_stats.parquet'),
      'rides.driver_stats',
      '--create',
      '--map',
      'driver_metadata',
      '--project',
      project,
    ],
    { env },
  );
  assert.equal(loaded.code, 0, `${loaded.stdout}\n${loaded.stderr}`);
  const { metadata } = await runPyiceberg<MetadataReply>('load_metadata', { catalog, identifier: 'rides.driver_stats' });
  const fields = (metadata['schemas'] as { fields: { name: string; type: unknown }[] }[]).at(-1)!.fields;
  assert.deepEqual(
    fields.filter((field) => field.name.startsWith('driver_') && field.name !== 'driver_id').map((field) => [field.name, field.type]),
    [
      ['driver_metadata', { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'string', 'value-required': false }],
      ['driver_config', 'string'],
      [
        'driver_profile',
        {
          type: 'struct',
          fields: [
            { id: 12, name: 'name', type: 'string', required: false },
            { id: 13, name: 'age', type: 'string', required: false },
          ],
        },
      ],
    ],
  );

  const applied = await floeCommand(['apply', '--project', project], { env });
  assert.equal(applied.code, 0, `${applied.stdout}\n${applied.stderr}`);
  worker = startWorker(project, { env, output: (text) => (workerOutput += text) });
  const materialized = await floeCommand(['materialize', VIEW, '--start', expected.start, '--end', expected.end, '--project', project], {
    env,
  });
  assert.equal(materialized.code, 0, `${materialized.stderr}\nworker:\n${workerOutput}`);
  const read = await floeCommand(
    [
      'get-online',
      ...FEATURES.map((feature) => `${VIEW}:${feature}`),
      '--entity',
      `driver_id=${DRIVERS.join(',')}`,
      '--project',
      project,
      '--json',
    ],
    { env },
  );
  assert.equal(read.code, 0, read.stderr);
  const response = JSON.parse(read.stdout) as { features: { ref: string; values: unknown[]; statuses: string[] }[] };
  for (const feature of FEATURES) {
    const floe = response.features.find((candidate) => candidate.ref === `${VIEW}:${feature}`)!;
    // Feast's Python client returns a Json feature parsed; Floe (like Feast's HTTP server) its text.
    const asFeast = (value: unknown): unknown =>
      typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : feature === 'driver_config' && typeof value === 'string'
          ? JSON.parse(value)
          : value;
    assert.deepEqual(floe.values.map(asFeast), expected.online[feature], feature);
    assert.deepEqual(floe.statuses, [...DRIVERS.slice(0, -1).map(() => 'PRESENT'), 'NOT_FOUND'], feature);
  }
  // The generated definitions are the ones Floe stored.
  assert.match(await readFile(out, 'utf8'), /ttl: \{ days: 1 \}/);

  // Feast's own client on the template, its online store pointed at floe serve: the template's
  // push (Map, Json and Struct values) lands in Floe, and its feature service reads it back.
  // First the import's TODO, as a user does it: the on-demand views' Python ported to TypeScript.
  const generated = await readFile(out, 'utf8');
  const ported = portOnDemandViews(generated);
  assert.equal(ported.split('conv_rate_plus_val2: Number').length, 3, 'both on-demand views are ported');
  await writeFile(out, ported);
  const reapplied = await floeCommand(['apply', '--project', project], { env });
  assert.equal(reapplied.code, 0, `${reapplied.stdout}\n${reapplied.stderr}`);
  const { url, server } = await startServer(project, { env });
  try {
    const answer = await feastTemplateClient({ repo, url });
    const pick = (dict: Record<string, unknown[]>) =>
      Object.fromEntries(
        [
          'conv_rate',
          'avg_daily_trips',
          'driver_metadata',
          'driver_config',
          'driver_profile',
          'conv_rate_plus_val1',
          'conv_rate_plus_val2',
        ].map((name) => [name, dict[name]]),
      );
    // driver_hourly_stats_fresh is fed by the push source only: nothing before the push.
    assert.deepEqual(pick(answer.before), {
      conv_rate: [null, null],
      avg_daily_trips: [null, null],
      driver_metadata: [null, null],
      driver_config: [null, null],
      driver_profile: [null, null],
      conv_rate_plus_val1: [null, null],
      conv_rate_plus_val2: [null, null],
    });
    assert.deepEqual(pick(answer.after), {
      conv_rate: [1, null],
      avg_daily_trips: [1000, null],
      driver_metadata: [{ vehicle_type: 'truck', rating: '5.0' }, null],
      driver_config: ['{"max_distance_km": 500, "preferred_zones": ["north"]}', null],
      driver_profile: [{ name: 'driver_1001_updated', age: '30' }, null],
      conv_rate_plus_val1: [1001, null],
      conv_rate_plus_val2: [2001, null],
    });
  } finally {
    await stopWorker(server);
  }
});

/** test/oracles/feast_template_client.py: Feast's client pushing and reading the template's feature service through `url`. */
async function feastTemplateClient(request: {
  repo: string;
  url: string;
}): Promise<{ before: Record<string, unknown[]>; after: Record<string, unknown[]> }> {
  const { code, stdout, stderr } = await runPython(pythonOracle().python, FEAST_CLIENT, [], {
    env: { ...process.env, FEAST_USAGE: 'False' },
    stdin: JSON.stringify(request),
  });
  assert.equal(code, 0, `Feast's client failed:\n${stderr}`);
  return JSON.parse(stdout) as { before: Record<string, unknown[]>; after: Record<string, unknown[]> };
}

test('floe import feast: bad input exits 2 naming the file or option, and an existing --out is not overwritten', async () => {
  const notADump = path.join(directory, 'registry.db');
  await writeFile(notADump, Buffer.from([0x0a, 0x04, 0x64, 0x65, 0x6d, 0x6f]));
  const protobuf = await floeCommand(['import', 'feast', notADump, '--out', path.join(directory, 'a.ts')]);
  assert.equal(protobuf.code, 2);
  assert.equal(
    protobuf.stderr.split('\n')[0],
    `floe: ${notADump} is not JSON: expected the output of \`feast registry-dump\` (a Feast registry file must be dumped with it first) (file=${notADump})`,
  );

  const dump = path.join(directory, 'empty.json');
  await writeFile(dump, '{"project": "empty"}');
  const badTable = await floeCommand(['import', 'feast', dump, '--out', path.join(directory, 'b.ts'), '--table', 'rides.driver_stats']);
  assert.equal(badTable.code, 2);
  assert.match(badTable.stderr, /^floe: --table rides\.driver_stats: expected <feast source name>=<namespace\.table>/);

  const existing = path.join(directory, 'features.ts');
  await writeFile(existing, '// mine\n');
  const refused = await floeCommand(['import', 'feast', dump, '--out', existing]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /features\.ts exists; give another --out, or --force to overwrite it/);
  assert.equal(await readFile(existing, 'utf8'), '// mine\n');
  const forced = await floeCommand(['import', 'feast', dump, '--out', existing, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(await readFile(existing, 'utf8'), /^\/\/ Imported from the Feast registry of project empty/);
});
