// `floe import feast`'s mapping: the registry `feast init`'s example repository dumps (Feast 0.67,
// test/fixtures/feast) becomes definitions Floe loads into a consistent Registry, and what has no
// Floe equivalent is refused by name with its reason.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { durationOf, importFeastRegistry, parseFeastDuration, parseRegistryDump } from '../../../../features/import/feast-registry.js';
import type { FeastImport } from '../../../../features/import/feast-registry.js';
import { feastFeatureType } from '../../../../features/import/feast-registry-dump.js';
import type { Definition } from '../../../../features/registry.js';
import { Registry } from '../../../../features/registry.js';
import { FloeError } from '../../../../core/errors.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const FIXTURE = path.join(root, 'test', 'fixtures', 'feast', 'init-registry-dump-0.67.json');
const PUBLIC_API = path.join(root, 'public', 'index.ts');

async function initDump() {
  return parseRegistryDump(await readFile(FIXTURE, 'utf8'), 'registry.json');
}

/** Loads generated definitions as `floe apply` would: the module's exports, into a Registry. */
async function load(imported: FeastImport): Promise<Registry> {
  const file = path.join(scratchFolder('feast-import'), 'features.ts');
  await writeFile(file, imported.definitions);
  const module = (await import(pathToFileURL(file).href)) as Record<string, Definition>;
  return new Registry(Object.values(module));
}

test("feast init's repository: entities, sources, views with TTLs and types, services, push and request sources load into Floe", async () => {
  const imported = importFeastRegistry(await initDump(), {
    tables: new Map([
      ['driver_hourly_stats_source', 'rides.driver_stats'],
      ['driver_quality_labels_batch', 'rides.driver_quality_labels'],
    ]),
    floeModule: PUBLIC_API,
  });
  const registry = await load(imported);
  assert.deepEqual(registry.entities.get('driver')!.joinKeys, [{ name: 'driver_id', type: 'long' }]);
  const source = registry.sources.get('driver_hourly_stats_source')!;
  assert.equal(source.table, 'rides.driver_stats');
  assert.equal(source.timestampField, 'event_timestamp');
  assert.equal(source.createdTimestampField, 'created');
  const view = registry.featureViews.get('driver_hourly_stats')!;
  assert.deepEqual(view.ttl, { days: 1 });
  assert.deepEqual(view.tags, { team: 'driver_performance' });
  assert.deepEqual(
    view.features.map((feature) => [feature.name, feature.type]),
    [
      ['conv_rate', 'float'],
      ['acc_rate', 'float'],
      ['avg_daily_trips', 'long'],
      // Feast's Map (of the template's strings), Json and Struct (from its schema tag): issue #54.
      ['driver_metadata', 'map<string,string>'],
      ['driver_config', 'json'],
      ['driver_profile', 'struct<name:string,age:string>'],
    ],
  );
  assert.equal(registry.featureViews.get('driver_hourly_stats_fresh')!.source, 'driver_stats_push_source');
  assert.equal(registry.pushSources.get('driver_stats_push_source')!.batchSource, 'driver_hourly_stats_source');
  assert.deepEqual(registry.requestSources.get('vals_to_add')!.fields, [
    { name: 'val_to_add', type: 'long' },
    { name: 'val_to_add_2', type: 'long' },
  ]);
  assert.deepEqual(registry.featureServices.get('driver_activity_v1')!.features, [
    { featureView: 'driver_hourly_stats', features: ['conv_rate'] },
    { featureView: 'transformed_conv_rate' },
  ]);
  assert.deepEqual([...registry.featureServices.keys()].sort(), ['driver_activity_v1', 'driver_activity_v2', 'driver_activity_v3']);

  const onDemand = registry.onDemandViews.get('transformed_conv_rate')!;
  assert.deepEqual(
    onDemand.sources.map((reference) => reference.name),
    ['driver_hourly_stats', 'vals_to_add'],
  );
  assert.throws(() => onDemand.compute({}), /TODO\(feast import\): on-demand view transformed_conv_rate is not ported/);
  assert.match(imported.definitions, /\/\/ {3}def transformed_conv_rate\(inputs: pd\.DataFrame\) -> pd\.DataFrame:/);
  assert.deepEqual(
    imported.todos.map((note) => note.object),
    ['on-demand view transformed_conv_rate', 'on-demand view transformed_conv_rate_fresh'],
  );
  // The template's view takes the whole driver_hourly_stats view, its Map, Json and Struct features included.
  assert.deepEqual(onDemand.sources[0], { name: 'driver_hourly_stats' });
  assert.equal(imported.todos[0]!.reason, 'its compute is a stub that throws: port its Python (kept beside it as a comment) to TypeScript');

  assert.deepEqual(
    imported.refusals.map((note) => `${note.object}: ${note.reason}`),
    ['label view driver_quality_labels: label views have no Floe equivalent (define a feature view over the labels table)'],
  );
});

