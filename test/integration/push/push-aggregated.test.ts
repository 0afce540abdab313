// services: python
// Real-time windowed aggregations fed by push (issue #55 items 1-3): an aggregated view whose source
// is a push source takes pushes through `floe serve` (real HTTP) into its source table and its
// tiles, exactly once by request_id (a retried request counts once), and a read at request time t
// answers exactly what the events give for t − w < event_ts ≤ t: materialized tiles wholly inside
// the window plus the pushed events at both edges. The oracle is the source table as pyiceberg
// reads it, aggregated by brute force; the offline engine (getHistoricalFeatures) must give the same
// values for an entity row at the same t. The instants include the window edges to the millisecond.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import { toPrimitiveValue } from '../../../engine/values.js';
import { aggregatedFeaturesOf } from '../../../features/aggregations.js';
import type { AggregationInput } from '../../../features/aggregations.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { planCompaction, resolveCompactionTarget, rewriteAndCommit } from '../../../features/compaction/index.js';
import { OnlineStore } from '../../../features/online/online-store.js';
import type { OnlineValue } from '../../../features/online/response.js';
import { presentValue } from '../../../features/online/response.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { referenceAggregates } from '../../support/aggregation-reference.js';
import type { ReferenceEvent } from '../../support/aggregation-reference.js';
import { featuresModule, sqliteCatalogIn, writeSqlCatalogProject } from '../../support/cli-project.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { post, startServe } from '../../support/push/push-servers.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('push-aggregated');
const VIEW = 'driver_trip_windows';
const SOURCE_TABLE = 'rides.driver_stats';
const EPOCH = Date.parse('2024-05-01T00:00:00Z');
const MINUTE = 60_000;
const DRIVERS = [1, 2, 3, 4];
const AGGREGATIONS: AggregationInput[] = [
  { column: 'trips', type: 'long', functions: ['count', 'sum', 'min', 'max', 'last'], windows: ['10m', '1h'] },
  { column: 'conv_rate', type: 'double', functions: ['avg'], windows: ['10m'] },
];
const view = defineFeatureView({
  name: VIEW,
  entities: ['driver'],
  source: 'driver_push',
  aggregations: AGGREGATIONS,
  online: { buckets: 2 },
});
const features = aggregatedFeaturesOf(view);

interface Event {
  readonly driver: number;
  /** ms since the epoch: the read instants below are whole ms too, so edges are met exactly. */
  readonly event: number;
  readonly created: number;
  readonly trips: number | null;
  readonly convRate: number;
}

/** A fixed pseudo-random sequence (no clock, no Math.random). */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const random = generator(55);
/** Over two hours, at any millisecond; several share one instant (and differ by created time). */
const EVENTS: Event[] = Array.from({ length: 160 }, (_, index): Event => {
  const event = index % 9 === 0 && index > 0 ? EPOCH + Math.floor(random() * 120) * MINUTE : EPOCH + Math.floor(random() * 120 * MINUTE);
  return {
    driver: DRIVERS[Math.floor(random() * DRIVERS.length)]!,
    event,
    created: event + Math.floor(random() * 5_000),
    trips: random() < 0.1 ? null : Math.floor(random() * 30) - 5,
    convRate: Math.floor(random() * 64) / 64,
  };
}).sort((a, b) => a.event - b.event);
/** The materialization's end: after the events of the first six requests (pushed before it), off the tile grid. */
const MATERIALIZED_END = EVENTS[95]!.event + 1;
/** Ten requests of sixteen events in event-time order, as a stream lands them, each with its request_id. */
const REQUESTS = Array.from({ length: 10 }, (_, index) => ({
  push_source_name: 'driver_push',
  to: 'online_and_offline',
  request_id: `agg-${index}`,
  df: {
    driver_id: EVENTS.slice(index * 16, index * 16 + 16).map((row) => row.driver),
    conv_rate: EVENTS.slice(index * 16, index * 16 + 16).map((row) => row.convRate),
    trips: EVENTS.slice(index * 16, index * 16 + 16).map((row) => row.trips),
    event_timestamp: EVENTS.slice(index * 16, index * 16 + 16).map((row) => new Date(row.event).toISOString()),
    created: EVENTS.slice(index * 16, index * 16 + 16).map((row) => new Date(row.created).toISOString()),
  },
}));

let runtime: Runtime;
const servers: ChildProcess[] = [];

