// Feast's own Python client against Floe's feature server (issue #41): a Feast repository whose
// online store is `{type: remote, path: <the server>}` calls get_online_features (plain views, a
// feature service, full names, composite keys, missing entities, TTL-expired rows),
// write_to_online_store and push, through Feast 0.67 (one request per call) and Feast 0.60 (the
// older shape: one request per view, only the first join key, no Content-Type). Every value Feast
// answers is compared with OnlineStore.getOnlineFeatures on the same data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appendQuery } from '../../../engine/append-query.js';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialization.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { OnlineValue } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { testRuntime } from '../../support/runtime.js';
import { oldFeastPython, pythonOracle } from '../../support/services.js';
import { appendSource, createSource, sqlCase, VIEW } from '../online/online-fixture.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'driver.py');
const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');
const WINDOW = { start: new Date(START), end: new Date(START + 24 * HOUR) };
const CLOCK = START + 24 * HOUR;
const CITY_VIEW = 'driver_city_view';
const LIVE_VIEW = 'driver_live';

let scratch: string;
let runtime: Runtime;
let store: OnlineStore;
let server: FastifyInstance;
let url: string;
const seen: { route: string; contentType: string | undefined; keys: string[]; joinKeys: string[] }[] = [];

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'floe-feast-client-'));
  runtime = await testRuntime({
    directory: scratch,
    catalog: sqlCase(scratch).config,
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineEntity({ name: 'city', joinKeys: [{ name: 'city', type: 'string' }] }),
      defineIcebergSource({
        name: 'driver_source',
        table: 'rides.driver_stats',
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      }),
      defineIcebergSource({ name: 'driver_city_source', table: 'rides.driver_city', timestampField: 'event_timestamp' }),
      defineIcebergSource({
        name: 'driver_live_source',
        table: 'rides.driver_live',
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      }),
      definePushSource({ name: 'driver_push', batchSource: 'driver_live_source' }),
      defineFeatureView({
        name: VIEW,
        entities: ['driver'],
        source: 'driver_source',
        features: [
          { name: 'conv_rate', type: 'double' },
          { name: 'trips', type: 'long' },
        ],
        ttl: { hours: 6 },
        online: { buckets: 4 },
      }),
      defineFeatureView({
        name: CITY_VIEW,
        entities: ['driver', 'city'],
        source: 'driver_city_source',
        features: [
          { name: 'rides', type: 'long' },
          { name: 'rating', type: 'double' },
        ],
        online: { buckets: 4 },
      }),
      defineFeatureView({
        name: LIVE_VIEW,
        entities: ['driver'],
        source: 'driver_push',
        features: [
          { name: 'conv_rate', type: 'double' },
          { name: 'trips', type: 'long' },
        ],
        online: { buckets: 4 },
      }),
      defineFeatureService({ name: 'driver_trips_model', features: [`${VIEW}:trips`] }),
    ],
  });
  const context = {
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
  };
  await createSource(runtime.catalog, 'rides.driver_stats');
  await createSource(runtime.catalog, 'rides.driver_live');
  // 1001 an hour before the clock, 1002 twelve hours before it (expired at the 6 h TTL), 1003 corrected later.
  await appendSource(context, 'rides.driver_stats', [
    { driver_id: 1001, conv_rate: 0.25, trips: 7, event: CLOCK - HOUR, created: CLOCK - HOUR },
    { driver_id: 1002, conv_rate: 0.75, trips: 9, event: CLOCK - 12 * HOUR, created: CLOCK - 12 * HOUR },
    { driver_id: 1003, conv_rate: 0.125, trips: 1, event: CLOCK - 3 * HOUR, created: CLOCK - 3 * HOUR },
    { driver_id: 1003, conv_rate: 0.375, trips: 2, event: CLOCK - 3 * HOUR, created: CLOCK - 2 * HOUR },
  ]);
  const city = parseTableIdentifier('rides.driver_city');
  await runtime.catalog.createTable(city, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'driver_id', type: 'long', required: true },
        { id: 2, name: 'city', type: 'string', required: true },
        { id: 3, name: 'rides', type: 'long', required: false },
        { id: 4, name: 'rating', type: 'double', required: false },
        { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
      ],
    },
  });
  const at = `CAST('${new Date(CLOCK - 2 * HOUR).toISOString()}' AS TIMESTAMPTZ)`;
  await appendQuery({
    ...context,
    identifier: city,
    query: `SELECT * FROM (VALUES (1001::BIGINT, 'ams', 11::BIGINT, 4.5::DOUBLE, ${at}), (1001::BIGINT, 'rtm', 3::BIGINT, 3.25::DOUBLE, ${at}), (1002::BIGINT, 'ams', 5::BIGINT, 5.0::DOUBLE, ${at})) AS v(driver_id, city, rides, rating, event_timestamp)`,
  });
  await materializeWindow(context, VIEW, WINDOW, 'feast-client-stats');
  await materializeWindow(context, CITY_VIEW, WINDOW, 'feast-client-city');
  store = new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: path.join(scratch, 'push'),
    push: { maxDelayMs: 10 },
    clock: () => CLOCK,
  });
  server = createFeatureServer({ store });
  // What each client sent: the shape of its requests is part of what is tested.
  server.addHook('preHandler', async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    seen.push({
      route: request.url,
      contentType: request.headers['content-type'],
      keys: Object.keys(body ?? {}).sort(),
      joinKeys: Object.keys((body?.entities as object | undefined) ?? {}).sort(),
    });
  });
  url = await server.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await runtime?.close();
  await rm(scratch, { recursive: true, force: true });
});