test('a source with no Iceberg table named gets a placeholder table and is refused, naming the --table to give', async () => {
  const imported = importFeastRegistry(await initDump(), { floeModule: PUBLIC_API });
  const registry = await load(imported);
  assert.equal(registry.sources.get('driver_hourly_stats_source')!.table, 'feast_import_todo.driver_hourly_stats_source');
  const refusal = imported.refusals.find((note) => note.object === 'data source driver_hourly_stats_source');
  assert.match(
    refusal!.reason,
    /--table driver_hourly_stats_source=<namespace\.table> \(Feast read BATCH_FILE data\/driver_stats\.parquet\)/,
  );
});

test('stream sources, unsupported key types, entity-less views and what depends on them are refused by name', () => {
  const dump = parseRegistryDump(
    JSON.stringify({
      project: 'p',
      entities: [
        { spec: { name: 'user', joinKey: 'user_id', valueType: 'STRING' } },
        { spec: { name: 'session', joinKey: 'session_id', valueType: 'STRING_LIST' } },
      ],
      dataSources: [
        { name: 'clicks', type: 'STREAM_KAFKA', timestampField: 'ts' },
        { name: 'users', type: 'BATCH_SNOWFLAKE', timestampField: 'ts', snowflakeOptions: { table: 'USERS' } },
      ],
      featureViews: [
        {
          spec: {
            name: 'click_counts',
            entities: ['user'],
            features: [{ name: 'clicks', valueType: 'INT64' }],
            streamSource: { name: 'clicks', type: 'STREAM_KAFKA' },
          },
        },
        {
          spec: {
            name: 'by_session',
            entities: ['session'],
            features: [{ name: 'n', valueType: 'INT64' }],
            batchSource: { name: 'users' },
          },
        },
        { spec: { name: 'global', entities: ['__dummy'], features: [{ name: 'n', valueType: 'INT64' }], batchSource: { name: 'users' } } },
        {
          spec: {
            name: 'user_profile',
            entities: ['user'],
            ttl: '5400s',
            online: false,
            features: [
              { name: 'age', valueType: 'INT32' },
              { name: 'tags', valueType: 'MAP_LIST' },
            ],
            batchSource: { name: 'users', type: 'BATCH_SNOWFLAKE', timestampField: 'ts' },
          },
        },
      ],
      streamFeatureViews: [{ spec: { name: 'click_stream' } }],
      featureServices: [
        {
          spec: {
            name: 'model',
            features: [{ featureViewName: 'click_counts' }, { featureViewName: 'user_profile', featureColumns: [{ name: 'age' }] }],
          },
        },
      ],
    }),
    'registry.json',
  );
  const imported = importFeastRegistry(dump, { tables: new Map([['users', 'crm.users']]) });
  assert.deepEqual(
    imported.refusals.map((note) => note.object),
    [
      'stream feature view click_stream',
      'entity session',
      'data source clicks',
      'feature view click_counts',
      'feature view by_session',
      'feature view global',
      'feature user_profile:tags',
      'feature service model: view click_counts',
    ],
  );
  const reasons = new Map(imported.refusals.map((note) => [note.object, note.reason]));
  assert.match(reasons.get('entity session')!, /join key session_id has Feast type STRING_LIST/);
  assert.match(reasons.get('data source clicks')!, /STREAM_KAFKA has no Floe equivalent/);
  assert.match(reasons.get('feature view global')!, /without entities/);
  assert.match(imported.definitions, /ttl: \{ hours: 1, minutes: 30 \},\n {2}online: \{ enabled: false \},/);
  // The service asked for every feature the view kept: the whole view.
  assert.match(imported.definitions, /name: 'model',\n {2}features: \['user_profile'\],/);
});

test('bad input names the file or the --table, and is bad input (exit 2)', async () => {
  const expectBadInput = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof FloeError && error.kind === 'invalid-input' && pattern.test(error.message));
  expectBadInput(
    () => parseRegistryDump('\u0008\u0001binary protobuf', 'registry.db'),
    /^registry\.db is not JSON: expected the output of `feast registry-dump`/,
  );
  expectBadInput(() => parseRegistryDump('{"entities": 3}', 'dump.json'), /^dump\.json is not a Feast registry dump: entities:/);
  const dump = await initDump();
  expectBadInput(
    () => importFeastRegistry(dump, { tables: new Map([['nope', 'a.b']]) }),
    /--table nope=…: the registry has no data source named "nope"/,
  );
  expectBadInput(
    () => importFeastRegistry(dump, { tables: new Map([['driver_hourly_stats_source', 'no_namespace']]) }),
    /--table driver_hourly_stats_source=no_namespace: the Iceberg table must be "namespace.table"/,
  );
});

