// Nested and JSON features end to end on a local catalog (issue #54 item 6): plan accepts a
// declaration of the column's own shape (list<float> widened to list<double> included) and refuses
// another one at plan, materialization and training alike, naming view, feature and both types; the
// online table gets a column per feature with fresh ids for every field inside; materialization
// writes the latest values; online reads present them (longs exact, nulls inside kept) in Feast's
// JSON shape; the training set returns the same values, typed as declared.
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { projectConfigSchema } from '../../../features/config.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { defineOnDemandView, defineRequestSource } from '../../../features/on-demand.js';
import type { OnDemandValue } from '../../../features/on-demand.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { planApply } from '../../../features/registry-store/apply.js';
import type { Definition, Registry } from '../../../features/registry.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import type { IcebergType } from '../../../iceberg/spec/types.js';
import { feastResponseJson } from '../../../server/feast-response.js';
import { checkConsistency } from '../../../features/consistency/check.js';
import { displayValue, sameFeatureValue } from '../../../features/consistency/compare.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import { toIcebergValue } from '../../../engine/values.js';
import { commitTrainingSet, planTrainingSet, writeTrainingSetChunk } from '../../../features/training-set/index.js';
import type { TrainingSetRequest } from '../../../features/training-set/index.js';
import { typeText } from '../../../iceberg/spec/types.js';
import { at, timestampVector } from '../../support/features/historical-builders.js';
import { createNestedSource, NESTED_EXPECTED, nestedDefinitions } from '../../support/features/nested-source.js';
import type { Workspace } from '../../support/features/tables.js';
import { withWorkspace } from '../../support/features/tables.js';

const NOW_MS = Number(at(100) / 1000n);
const WINDOW = { start: new Date(Number(at(-10) / 1000n)), end: new Date(NOW_MS) };
const ENTITY_ROWS = [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }];
const ENTITIES = new arrow.Table({
  driver_id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
  event_timestamp: timestampVector([at(50), at(50), at(50)]),
});

async function withOnlineWorkspace(fn: (workspace: Workspace) => Promise<void>): Promise<void> {
  await withWorkspace(async (workspace) => {
    await workspace.engine.withConnection(async (connection) => registerIcebergFunctions(connection));
    await fn(workspace);
  });
}

/** An online store over `registry` on the workspace's catalog, its clock at NOW_MS. */
function onlineStore(workspace: Workspace, registry: Registry): OnlineStore {
  return new OnlineStore({ registry, catalog: workspace.catalog, engine: workspace.engine, clock: () => NOW_MS });
}

/**
 * The nested source's view materialized into its online table, in a context with `more` beside the
 * source's own definitions (`base`): on-demand views and request sources over it.
 */
async function materializedNested(workspace: Workspace, more: readonly Definition[]) {
  const work = path.join(workspace.directory, 'work');
  await createNestedSource({ catalog: workspace.catalog, engine: workspace.engine, identifier: 'src.drivers', workDirectory: work });
  const base = nestedDefinitions('src.drivers', { onlineTable: 'floe_online.profiles' });
  const context = workspace.context([...base, ...more]);
  const { registry } = context;
  await ensureOnlineTable(workspace.catalog, onlineTableLayout(registry, registry.featureView('profiles')));
  await materializeWindow(context, 'profiles', WINDOW, 'on-demand');
  return { base, context, store: onlineStore(workspace, registry) };
}

/** Every field id in a type (the column's own excluded). */
function nestedIds(type: IcebergType): number[] {
  if (typeof type === 'string') return [];
  if (type.type === 'list') return [type.elementId, ...nestedIds(type.element)];
  if (type.type === 'map') return [type.keyId, type.valueId, ...nestedIds(type.key), ...nestedIds(type.value)];
  return type.fields.flatMap((field) => [field.id, ...nestedIds(field.type)]);
}

