// services: none
// The HTTP feature server over a materialized online table: Feast's request and response shape,
// statuses, exact 64-bit keys, Prometheus metrics, and 4xx errors that never carry a stack trace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { Runtime } from '../../../features/runtime.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable, definitions, latestInWindows, sqlCase, VIEW } from '../../support/online/online-view.js';
import type { SourceRow } from '../../support/online/online-view.js';
import { serverError } from '../../support/server-error.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');
const WINDOW = { start: START, end: START + 24 * HOUR };
const CLOCK = WINDOW.end;

const scratch = scratchFolder('feature-server');
let runtime: Runtime;
let server: FastifyInstance;
let base: string;
let rows: SourceRow[];
let committedBetween: { from: number; to: number };

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: sqlCase(scratch).config,
    definitions: definitions('rides.driver_stats', { buckets: 4, ttl: { hours: 6 } }),
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, 'rides.driver_stats');
  // Driver 1001 reported an hour before the clock, 1002 twelve hours before it (expired at 6 h TTL),
  // 1003 at a whole second with a later correction.
  rows = [
    { driver_id: 1001, conv_rate: 0.25, trips: 7, event: CLOCK - HOUR + 123, created: CLOCK - HOUR + 200 },
    { driver_id: 1001, conv_rate: 0.5, trips: 6, event: CLOCK - 2 * HOUR, created: CLOCK - 2 * HOUR },
    { driver_id: 1002, conv_rate: 0.75, trips: 9, event: CLOCK - 12 * HOUR, created: CLOCK - 12 * HOUR },
    { driver_id: 1003, conv_rate: 0.125, trips: 1, event: CLOCK - 3 * HOUR, created: CLOCK - 3 * HOUR },
    { driver_id: 1003, conv_rate: 0.375, trips: 2, event: CLOCK - 3 * HOUR, created: CLOCK - 2 * HOUR },
  ];
  await appendSource(context, 'rides.driver_stats', rows);
  const from = Date.now();
  await materializeWindow(context, VIEW, { start: new Date(WINDOW.start), end: new Date(WINDOW.end) }, 'server-test');
  committedBetween = { from, to: Date.now() };
  const store = new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    clock: () => CLOCK,
  });
  server = createFeatureServer({ store });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await runtime?.close();
});