test('TTLs: protobuf durations in the largest whole units; zero is no TTL, as in Feast', () => {
  assert.equal(parseFeastDuration('0s'), null);
  assert.equal(parseFeastDuration(undefined), null);
  assert.equal(parseFeastDuration('86400s'), 86_400);
  assert.deepEqual(durationOf(86_400), { days: 1 });
  assert.deepEqual(durationOf(2 * 86_400 + 3_600 + 1.5), { days: 2, hours: 1, seconds: 1.5 });
  assert.throws(() => parseFeastDuration('1d'), /TTL "1d" is not a protobuf duration/);
});

test("names and text with quotes, backslashes and Python's own comments come out as valid TypeScript", async () => {
  const dump = await initDump();
  const view = dump.featureViews.find((candidate) => candidate.spec.name === 'driver_hourly_stats')!.spec;
  view.description = `it's a "view" \\ with */ and \${no} template`;
  const onDemand = dump.onDemandFeatureViews[0]!.spec;
  onDemand.userDefinedFunction = { body: "def f(inputs):\n    return inputs  # it's */ done\n" };
  const imported = importFeastRegistry(dump, { floeModule: PUBLIC_API });
  const registry = await load(imported);
  assert.equal(registry.featureViews.get('driver_hourly_stats')!.description, view.description);
  assert.match(imported.definitions, /\/\/ {7}return inputs {2}# it's \*\/ done\n/);
});

test('a list request field and on-demand feature (embeddings) are imported as lists; a timestamp, which compute cannot return, is refused by name', async () => {
  const dump = await initDump();
  const request = dump.dataSources.find((source) => source.name === 'vals_to_add')!;
  request.requestDataOptions!.schema = [...(request.requestDataOptions!.schema ?? []), { name: 'query', valueType: 'DOUBLE_LIST' }];
  const onDemand = dump.onDemandFeatureViews[0]!.spec;
  onDemand.features = [
    ...(onDemand.features ?? []),
    { name: 'embedding', valueType: 'FLOAT_LIST' },
    { name: 'ids', valueType: 'INT64_LIST' },
    { name: 'scored_at', valueType: 'UNIX_TIMESTAMP' },
  ];
  const imported = importFeastRegistry(dump, { floeModule: PUBLIC_API });
  const registry = await load(imported);
  assert.deepEqual(
    registry.onDemandViews.get(onDemand.name)!.features.map((feature) => [feature.name, feature.type]),
    [
      ['conv_rate_plus_val1', 'double'],
      ['conv_rate_plus_val2', 'double'],
      ['embedding', 'list<float>'],
      ['ids', 'list<long>'],
    ],
  );
  assert.deepEqual(registry.requestSources.get('vals_to_add')!.fields.at(-1), { name: 'query', type: 'list<double>' });
  assert.equal(
    imported.refusals.find((note) => note.object === `feature ${onDemand.name}:scored_at`)?.reason,
    'on-demand features are boolean, int, long, float, double, string, or a list of one',
  );
});

test('Feast list, map, JSON and struct types become Floe nested types; what has none is said', () => {
  const cases: [Record<string, unknown>, ReturnType<typeof feastFeatureType>][] = [
    [{ valueType: 'FLOAT_LIST' }, { type: 'list<float>' }],
    [{ valueType: 'DOUBLE_LIST' }, { type: 'list<double>' }],
    [{ valueType: 'INT64_LIST' }, { type: 'list<long>' }],
    [{ valueType: 'MAP' }, { type: 'map<string,string>' }],
    [{ valueType: 'JSON' }, { type: 'json' }],
    [
      {
        valueType: 'STRUCT',
        tags: {
          'feast:struct_schema': '{"name": "STRING", "scores": "Array(FLOAT64)", "home": "{\\"__struct__\\": {\\"city\\": \\"STRING\\"}}"}',
        },
      },
      { type: 'struct<name:string,scores:list<double>,home:struct<city:string>>' },
    ],
    [{ valueType: 'STRUCT' }, { problem: 'Feast type STRUCT without its feast:struct_schema tag has no field types' }],
    [
      { valueType: 'STRUCT', tags: { 'feast:struct_schema': '{"x": "PDF_BYTES"}' } },
      { problem: 'Feast struct schema {"x": "PDF_BYTES"}: field type PDF_BYTES has no Floe type' },
    ],
    [{ valueType: 'MAP_LIST' }, { problem: 'Feast type MAP_LIST has no Floe column type' }],
  ];
  for (const [column, expected] of cases) assert.deepEqual(feastFeatureType({ name: 'f', ...column }), expected, JSON.stringify(column));
});
