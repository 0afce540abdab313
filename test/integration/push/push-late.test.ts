// services: python
// A late count for HTTP pushes (issue #55): `floe_push_late_events_total{push_source,
// feature_view}` on the feature server's /metrics counts the pushed events an aggregated view with
// an allowedLateness takes as late (in the source table, not in its pushed rows), once per
// request: a retried request id counts nothing again. pyiceberg reads the tables as the judge. A
// server given its pusher (floe serve shares one with the offline endpoint) counts the pushes any
// caller of that pusher makes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { defineFeatureView } from '../../../features/definitions.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { Runtime } from '../../../features/runtime.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { Pusher } from '../../../features/push/pusher.js';
import { until } from '../../support/child-process.js';
import { driverPushDefinitions } from '../../support/push/push-servers.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { readTable } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('push-late');
const MINUTE = 60_000;
const SOURCE_TABLE = 'rides.driver_stats_push_late';
const VIEW = 'driver_trips_push_late';
let runtime: Runtime;
let server: FastifyInstance;

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: sqliteCatalogIn(scratch),
    definitions: [
      ...driverPushDefinitions(SOURCE_TABLE),
      defineFeatureView({
        name: VIEW,
        entities: ['driver'],
        source: 'driver_push',
        aggregations: [{ column: 'trips', type: 'long', functions: ['count', 'sum'], windows: ['10m', '1d'] }],
        allowedLateness: { minutes: 10 },
        delay: { minutes: 10 },
        online: { buckets: 2 },
      }),
    ],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  server = createFeatureServer({
    store: new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine }),
    push: { config: { maxDelayMs: 0 }, workDirectory: path.join(scratch, 'push') },
    logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
});

after(async () => {
  await server?.close();
  await runtime?.close();
});

/** The counter's value for the view on `of`, 0 before it has one. */
async function lateCounted(of = server): Promise<number> {
  const text = (await of.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`floe_push_late_events_total{push_source="driver_push",feature_view="${VIEW}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function push(requestId: string, events: readonly { driver_id: number; trips: number; at: number }[]): Promise<void> {
  const answer = await server.inject({
    method: 'POST',
    url: '/push',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      push_source_name: 'driver_push',
      request_id: requestId,
      to: 'online_and_offline',
      df: {
        driver_id: events.map((event) => event.driver_id),
        trips: events.map((event) => event.trips),
        event_timestamp: events.map((event) => new Date(event.at).toISOString()),
      },
    }),
  });
  assert.equal(answer.statusCode, 200, answer.body);
}

test('late pushed events count in floe_push_late_events_total once per request; they land in the source table, not in the pushed rows', async () => {
  // Event times relative to the test's own start, so the lateness is met whatever the date.
  const now = Date.now();
  const first = [
    { driver_id: 1, trips: 1, at: now - 2 * 60 * MINUTE },
    { driver_id: 2, trips: 2, at: now - 30 * MINUTE },
    { driver_id: 1, trips: 3, at: now - 11 * MINUTE },
    { driver_id: 1, trips: 4, at: now - MINUTE },
    { driver_id: 2, trips: 5, at: now - 2 * MINUTE },
  ];
  assert.equal(await lateCounted(), 0);
  await push('late-1', first);
  await until('the first request counted', [], async () => (await lateCounted()) === 3);
  // The same request again lands nothing and counts nothing; a later one counts its own.
  await push('late-1', first);
  await push('late-2', [
    { driver_id: 3, trips: 6, at: now - 3 * 60 * MINUTE },
    { driver_id: 3, trips: 7, at: now - 5 * MINUTE },
  ]);
  await until('the second request counted', [], async () => (await lateCounted()) >= 4);
  assert.equal(await lateCounted(), 4, 'the retried request counted nothing again');

  const source = await readTable(scratch, SOURCE_TABLE);
  assert.deepEqual(
    source.map((row) => Number(row.trips)).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7],
    'every event once in the source table, the late ones too',
  );
  const pushed = await readTable(scratch, `floe_online.${VIEW}`);
  assert.deepEqual(
    pushed.map((row) => Number(row.trips__sum)).sort((a, b) => a - b),
    [4, 5, 7],
    'only the events within allowedLateness in the pushed rows',
  );
});

test("a server given its pusher (floe serve's, the offline endpoint's too) counts the late events of every push through it, not only its own", async () => {
  const pusher = new Pusher({ ...runtime, workDirectory: path.join(scratch, 'shared-push') }, { maxDelayMs: 0 });
  const shared = createFeatureServer({
    store: new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine }),
    pusher,
    logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  try {
    const now = Date.now();
    await pusher.push({
      pushSourceName: 'driver_push',
      requestId: 'late-shared',
      to: 'online_and_offline',
      df: {
        driver_id: [4, 4],
        trips: [8, 9],
        event_timestamp: [now - 2 * 60 * MINUTE, now - MINUTE].map((at) => new Date(at).toISOString()),
      },
    });
    await until('the push through the shared pusher counted', [], async () => (await lateCounted(shared)) === 1);
  } finally {
    await shared.close();
    await pusher.drain();
  }
});