before(async () => {
  const catalog = sqliteCatalogIn(dir);
  const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
  const source = defineIcebergSource({
    name: 'driver_source',
    table: SOURCE_TABLE,
    timestampField: 'event_timestamp',
    createdTimestampField: 'created',
  });
  runtime = await testRuntime({
    directory: dir,
    catalog,
    definitions: [entity, source, definePushSource({ name: 'driver_push', batchSource: 'driver_source' }), view],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await writeSqlCatalogProject(dir, {
    project: 'push_aggregated_test',
    catalog,
    features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'driver_source', table: ${JSON.stringify(SOURCE_TABLE)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'driver_source' });
export const view = defineFeatureView({ name: ${JSON.stringify(VIEW)}, entities: ['driver'], source: 'driver_push', aggregations: ${JSON.stringify(AGGREGATIONS)}, online: { buckets: 2 } });
`,
    yaml: 'push:\n  maxDelayMs: 50\n',
  });
});

after(async () => {
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await runtime?.close();
});

/** The instants read: uniform ones, and each window's edges around events (t − w = event_ts is outside, 1 ms later inside). */
function instants(): number[] {
  const picked: number[] = [];
  for (let index = 0; index < 12; index++) picked.push(EPOCH + Math.floor(random() * 135 * MINUTE));
  for (let index = 0; index < 12; index++) {
    const event = EVENTS[Math.floor(random() * EVENTS.length)]!.event;
    const window = random() < 0.5 ? 10 * MINUTE : 60 * MINUTE;
    picked.push(event + window, event + window - 1, event, event - 1);
  }
  return picked;
}

/** The oracle: the source table as pyiceberg reads it, each driver's features at an instant by brute force (leaving out `without`). */
async function oracle(without?: (row: Record<string, unknown>) => boolean): Promise<{
  rows: number;
  expected: (driver: number, at: bigint) => OnlineValue[];
}> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: sqliteCatalog(dir), identifier: SOURCE_TABLE });
  const byDriver = new Map<number, ReferenceEvent[]>(DRIVERS.map((driver) => [driver, []]));
  const convByDriver = new Map<number, ReferenceEvent[]>(DRIVERS.map((driver) => [driver, []]));
  for (const row of read.rows) {
    if (without?.(row) === true) continue;
    const eventTs = BigInt(Date.parse(String(row.event_timestamp))) * 1000n;
    const createdTs = BigInt(Date.parse(String(row.created))) * 1000n;
    byDriver.get(Number(row.driver_id))!.push({ eventTs, createdTs, value: row.trips === null ? null : Number(row.trips) });
    convByDriver.get(Number(row.driver_id))!.push({ eventTs, createdTs, value: Number(row.conv_rate) });
  }
  return {
    rows: read.rows.length,
    expected: (driver, at) =>
      features.map((feature) => {
        const events = feature.column === 'trips' ? byDriver.get(driver)! : convByDriver.get(driver)!;
        return presentValue(feature.type, referenceAggregates([feature], events, at)[0] ?? null);
      }),
  };
}

/** Every driver's online values, read with the online store's clock at each instant (ms), against `expected`. */
async function checkOnline(
  stage: string,
  picked: readonly number[],
  expected: (driver: number, at: bigint) => OnlineValue[],
): Promise<void> {
  for (const at of picked) {
    const store = new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => at,
    });
    const response = await store.getOnlineFeatures({ features: [VIEW], entityRows: DRIVERS.map((driver) => ({ driver_id: driver })) });
    DRIVERS.forEach((driver, index) => {
      const online = features.map((feature) => response.features.find((vector) => vector.feature === feature.name)!.values[index]);
      assert.deepEqual(online, expected(driver, BigInt(at) * 1000n), `${stage}: online at ${new Date(at).toISOString()}, driver ${driver}`);
    });
  }
}

/** Every driver's offline values (getHistoricalFeatures, an entity row per driver and instant) against `expected`. */
async function checkOffline(
  stage: string,
  picked: readonly number[],
  expected: (driver: number, at: bigint) => OnlineValue[],
): Promise<void> {
  const entities = picked.flatMap((at) =>
    DRIVERS.map((driver) => `(${driver}::BIGINT, CAST(${quoteLiteral(new Date(at).toISOString())} AS TIMESTAMPTZ), ${at}::BIGINT)`),
  );
  const job = getHistoricalFeatures(
    {
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.project.config.workDirectory,
    },
    {
      entities: { sql: `SELECT * FROM (VALUES ${entities.join(', ')}) AS e(driver_id, event_timestamp, at_ms)` },
      features: features.map((feature) => `${VIEW}:${feature.name}`),
      timestampColumn: 'event_timestamp',
    },
  );
  const rows = await job.run(async (connection, query) =>
    (
      await connection.runAndReadAll(
        `SELECT driver_id, at_ms, ${features.map((feature) => q(feature.name)).join(', ')} FROM (${query}) ORDER BY at_ms, driver_id`,
      )
    ).getRows(),
  );
  assert.equal(rows.length, entities.length);
  for (const row of rows) {
    const driver = Number(row[0]);
    const at = Number(row[1]);
    const offline = features.map((feature, index) => presentValue(feature.type, toPrimitiveValue(row[index + 2] ?? null, feature.type)));
    assert.deepEqual(offline, expected(driver, BigInt(at) * 1000n), `${stage}: offline at ${new Date(at).toISOString()}, driver ${driver}`);
  }
}

test('pushes land once in the source and the tiles; a request-time read equals the oracle and the offline engine at every instant, after compaction too; a late event counts in whole tiles from the next materialization', async () => {
  const { url } = await startServe(dir, servers);
  for (const body of REQUESTS.slice(0, 6)) {
    const { status, json } = await post(url, '/push', body);
    assert.equal(status, 200, JSON.stringify(json));
  }
  // Materialized tiles up to an instant off the grid: reads take whole tiles before it and pushed events after.
  const context = { ...runtime, workDirectory: runtime.project.config.workDirectory };
  assert.notEqual(MATERIALIZED_END % (10 * MINUTE), 0);
  await materializeWindow(context, VIEW, { start: new Date(EPOCH - 86_400_000), end: new Date(MATERIALIZED_END) }, 'agg-window');
  // The rest, and two requests again (a client's retries): each counts once.
  for (const body of [...REQUESTS.slice(6), REQUESTS[2]!, REQUESTS[7]!]) {
    const { status, json } = await post(url, '/push', body);
    assert.equal(status, 200, JSON.stringify(json));
  }

  const all = await oracle();
  assert.equal(all.rows, EVENTS.length, 'every pushed event once in the source table');
  const picked = instants();
  await checkOnline('pushed', picked, all.expected);
  await checkOffline('pushed', picked, all.expected);

  // Compaction merges the materialized tiles and keeps the pushed rows: the same values.
  const target = await resolveCompactionTarget(context, { featureView: VIEW });
  const rewritten = await rewriteAndCommit(context, await planCompaction(context, target, { minFiles: 0 }), {
    idempotencyKey: 'agg-compact',
    filePrefix: 'agg-compact',
  });
  assert.ok(rewritten.groupsRewritten > 0);
  await checkOnline('compacted', picked, all.expected);

  // A late event: pushed after the materialization, into a tile wholly before its watermark. The
  // source table (and so training sets) has it at once; online counts it at the window's edge at
  // once, and in that whole tile from the next (incremental) materialization on.
  const late = { driver: DRIVERS[0]!, event: EPOCH + 5 * MINUTE + 123, trips: 1_000 };
  const { status, json } = await post(url, '/push', {
    push_source_name: 'driver_push',
    to: 'online_and_offline',
    request_id: 'agg-late',
    df: {
      driver_id: [late.driver],
      conv_rate: [0.5],
      trips: [late.trips],
      event_timestamp: [new Date(late.event).toISOString()],
      created: [new Date(late.event).toISOString()],
    },
  });
  assert.equal(status, 200, JSON.stringify(json));
  const withLate = await oracle();
  const withoutLate = await oracle((row) => Number(row.trips) === late.trips);
  // Its tile [0, 10 min) lies wholly inside the 1 h window at 30 min: not yet counted there online.
  const wholeTile = EPOCH + 30 * MINUTE;
  await checkOffline('late, offline', [wholeTile], withLate.expected);
  await checkOnline('late, before the next materialization', [wholeTile], withoutLate.expected);
  await materializeWindow(context, VIEW, { start: new Date(MATERIALIZED_END), end: new Date(EPOCH + 3 * 60 * MINUTE) }, 'agg-window-2', {
    incremental: true,
  });
  await checkOnline('late, after the next materialization', [wholeTile, ...picked], withLate.expected);
});