type Row = Record<string, string | number>;
type Call =
  | { name: string; op: 'get'; features?: string[]; feature_service?: string; entity_rows: Row[]; full_feature_names?: boolean }
  | { name: string; op: 'write'; feature_view_name: string; df: Record<string, unknown[]> }
  | { name: string; op: 'push'; push_source_name: string; df: Record<string, unknown[]> };
interface Answer {
  readonly name: string;
  readonly ok: boolean;
  readonly result?: Record<string, unknown[]> | null;
  readonly error?: string;
}

/** Runs the calls through Feast's client in one Python process (one repository), answers by call name. */
async function feast(python: string, calls: readonly Call[]): Promise<Map<string, Answer>> {
  const repo = await mkdtemp(path.join(scratch, 'feast-repo-'));
  const child = spawn(python, [DRIVER, repo, url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(calls));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 0, `the Feast driver failed:\n${stderr.slice(-4000)}`);
  const answers = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Answer);
  assert.equal(answers.length, calls.length, `answers:\n${stdout}\n${stderr.slice(-2000)}`);
  return new Map(answers.map((answer) => [answer.name, answer]));
}

/** What Floe's library answers for a get call, as Feast's to_dict(): keys first, then features (null unless PRESENT). */
async function expected(call: Extract<Call, { op: 'get' }>): Promise<Record<string, unknown[]>> {
  const response = await store.getOnlineFeatures(
    call.feature_service !== undefined
      ? { featureService: call.feature_service, entityRows: call.entity_rows }
      : { features: call.features!, entityRows: call.entity_rows },
  );
  const dict: Record<string, unknown[]> = {};
  for (const entity of response.entities) dict[entity.name] = entity.values.map(plain);
  for (const feature of response.features)
    dict[call.full_feature_names === true ? `${feature.featureView}__${feature.feature}` : feature.feature] = feature.values.map(
      (value, index) => (feature.statuses[index] === 'PRESENT' ? plain(value) : null),
    );
  return dict;
}

function plain(value: OnlineValue): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

const READS: Extract<Call, { op: 'get' }>[] = [
  {
    name: 'plain view: present, TTL-expired, corrected and missing entities',
    op: 'get',
    features: [`${VIEW}:conv_rate`, `${VIEW}:trips`],
    entity_rows: [{ driver_id: 1001 }, { driver_id: 1002 }, { driver_id: 1003 }, { driver_id: 4242 }],
  },
  {
    name: 'full feature names',
    op: 'get',
    features: [`${VIEW}:conv_rate`, `${VIEW}:trips`],
    entity_rows: [{ driver_id: 1001 }, { driver_id: 1003 }],
    full_feature_names: true,
  },
  { name: 'feature service', op: 'get', feature_service: 'driver_trips_model', entity_rows: [{ driver_id: 1001 }, { driver_id: 4242 }] },
  {
    name: 'composite keys, one missing',
    op: 'get',
    features: [`${CITY_VIEW}:rides`, `${CITY_VIEW}:rating`],
    entity_rows: [
      { driver_id: 1001, city: 'ams' },
      { driver_id: 1001, city: 'rtm' },
      { driver_id: 1002, city: 'ams' },
      { driver_id: 1002, city: 'rtm' },
    ],
  },
  {
    name: 'two views in one call',
    op: 'get',
    features: [`${VIEW}:trips`, `${CITY_VIEW}:rides`],
    entity_rows: [
      { driver_id: 1001, city: 'ams' },
      { driver_id: 1002, city: 'rtm' },
    ],
  },
];

function writeAndPush(drivers: { written: number[]; pushed: number[] }): Call[] {
  const at = (driver: number) => new Date(CLOCK - HOUR + driver).toISOString();
  return [
    {
      name: 'write_to_online_store',
      op: 'write',
      feature_view_name: LIVE_VIEW,
      df: {
        driver_id: drivers.written,
        conv_rate: drivers.written.map((driver) => driver / 8),
        trips: drivers.written.map((driver) => driver % 10),
        event_timestamp: drivers.written.map(at),
        created: drivers.written.map(at),
      },
    },
    {
      name: 'read after write_to_online_store',
      op: 'get',
      features: [`${LIVE_VIEW}:conv_rate`, `${LIVE_VIEW}:trips`],
      entity_rows: [...drivers.written, 9999].map((driver) => ({ driver_id: driver })),
    },
    {
      name: 'push',
      op: 'push',
      push_source_name: 'driver_push',
      df: {
        driver_id: drivers.pushed,
        conv_rate: drivers.pushed.map((driver) => driver / 8),
        trips: drivers.pushed.map((driver) => driver % 10),
        event_timestamp: drivers.pushed.map(at),
        created: drivers.pushed.map(at),
      },
    },
    {
      name: 'read after push',
      op: 'get',
      features: [`${LIVE_VIEW}:conv_rate`, `${LIVE_VIEW}:trips`],
      entity_rows: drivers.pushed.map((driver) => ({ driver_id: driver })),
    },
  ];
}