async function post(body: string): Promise<{ status: number; text: string; json: unknown }> {
  const response = await fetch(`${base}/get-online-features`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

describe('POST /get-online-features', () => {
  test("answers in Feast's layout: keys first, then each feature's values, statuses and event timestamps", async () => {
    const { status, json } = await post(
      JSON.stringify({ features: [`${VIEW}:conv_rate`, `${VIEW}:trips`], entities: { driver_id: [1001, 1002, 1003, 4242] } }),
    );
    assert.equal(status, 200);
    const expected = latestInWindows(rows, [WINDOW]);
    assert.equal(expected.get(1003)!.conv_rate, 0.375, 'the correction wins in the oracle too');
    assert.deepEqual(json, {
      metadata: { feature_names: ['driver_id', 'conv_rate', 'trips'] },
      results: [
        {
          values: [1001, 1002, 1003, 4242],
          statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'],
          event_timestamps: Array(4).fill('1970-01-01T00:00:00Z'),
        },
        {
          values: [0.25, null, 0.375, null],
          statuses: ['PRESENT', 'OUTSIDE_MAX_AGE', 'PRESENT', 'NOT_FOUND'],
          event_timestamps: ['2024-05-01T23:00:00.123Z', '2024-05-01T12:00:00Z', '2024-05-01T21:00:00Z', '1970-01-01T00:00:00Z'],
        },
        {
          values: [7, null, 2, null],
          statuses: ['PRESENT', 'OUTSIDE_MAX_AGE', 'PRESENT', 'NOT_FOUND'],
          event_timestamps: ['2024-05-01T23:00:00.123Z', '2024-05-01T12:00:00Z', '2024-05-01T21:00:00Z', '1970-01-01T00:00:00Z'],
        },
      ],
    });
  });

  test('full_feature_names prefixes view names; a whole view may be asked for by name', async () => {
    const { status, json } = await post(JSON.stringify({ features: [VIEW], entities: { driver_id: [1001] }, full_feature_names: true }));
    assert.equal(status, 200);
    assert.deepEqual((json as { metadata: unknown }).metadata, { feature_names: ['driver_id', `${VIEW}__conv_rate`, `${VIEW}__trips`] });
  });

  test('a feature service answers with its features', async () => {
    const { status, json } = await post(JSON.stringify({ feature_service: 'driver_trips_model', entities: { driver_id: [1001, 4242] } }));
    assert.equal(status, 200);
    const body = json as { metadata: unknown; results: { values: unknown[]; statuses: string[] }[] };
    assert.deepEqual(body.metadata, { feature_names: ['driver_id', 'trips'] });
    assert.deepEqual(body.results[1], {
      values: [7, null],
      statuses: ['PRESENT', 'NOT_FOUND'],
      event_timestamps: ['2024-05-01T23:00:00.123Z', '1970-01-01T00:00:00Z'],
    });
  });

  test('a 64-bit key beyond 2^53 is echoed exactly', async () => {
    const { status, text } = await post(`{"features": ["${VIEW}:trips"], "entities": {"driver_id": [9223372036854775807]}}`);
    assert.equal(status, 200);
    assert.match(text, /"values":\[9223372036854775807\]/);
    assert.match(text, /"statuses":\["NOT_FOUND"\]/);
  });

  const bad: [string, string, number, RegExp][] = [
    [
      'an unknown feature view',
      JSON.stringify({ features: ['nope:conv_rate'], entities: { driver_id: [1] } }),
      404,
      /No feature view named "nope"; defined: driver_stats_view/,
    ],
    [
      'an unknown feature',
      JSON.stringify({ features: [`${VIEW}:speed`], entities: { driver_id: [1] } }),
      404,
      /has no feature "speed"; it has: conv_rate, trips/,
    ],
    ['malformed JSON', '{"features": [', 400, /not valid JSON/],
    ['no entities', JSON.stringify({ features: [`${VIEW}:trips`] }), 400, /entities/],
    [
      'both features and a feature service',
      JSON.stringify({ features: [`${VIEW}:trips`], feature_service: 'svc', entities: { driver_id: [1] } }),
      400,
      /either "features".*or "feature_service"/,
    ],
    [
      'a key of the wrong type',
      JSON.stringify({ features: [`${VIEW}:trips`], entities: { driver_id: ['x'] } }),
      400,
      /join key driver_id of feature view driver_stats_view must be an integer, got "x"/,
    ],
    ['a missing join key column', JSON.stringify({ features: [`${VIEW}:trips`], entities: { rider_id: [1] } }), 400, /must be present/],
    [
      'uneven entity columns',
      JSON.stringify({ features: [`${VIEW}:trips`], entities: { driver_id: [1, 2], other: [1] } }),
      400,
      /same length/,
    ],
    [
      'an unknown feature service',
      JSON.stringify({ feature_service: 'driver_model', entities: { driver_id: [1] } }),
      404,
      /No feature service named "driver_model"; defined: driver_trips_model/,
    ],
    ['an unknown field', JSON.stringify({ features: [`${VIEW}:trips`], entities: { driver_id: [1] }, extra: 1 }), 400, /Unrecognized key/],
  ];
  for (const [what, body, code, message] of bad) {
    test(`${what} is a ${code} that says what is wrong, without a stack trace`, async () => {
      const response = await post(body);
      assert.equal(response.status, code, response.text);
      const json = serverError(response.json);
      assert.match(json.message, message);
      assert.doesNotMatch(response.text, /\n\s+at |stack|\.ts:\d+/);
    });
  }
});

describe('health, metrics and unknown routes', () => {
  test('GET /health', async () => {
    const response = await fetch(`${base}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('GET /metrics counts requests and served values by status', async () => {
    await post(JSON.stringify({ features: [`${VIEW}:trips`], entities: { driver_id: [1001, 4242] } }));
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /floe_online_feature_values_total\{feature_view="driver_stats_view",status="PRESENT"\} \d+/);
    assert.match(text, /floe_online_feature_values_total\{feature_view="driver_stats_view",status="NOT_FOUND"\} \d+/);
    assert.match(text, /floe_http_request_duration_seconds_count\{route="\/get-online-features",method="POST",status="200"\} \d+/);
    assert.match(text, /floe_http_request_duration_seconds_count\{route="\/get-online-features",method="POST",status="404"\} \d+/);
  });

  test("GET /metrics answers each view's freshness (now − watermark) and last commit time from its online table's metadata", async () => {
    const before = Date.now();
    const text = await (await fetch(`${base}/metrics`)).text();
    const after = Date.now();
    const sample = (name: string): number => {
      const match = new RegExp(`^${name}\\{feature_view="${VIEW}"\\} (\\S+)$`, 'm').exec(text);
      assert.ok(match, `${name} for ${VIEW} in:\n${text}`);
      return Number(match[1]);
    };
    // The watermark is the window's end; the server's clock is the wall clock (the store's pinned one is for TTLs).
    const freshness = sample('floe_feature_freshness_seconds');
    assert.ok(freshness >= (before - WINDOW.end) / 1000 && freshness <= (after - WINDOW.end) / 1000, `freshness ${freshness}`);
    const lastCommit = sample('floe_feature_last_commit_timestamp_seconds');
    assert.ok(
      lastCommit >= Math.floor(committedBetween.from / 1000) && lastCommit <= committedBetween.to / 1000,
      `last commit ${lastCommit}`,
    );
  });

  test('an unknown route is a 404 naming the routes there are', async () => {
    const response = await fetch(`${base}/get-features`, { method: 'POST' });
    assert.equal(response.status, 404);
    const error = serverError(await response.json());
    assert.equal(error.class, 'FeastObjectNotFoundException');
    assert.match(error.message, /POST \/get-online-features/);
  });
});