/** An Arrow value as plain JS: lists as arrays, structs and maps as objects. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof arrow.Vector) return [...value].map(plain);
  if (typeof value !== 'object') return value;
  const json = (value as { toJSON(): unknown }).toJSON();
  const entries = json instanceof Map ? [...json] : Object.entries(json as object);
  return Object.fromEntries(entries.map(([key, item]) => [key, plain(item)]));
}

/** compute's argument as JSON with its keys sorted, so online and offline compare as text. */
function describeInputs(inputs: Readonly<Record<string, OnDemandValue>>): string {
  const sorted = (value: OnDemandValue): unknown =>
    value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array
      ? value
      : Array.isArray(value)
        ? value.map(sorted)
        : Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, sorted((value as Readonly<Record<string, OnDemandValue>>)[key]!)]),
          );
  return JSON.stringify(sorted(inputs));
}

describe('nested and JSON features', () => {
  it('plan, online table, materialization, online reads (Feast JSON) and the training set agree', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const work = path.join(workspace.directory, 'work');
      await createNestedSource({ catalog: workspace.catalog, engine: workspace.engine, identifier: 'src.drivers', workDirectory: work });
      const context = workspace.context(nestedDefinitions('src.drivers', { onlineTable: 'floe_online.profiles' }));
      const config = projectConfigSchema.parse({
        project: 'p',
        catalog: { type: 'sql', uri: path.join(workspace.directory, 'catalog.db'), warehouse: path.join(workspace.directory, 'warehouse') },
      });
      const plan = await planApply({ config, registry: context.registry, catalog: workspace.catalog });
      assert.deepEqual(plan.problems, []);

      const { registry } = context;
      const table = await ensureOnlineTable(workspace.catalog, onlineTableLayout(registry, registry.featureView('profiles')));
      const schema = currentSchema(table.metadata);
      const ids = schema.fields.flatMap((field) => [field.id, ...nestedIds(field.type)]);
      assert.equal(new Set(ids).size, ids.length, `every field id is its own: ${ids.join(', ')}`);
      assert.equal(Math.max(...ids), table.metadata.lastColumnId);
      const types = Object.fromEntries(schema.fields.map((field) => [field.name, field.type]));
      assert.deepEqual(
        Object.fromEntries(['embedding', 'scores', 'meta', 'profile', 'config'].map((name) => [name, JSON.stringify(types[name])])),
        {
          embedding: JSON.stringify({ type: 'list', elementId: 10, element: 'float', elementRequired: false }),
          scores: JSON.stringify({ type: 'list', elementId: 11, element: 'double', elementRequired: false }),
          meta: JSON.stringify({ type: 'map', keyId: 12, key: 'string', valueId: 13, value: 'long', valueRequired: false }),
          profile: JSON.stringify({
            type: 'struct',
            fields: [
              { id: 14, name: 'name', required: false, type: 'string' },
              { id: 15, name: 'age', required: false, type: 'int' },
            ],
          }),
          config: JSON.stringify('string'),
        },
      );

      await materializeWindow(context, 'profiles', WINDOW, 'nested-1');
      const store = onlineStore(workspace, registry);
      const online = await store.getOnlineFeatures({ features: ['profiles'], entityRows: ENTITY_ROWS });
      const onlineValues = Object.fromEntries(online.features.map((feature) => [feature.feature, feature.values]));
      assert.deepEqual(onlineValues, NESTED_EXPECTED);
      assert.deepEqual(
        online.features.map((feature) => feature.statuses),
        online.features.map(() => ['PRESENT', 'PRESENT', 'NOT_FOUND']),
      );

      // Feast's feature server writes lists as arrays, maps and structs as objects, Json as its text.
      const json = JSON.parse(
        feastResponseJson(online, { fullFeatureNames: false }).replace(/9007199254740993/g, '"9007199254740993"'),
      ) as { metadata: { feature_names: string[] }; results: { values: unknown[] }[] };
      const byName = Object.fromEntries(json.metadata.feature_names.map((name, index) => [name, json.results[index]!.values]));
      assert.deepEqual(byName['embedding'], [[0.5, -1.25, 3], [1.5, null], null]);
      assert.deepEqual(byName['meta'], [{ a: 1, big: '9007199254740993' }, {}, null], 'the long inside the map is written exact');
      assert.deepEqual(byName['profile'], [{ name: 'Ann', age: 42 }, { name: null, age: 7 }, null]);
      assert.deepEqual(byName['config'], ['{"tier":"gold","limits":[1,2]}', null, null]);

      const offline = await getHistoricalFeatures(context, { entities: ENTITIES, features: ['profiles'] }).toArrow();
      for (const name of Object.keys(NESTED_EXPECTED)) {
        const vector = offline.getChild(name)!;
        const values = Array.from({ length: vector.length }, (_, index) => plain(vector.get(index)));
        assert.deepEqual(values, NESTED_EXPECTED[name], `${name}: the training set's values are the online ones`);
      }
      assert.equal(String(offline.getChild('scores')!.type), 'List<Float64>', 'list<float> declared list<double> reads as doubles');
      assert.equal(String(offline.getChild('embedding')!.type), 'List<Float32>');

      // floe consistency: online and offline agree value by value, nested values compared field by field.
      const report = await checkConsistency(context, 'profiles', { now: new Date(NOW_MS) });
      assert.equal(report.sampled, 2);
      assert.deepEqual(
        report.features.map((feature) => [feature.feature, feature.mismatches]),
        Object.keys(NESTED_EXPECTED).map((name) => [name, 0]),
      );
      // …which tells nested values apart: an element, a key, a field, a length.
      assert.ok(sameFeatureValue([0.5, null], [0.5, null]) && sameFeatureValue({ a: 1n, b: [1] }, { b: [1], a: 1 }));
      for (const [a, b] of [
        [
          [0.5, -1.25],
          [0.5, -1.5],
        ],
        [[0.5], [0.5, null]],
        [{ a: 1n }, { b: 1n }],
        [{ a: 1n }, { a: 1n, b: null }],
        [{ name: 'Ann' }, ['Ann']],
        [[1], '[1]'],
      ] as const)
        assert.equal(sameFeatureValue(a, b), false, `${displayValue(a)} is not ${displayValue(b)}`);
    });
  });

  it('an on-demand view computes from nested and JSON features, with the same inputs online and offline', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const seen = defineOnDemandView({
        name: 'seen',
        sources: ['profiles'],
        features: [
          { name: 'inputs', type: 'string' },
          { name: 'first_embedding', type: 'double' },
          { name: 'read_twice_same', type: 'boolean' },
        ],
        compute: ({ profiles: inputs }) => {
          const embedding = inputs!['embedding'] as readonly (number | null)[] | null;
          return {
            first_embedding: embedding?.[0] ?? null,
            // Offline, a nested input is read when compute first reads it, and then kept.
            read_twice_same: inputs!['profile'] === inputs!['profile'],
            inputs: describeInputs(inputs!),
          };
        },
      });
      const { context, store } = await materializedNested(workspace, [seen]);
      const features = ['seen:inputs', 'seen:first_embedding', 'seen:read_twice_same'];
      const online = await store.getOnlineFeatures({ features, entityRows: ENTITY_ROWS });
      const offline = await getHistoricalFeatures(context, { entities: ENTITIES, features }).toArrow();
      // Lists as arrays, maps and structs as objects (nulls inside kept), a long as a number, JSON as its text.
      const wanted = [
        '{"config":"{\\"tier\\":\\"gold\\",\\"limits\\":[1,2]}","embedding":[0.5,-1.25,3],"meta":{"a":1,"big":9007199254740992},"profile":{"age":42,"name":"Ann"},"scores":[0.10000000149011612]}',
        '{"config":null,"embedding":[1.5,null],"meta":{},"profile":{"age":7,"name":null},"scores":[]}',
        '{"config":null,"embedding":null,"meta":null,"profile":null,"scores":null}',
      ];
      assert.deepEqual(online.features.find((feature) => feature.feature === 'inputs')!.values, wanted, 'online');
      assert.deepEqual(plain(offline.getChild('inputs')!), wanted, 'offline');
      assert.deepEqual(online.features.find((feature) => feature.feature === 'first_embedding')!.values, [0.5, 1.5, null]);
      assert.deepEqual(plain(offline.getChild('first_embedding')!), [0.5, 1.5, null]);
      assert.deepEqual(online.features.find((feature) => feature.feature === 'read_twice_same')!.values, [true, true, true]);
      assert.deepEqual(plain(offline.getChild('read_twice_same')!), [true, true, true]);
    });
  });

  it('an on-demand view computes list features: the same online, offline and in Feast JSON; an item of another type is refused', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const derived = defineOnDemandView({
        name: 'derived',
        sources: ['profiles'],
        features: [
          { name: 'doubled', type: 'list<double>' },
          { name: 'keys', type: 'list<string>' },
          { name: 'ids', type: 'list<long>' },
          { name: 'scores32', type: 'list<float>' },
        ],
        compute: ({ profiles: inputs }) => {
          const embedding = inputs!['embedding'] as readonly (number | null)[] | null;
          const meta = inputs!['meta'] as Readonly<Record<string, number | null>> | null;
          return {
            doubled: embedding?.map((value) => (value === null ? null : value * 2)) ?? null,
            keys: meta === null ? null : Object.keys(meta).sort(),
            ids: meta === null ? null : [9_223_372_036_854_775_807n, meta['a'] ?? null],
            scores32: (inputs!['scores'] as readonly number[] | null)?.map((score) => score + 0.1) ?? null,
          };
        },
      });
      const { base, context, store } = await materializedNested(workspace, [derived]);
      const features = ['derived:doubled', 'derived:keys', 'derived:ids', 'derived:scores32'];
      const online = await store.getOnlineFeatures({ features, entityRows: ENTITY_ROWS });
      const offline = await getHistoricalFeatures(context, { entities: ENTITIES, features }).toArrow();
      const wanted = {
        doubled: [[1, -2.5, 6], [3, null], null],
        keys: [['a', 'big'], [], null],
        ids: [[9_223_372_036_854_775_807n, 1n], [9_223_372_036_854_775_807n, null], null],
        scores32: [[Math.fround(0.10000000149011612 + 0.1)], [], null],
      };
      for (const [name, values] of Object.entries(wanted)) {
        assert.deepEqual(online.features.find((feature) => feature.feature === name)!.values, values, `${name} online`);
        assert.deepEqual(plain(offline.getChild(name)!), values, `${name} offline`);
      }
      assert.deepEqual(
        offline.schema.fields.slice(-4).map((field) => String(field.type)),
        ['List<Float64>', 'List<Utf8>', 'List<Int64>', 'List<Float32>'],
      );
      assert.match(
        feastResponseJson(online, { fullFeatureNames: false }),
        /"values":\[\[9223372036854775807,1\],\[9223372036854775807,null\],null\]/,
      );

      const wrong = (value: unknown) =>
        workspace.context([
          ...base,
          defineOnDemandView({
            name: 'wrong',
            sources: ['profiles'],
            features: [{ name: 'doubled', type: 'list<double>' }],
            compute: () => ({ doubled: value as never }),
          }),
        ]);
      for (const [value, shown] of [
        [['x'], '["x"]'],
        [1.5, '1.5'],
      ] as const) {
        const refused = (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          error.message.startsWith(`On-demand view wrong: compute returned ${shown} for feature doubled, which is a list<double>`);
        const wrongContext = wrong(value);
        await assert.rejects(
          onlineStore(workspace, wrongContext.registry).getOnlineFeatures({ features: ['wrong:doubled'], entityRows: ENTITY_ROWS }),
          refused,
        );
        await assert.rejects(getHistoricalFeatures(wrongContext, { entities: ENTITIES, features: ['wrong:doubled'] }).toArrow(), refused);
      }
    });
  });

  it('a list request field (a query embedding) reaches compute as an array, online and offline; an item or column of another type is refused', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const query = defineRequestSource({ name: 'query', fields: [{ name: 'vector', type: 'list<double>' }] });
      const similar = defineOnDemandView({
        name: 'similar',
        sources: ['profiles:embedding', query],
        features: [{ name: 'dot', type: 'double' }],
        compute: ({ profiles: stored, query: request }) => {
          const embedding = stored!['embedding'] as readonly (number | null)[] | null;
          const vector = request!['vector'] as readonly (number | null)[] | null;
          if (embedding === null || vector === null) return { dot: null };
          return { dot: embedding.reduce<number>((sum, value, index) => sum + (value ?? 0) * (vector[index] ?? 0), 0) };
        },
      });
      const { context, store } = await materializedNested(workspace, [query, similar]);
      // Embeddings: [0.5, -1.25, 3], [1.5, null], none. The CLI sends the list as JSON text.
      const vectors = [[2, 4, 1], '[2, null]', [1, 1, 1]];
      const online = await store.getOnlineFeatures({
        features: ['similar:dot'],
        entityRows: ENTITY_ROWS.map((row, index) => ({ ...row, vector: vectors[index] })),
      });
      const wanted = [0.5 * 2 - 1.25 * 4 + 3 * 1, 1.5 * 2, null];
      assert.deepEqual(online.features[0]!.values, wanted, 'online');
      const entities = (vectorType: arrow.DataType, values: unknown[]) =>
        new arrow.Table({
          driver_id: ENTITIES.getChild('driver_id')!,
          event_timestamp: ENTITIES.getChild('event_timestamp')!,
          vector: arrow.vectorFromArray(values, vectorType),
        });
      const listOf = (type: arrow.DataType) => new arrow.List(new arrow.Field('item', type, true));
      const offline = await getHistoricalFeatures(context, {
        entities: entities(listOf(new arrow.Float64()), [
          [2, 4, 1],
          [2, null],
          [1, 1, 1],
        ]),
        features: ['similar:dot'],
      }).toArrow();
      assert.deepEqual(plain(offline.getChild('dot')!), wanted, 'offline');

      await assert.rejects(
        store.getOnlineFeatures({ features: ['similar:dot'], entityRows: [{ driver_id: 1, vector: [1, 'x'] }] }),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          error.message.startsWith('Entity row 0: request field vector must be a list<double>, got [1,"x"]'),
      );
      await assert.rejects(
        getHistoricalFeatures(context, {
          entities: entities(listOf(new arrow.Utf8()), [['a'], ['b'], ['c']]),
          features: ['similar:dot'],
        }).toArrow(),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          /Entity column "vector" \(the request field of request source query.*\) holds VARCHAR\[\] values; expected lists of numbers/.test(
            error.message,
          ),
      );
    });
  });

  it('a training set written as an Iceberg table keeps the nested columns, with a field id for every field inside', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const work = path.join(workspace.directory, 'work');
      await createNestedSource({ catalog: workspace.catalog, engine: workspace.engine, identifier: 'src.drivers', workDirectory: work });
      const context = workspace.context(nestedDefinitions('src.drivers', { onlineTable: 'floe_online.profiles' }));
      const entityFile = path.join(workspace.directory, 'entities.parquet');
      await workspace.engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT * FROM (VALUES (1::BIGINT, TIMESTAMPTZ '2030-01-01 00:00:00+00'), (2, TIMESTAMPTZ '2030-01-01 00:00:00+00'), (3, TIMESTAMPTZ '2030-01-01 00:00:00+00')) AS t(driver_id, event_timestamp)) TO ${quoteLiteral(entityFile)} (FORMAT parquet)`,
        ),
      );
      const request: TrainingSetRequest = {
        entities: { parquet: [entityFile] },
        features: ['profiles'],
        output: { table: 'datasets.profiles' },
      };
      const key = 'training-set-nested';
      const plan = await planTrainingSet(context, request, { key, chunkRows: 2 });
      const chunks = [];
      for (const chunk of plan.chunks)
        chunks.push(await writeTrainingSetChunk(context, request, { key, chunk, entitySnapshotId: null, attempt: 1 }));
      await commitTrainingSet(context, request, { key, chunks });

      const table = await workspace.catalog.loadTable({ namespace: ['datasets'], name: 'profiles' });
      const schema = currentSchema(table.metadata);
      const ids = schema.fields.flatMap((field) => [field.id, ...nestedIds(field.type)]);
      assert.equal(new Set(ids).size, ids.length, `every field id is its own: ${ids.join(', ')}`);
      assert.deepEqual(
        Object.fromEntries(
          schema.fields.filter((field) => typeof field.type !== 'string').map((field) => [field.name, typeText(field.type)]),
        ),
        { embedding: 'list<float>', scores: 'list<double>', meta: 'map<string,long>', profile: 'struct<name:string,age:int>' },
      );
      const scan = await scanTable(table);
      const rows = await workspace.engine.withConnection(async (connection) =>
        (await connection.runAndReadAll(`SELECT embedding, scores, meta, profile, config FROM (${scan.sql}) ORDER BY driver_id`)).getRows(),
      );
      const names = ['embedding', 'scores', 'meta', 'profile', 'config'];
      const types = names.map((name) => schema.fields.find((field) => field.name === name)!.type);
      const read = Object.fromEntries(names.map((name, index) => [name, rows.map((row) => toIcebergValue(row[index]!, types[index]!))]));
      assert.deepEqual(read, NESTED_EXPECTED);
    });
  });

  it('a nested declaration of another shape is refused at plan, materialization and training, naming view, feature and both types', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const work = path.join(workspace.directory, 'work');
      await createNestedSource({ catalog: workspace.catalog, engine: workspace.engine, identifier: 'src.drivers', workDirectory: work });
      const config = projectConfigSchema.parse({
        project: 'p',
        catalog: { type: 'sql', uri: path.join(workspace.directory, 'catalog.db'), warehouse: path.join(workspace.directory, 'warehouse') },
      });
      const cases: [feature: string, declared: string, actual: string][] = [
        ['embedding', 'list<int>', 'list<float>'],
        ['meta', 'map<string,int>', 'map<string,long>'],
        // What floe import feast writes for a Feast Map, which keeps no value type.
        ['meta', 'map<string,string>', 'map<string,long>'],
        // A map over a struct column (pandas writes a dict column so): the refusal names floe table load's --map.
        ['profile', 'map<string,string>', 'struct<name:string,age:int>'],
        ['profile', 'struct<age:int,name:string>', 'struct<name:string,age:int>'],
        ['config', 'list<string>', 'string'],
        ['embedding', 'json', 'list<float>'],
      ];
      for (const [feature, declared, actual] of cases) {
        const context = workspace.context(
          nestedDefinitions('src.drivers', { onlineTable: 'floe_online.refused', features: [{ name: feature, type: declared }] }),
        );
        const wanted = `Feature view profiles: feature ${feature} is declared ${declared}, but source drivers (table src.drivers) has it as ${actual}; declare ${actual}`;
        const plan = await planApply({ config, registry: context.registry, catalog: workspace.catalog });
        assert.equal(plan.problems.length, 1, plan.problems.join('\n'));
        assert.ok(plan.problems[0]!.startsWith(wanted), plan.problems[0]);
        assert.equal(
          plan.problems[0]!.includes('floe table load --create --map profile'),
          declared.startsWith('map<') && actual.startsWith('struct<'),
          plan.problems[0],
        );
        const refused = (error: unknown): boolean =>
          FloeError.is(error, 'invalid-input') && !error.retryable && error.message.includes(wanted);
        await assert.rejects(materializeWindow(context, 'profiles', WINDOW, `refused-${feature}-${declared}`), refused);
        await assert.rejects(getHistoricalFeatures(context, { entities: ENTITIES, features: ['profiles'] }).toArrow(), refused);
      }
    });
  });
});