describe("Feast 0.67's client (one request per call)", () => {
  test('get_online_features answers what OnlineStore.getOnlineFeatures answers, for every kind of read', async () => {
    seen.length = 0;
    const answers = await feast(pythonOracle().python, READS);
    // One request per call, with the keys Feast sends since 0.64.
    assert.equal(seen.length, READS.length);
    for (const request of seen) {
      assert.equal(request.contentType, 'application/json');
      assert.ok(request.keys.includes('include_feature_view_version_metadata'), request.keys.join());
    }
    for (const call of READS) {
      const answer = answers.get(call.name)!;
      assert.ok(answer.ok, `${call.name}: ${answer.error}`);
      assert.deepEqual(answer.result, await expected(call), call.name);
    }
    const plain = answers.get(READS[0]!.name)!.result!;
    assert.deepEqual(plain.conv_rate, [0.25, null, 0.375, null], 'expired and missing rows are None; the correction wins');
  });

  test('write_to_online_store and push land once and read back, in Feast and in Floe', async () => {
    const calls = writeAndPush({ written: [5001, 5002], pushed: [6001, 6002] });
    const answers = await feast(pythonOracle().python, calls);
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, `${call.name}: ${answers.get(call.name)!.error}`);
    for (const call of calls.filter((item) => item.op === 'get')) {
      assert.deepEqual(answers.get(call.name)!.result, await expected(call), call.name);
    }
    assert.deepEqual(answers.get('read after write_to_online_store')!.result, {
      driver_id: [5001, 5002, 9999],
      conv_rate: [5001 / 8, 5002 / 8, null],
      trips: [1, 2, null],
    });
    assert.deepEqual(answers.get('read after push')!.result, { driver_id: [6001, 6002], conv_rate: [6001 / 8, 6002 / 8], trips: [1, 2] });
  });

  test("a Floe error reaches the caller as Feast's own exception, Floe's message kept", async () => {
    const at = new Date(CLOCK).toISOString();
    const answers = await feast(pythonOracle().python, [
      { name: 'unknown feature', op: 'get', features: [`${VIEW}:nope`], entity_rows: [{ driver_id: 1 }] },
      {
        name: 'unknown view',
        op: 'write',
        feature_view_name: 'feast_only_view',
        df: { driver_id: [1], x: [1], event_timestamp: [at], created: [at] },
      },
    ]);
    const feature = answers.get('unknown feature')!;
    assert.equal(feature.ok, false);
    assert.match(feature.error!, /^Feast\w*(Error|Exception): .*nope/);
    const view = answers.get('unknown view')!;
    assert.equal(view.ok, false);
    assert.match(view.error!, /^FeastObjectNotFoundException: .*feast_only_view/);
  });
});

describe("Feast 0.60's client (one request per view, only the first join key, no Content-Type)", () => {
  test('get_online_features answers what OnlineStore.getOnlineFeatures answers for single-key views', async () => {
    const calls = READS.filter((call) => !call.features?.some((feature) => feature.startsWith(CITY_VIEW)));
    seen.length = 0;
    const answers = await feast(oldFeastPython(), calls);
    // The older shape: one request per view, no Content-Type, only features and entities.
    assert.equal(seen.length, calls.length);
    for (const request of seen) {
      assert.equal(request.contentType, undefined);
      assert.deepEqual(request.keys, ['entities', 'features']);
    }
    for (const call of calls) {
      const answer = answers.get(call.name)!;
      assert.ok(answer.ok, `${call.name}: ${answer.error}`);
      assert.deepEqual(answer.result, await expected(call), call.name);
    }
  });

  test('write_to_online_store and push land once and read back', async () => {
    const calls = writeAndPush({ written: [7001, 7002], pushed: [8001, 8002] });
    const answers = await feast(oldFeastPython(), calls);
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, `${call.name}: ${answers.get(call.name)!.error}`);
    for (const call of calls.filter((item) => item.op === 'get'))
      assert.deepEqual(answers.get(call.name)!.result, await expected(call), call.name);
  });

  test('a composite-key view: the old client sends only the first join key, and Floe names the one missing', async () => {
    const call = READS.find((item) => item.name === 'composite keys, one missing')!;
    seen.length = 0;
    const answer = (await feast(oldFeastPython(), [call])).get(call.name)!;
    assert.deepEqual(
      seen.map((request) => request.joinKeys),
      [['driver_id']],
    );
    assert.equal(answer.ok, false);
    assert.match(answer.error!, /join key city of feature view driver_city_view must be present/);
  });
});
