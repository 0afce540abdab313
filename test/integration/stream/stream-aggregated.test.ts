// services: python, kafka
// `floe stream` into an aggregated view fed by its push source (issue #55 item 1), on the real
// broker: each batch lands its events in the source table and as `pushed` rows of the view's
// tiles, exactly once across a SIGKILL of the consumer mid-stream and a restart that resumes from
// the tables, and across a rebalance (a second consumer joins the group mid-stream, the first is
// stopped). pyiceberg reads both tables as the judge (every message once in each), and a
// request-time read at instants on and beside the windows' edges equals the brute-force
// aggregates of the source rows pyiceberg reads.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { aggregatedFeaturesOf } from '../../../features/aggregations.js';
import type { AggregationInput } from '../../../features/aggregations.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/online-store.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { presentValue } from '../../../features/online/response.js';
import { definePushSource } from '../../../features/push-source.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { referenceAggregates } from '../../support/aggregation-reference.js';
import type { ReferenceEvent } from '../../support/aggregation-reference.js';
import { exitCode, interrupt, spawnCollecting, until } from '../../support/child-process.js';
import { featuresModule, sqliteCatalogIn, writeSqlCatalogProject } from '../../support/cli-project.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { checkReadsAgainstBruteForce as checkReads, eventsByColumn } from '../../support/aggregated-reads.js';
import {
  createTopics,
  endsOf,
  LANDING_DEADLINE_MS,
  landedEnds,
  produceValues,
  readTable,
  STREAM_DRIVERS,
  streamEvent,
  streamUntil,
  untilLanded,
} from '../../support/kafka-stream.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const dir = scratchFolder('stream-aggregated');
const children: ChildProcess[] = [];

const EPOCH = Date.parse('2024-05-01T00:00:00Z');
const MINUTE = 60_000;
const TOTAL = 1_500;
const TOPIC = `floe-stream-aggregated-${randomUUID()}`;
const SOURCE_TABLE = 'rides.driver_stats_agg';
const VIEW = 'driver_trip_windows';
const AGGREGATIONS: AggregationInput[] = [
  { column: 'trips', type: 'long', functions: ['count', 'sum', 'max', 'last'], windows: ['5m', '1h'] },
  { column: 'conv_rate', type: 'double', functions: ['avg'], windows: ['5m'] },
];
const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
const source = defineIcebergSource({
  name: 'driver_source',
  table: SOURCE_TABLE,
  timestampField: 'event_timestamp',
  createdTimestampField: 'created',
});
const push = definePushSource({ name: 'driver_push', batchSource: 'driver_source' });
const stream = defineStreamSource({
  name: 'driver_stream',
  pushSource: 'driver_push',
  kafka: { brokers: ['127.0.0.1:1'], topic: TOPIC },
  timestampField: 'ts',
});
const view = defineFeatureView({
  name: VIEW,
  entities: ['driver'],
  source: 'driver_push',
  aggregations: AGGREGATIONS,
  online: { buckets: 2 },
});
const features = aggregatedFeaturesOf(view);

// The rebalance case: its own topic, source table and view, fed by `floe stream` children of one group.
const REBALANCE_TOPIC = `floe-stream-aggregated-rebalance-${randomUUID()}`;
const REBALANCE_SOURCE_TABLE = 'rides.driver_stats_agg_rebalance';
const REBALANCE_VIEW = 'driver_trip_windows_rebalance';

// The allowedLateness case: its own topic, tables and view, consumed in-process on the real broker.
const LATE_TOPIC = `floe-stream-aggregated-late-${randomUUID()}`;
const LATE_SOURCE_TABLE = 'rides.driver_stats_late';
const LATE_VIEW = 'driver_trips_late';
const lateDefinitions = [
  defineIcebergSource({
    name: 'late_source',
    table: LATE_SOURCE_TABLE,
    timestampField: 'event_timestamp',
    createdTimestampField: 'created',
  }),
  definePushSource({ name: 'late_push', batchSource: 'late_source' }),
  defineStreamSource({
    name: 'late_stream',
    pushSource: 'late_push',
    kafka: { brokers: kafkaBrokers(), topic: LATE_TOPIC },
    timestampField: 'ts',
  }),
  defineFeatureView({
    name: LATE_VIEW,
    entities: ['driver'],
    source: 'late_push',
    aggregations: [{ column: 'trips', type: 'long', functions: ['count', 'sum'], windows: ['10m', '1d'] }],
    allowedLateness: { minutes: 10 },
    delay: { minutes: 10 },
    online: { buckets: 2 },
  }),
];

const rebalanceDefinitions = [
  defineIcebergSource({
    name: 'rebalance_source',
    table: REBALANCE_SOURCE_TABLE,
    timestampField: 'event_timestamp',
    createdTimestampField: 'created',
  }),
  definePushSource({ name: 'rebalance_push', batchSource: 'rebalance_source' }),
  defineFeatureView({
    name: REBALANCE_VIEW,
    entities: ['driver'],
    source: 'rebalance_push',
    aggregations: AGGREGATIONS,
    online: { buckets: 2 },
  }),
];

let runtime: Runtime;

before(async () => {
  const catalog = sqliteCatalogIn(dir);
  runtime = await testRuntime({
    directory: dir,
    catalog,
    definitions: [entity, source, push, stream, view, ...lateDefinitions, ...rebalanceDefinitions],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await createEmptySourceTable(runtime.catalog, LATE_SOURCE_TABLE);
  await createEmptySourceTable(runtime.catalog, REBALANCE_SOURCE_TABLE);
  await writeSqlCatalogProject(dir, {
    project: 'stream_aggregated_test',
    catalog,
    features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
import { defineStreamSource } from ${featuresModule('stream-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'driver_source', table: ${JSON.stringify(SOURCE_TABLE)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'driver_source' });
export const stream = defineStreamSource({ name: 'driver_stream', pushSource: 'driver_push', kafka: { brokers: ['127.0.0.1:1'], topic: ${JSON.stringify(TOPIC)} }, timestampField: 'ts' });
export const view = defineFeatureView({ name: ${JSON.stringify(VIEW)}, entities: ['driver'], source: 'driver_push', aggregations: ${JSON.stringify(AGGREGATIONS)}, online: { buckets: 2 } });
export const rebalanceSource = defineIcebergSource({ name: 'rebalance_source', table: ${JSON.stringify(REBALANCE_SOURCE_TABLE)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const rebalancePush = definePushSource({ name: 'rebalance_push', batchSource: 'rebalance_source' });
export const rebalanceStream = defineStreamSource({ name: 'rebalance_stream', pushSource: 'rebalance_push', kafka: { brokers: ['127.0.0.1:1'], topic: ${JSON.stringify(REBALANCE_TOPIC)} }, timestampField: 'ts' });
export const rebalanceView = defineFeatureView({ name: ${JSON.stringify(REBALANCE_VIEW)}, entities: ['driver'], source: 'rebalance_push', aggregations: ${JSON.stringify(AGGREGATIONS)}, online: { buckets: 2 } });
`,
  });
  await createTopics([TOPIC, LATE_TOPIC, REBALANCE_TOPIC]);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await runtime?.close();
});

function startStream(lines: string[], streamName = 'driver_stream'): ChildProcess {
  const child = spawnCollecting(
    process.execPath,
    [floe, 'stream', streamName, '--project', dir, '--brokers', kafkaBrokers().join(','), '--max-rows', '100', '--max-delay-ms', '100'],
    lines,
  );
  children.push(child);
  return child;
}

/** At each instant, every driver's request-time read of `viewName` equals the brute-force aggregates of `rows` (pyiceberg's source table). */
async function checkReadsAgainstBruteForce(
  viewName: string,
  rows: readonly Record<string, unknown>[],
  instants: readonly number[],
): Promise<void> {
  await checkReads(runtime, {
    viewName,
    features,
    events: eventsByColumn(rows, ['trips', 'conv_rate']),
    drivers: Array.from({ length: STREAM_DRIVERS }, (_, driver) => driver),
    instants,
  });
}

test('SIGKILL mid-stream, restart: every message once in the source and the tiles, and reads at request time equal the brute-force aggregates', async () => {
  const placed = await produceValues(
    TOPIC,
    Array.from({ length: TOTAL }, (_, seq) => JSON.stringify(streamEvent(seq))),
  );
  const ends = endsOf(placed);

  const first: string[] = [];
  const killed = startStream(first);
  await until('a few batches landed before the kill', first, () => first.filter((line) => line.startsWith('batch ')).length >= 3);
  killed.kill('SIGKILL');
  await exitCode(killed);
  const before = landedEnds(first);
  assert.ok(
    [...ends].some(([partition, end]) => (before.get(partition) ?? 0n) < end),
    'killed before the end of the topic',
  );
  const second: string[] = [];
  const restarted = startStream(second);
  await until(
    'the restart landed every partition',
    second,
    () => {
      const landed = landedEnds(second.filter((line) => line.startsWith('batch ') || line.startsWith('resuming from the tables:')));
      return [...ends].every(([partition, end]) => landed.get(partition) === end);
    },
    LANDING_DEADLINE_MS,
  );
  assert.equal(await interrupt(restarted), 0, second.join('\n'));

  const rows = await readTable(dir, SOURCE_TABLE);
  assert.deepEqual(
    rows.map((row) => Number(row.trips)).sort((a, b) => a - b),
    Array.from({ length: TOTAL }, (_, seq) => seq),
    'every message once in the source table',
  );
  const tiles = await readTable(dir, `floe_online.${VIEW}`);
  assert.ok(tiles.length > 0 && tiles.every((row) => row.tile_kind === 'pushed'));
  assert.equal(
    tiles.reduce((total, row) => total + Number(row.trips__count), 0),
    TOTAL,
    'every message once in the tiles',
  );

  // On an event, 1 ms before it, and where an event is exactly a window's length back (outside) or 1 ms less (inside).
  const instants = [0, 1, 299, 300, 301, 777, 1_100, 1_499, 1_520].flatMap((second) => [EPOCH + second * 1000, EPOCH + second * 1000 - 1]);
  await checkReadsAgainstBruteForce(VIEW, rows, instants);
});

test('allowedLateness: a later event lands in the source table only and counts as late; online takes it from the next materialization, an event within it at once', async () => {
  // Event times relative to the test's own start, so the lateness is met whatever the date.
  const reference = Date.now();
  const late = (seq: number) => seq % 4 === 0;
  const events = Array.from({ length: 200 }, (_, seq) => ({
    driver_id: seq % 5,
    trips: seq,
    ts: new Date(late(seq) ? reference - 2 * 60 * MINUTE + seq * 1000 : reference - MINUTE + seq).toISOString(),
  }));
  const ends = endsOf(
    await produceValues(
      LATE_TOPIC,
      events.map((event) => JSON.stringify(event)),
    ),
  );
  const counted = new Map<string, number>();
  await streamUntil(
    new StreamConsumer(runtime, 'late_stream', {
      onBatch: (progress) => {
        for (const [name, count] of progress.late) counted.set(name, (counted.get(name) ?? 0) + count);
      },
    }),
    ends,
  );
  const lateCount = events.filter((_, seq) => late(seq)).length;
  assert.deepEqual([...counted], [[LATE_VIEW, lateCount]], 'the late events counted, for the view');

  const rows = await readTable(dir, LATE_SOURCE_TABLE);
  assert.equal(rows.length, events.length, 'every event in the source table, the late ones too');
  const tiles = await readTable(dir, `floe_online.${LATE_VIEW}`);
  assert.equal(
    tiles.reduce((total, row) => total + Number(row.trips__count), 0),
    events.length - lateCount,
    'only the events within allowedLateness in the pushed rows',
  );

  const lateFeatures = aggregatedFeaturesOf(lateDefinitions[3] as typeof view);
  const byDriver = (only: (seq: number) => boolean) => {
    const grouped = new Map<number, ReferenceEvent[]>();
    events.forEach((event, seq) => {
      if (!only(seq)) return;
      const held = grouped.get(event.driver_id) ?? [];
      held.push({ eventTs: BigInt(Date.parse(event.ts)) * 1000n, createdTs: null, value: event.trips });
      grouped.set(event.driver_id, held);
    });
    return grouped;
  };
  const check = async (stage: string, expectedEvents: Map<number, ReferenceEvent[]>) => {
    const store = new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => reference,
    });
    const drivers = [0, 1, 2, 3, 4];
    const response = await store.getOnlineFeatures({ features: [LATE_VIEW], entityRows: drivers.map((driver) => ({ driver_id: driver })) });
    drivers.forEach((driver, index) => {
      const online = lateFeatures.map((feature) => response.features.find((vector) => vector.feature === feature.name)!.values[index]);
      const expected = lateFeatures.map((feature) =>
        presentValue(feature.type, referenceAggregates([feature], expectedEvents.get(driver) ?? [], BigInt(reference) * 1000n)[0] ?? null),
      );
      assert.deepEqual(online, expected, `${stage}: driver ${driver}`);
    });
  };
  // The 1 d window reaches the late events two hours back: not online until materialized.
  await check(
    'before materialization',
    byDriver((seq) => !late(seq)),
  );
  const context = { ...runtime, workDirectory: runtime.project.config.workDirectory };
  await materializeWindow(
    context,
    LATE_VIEW,
    { start: new Date(reference - 2 * 24 * 60 * MINUTE), end: new Date(reference - 10 * MINUTE) },
    'late-window',
  );
  await check(
    'after materialization',
    byDriver(() => true),
  );
});

test('rebalance: a second consumer joins the group mid-stream, then the first is stopped: every message once in the source and the tiles, and reads equal the brute-force aggregates', async () => {
  const total = 4_500;
  const values = Array.from({ length: total }, (_, seq) => JSON.stringify(streamEvent(seq)));
  const placed = await produceValues(REBALANCE_TOPIC, values.slice(0, 1_500));
  const first: string[] = [];
  const second: string[] = [];
  const stopped = startStream(first, 'rebalance_stream');
  await until('the first consumer landed a few batches', first, () => first.filter((line) => line.startsWith('batch ')).length >= 3);
  const survivor = startStream(second, 'rebalance_stream');
  await until('the second consumer joined', second, () => second.some((line) => line.startsWith('resuming from the tables:')));
  placed.push(...(await produceValues(REBALANCE_TOPIC, values.slice(1_500, 3_000), 1_500)));
  await untilLanded(endsOf(placed), first, second);
  assert.ok(
    second.some((line) => line.startsWith('batch ')),
    `the second consumer landed batches of its partitions:\n${second.join('\n')}`,
  );
  // A clean stop leaves the group at once: its partitions move to the survivor, which resumes them from the tables.
  assert.equal(await interrupt(stopped), 0, first.join('\n'));
  placed.push(...(await produceValues(REBALANCE_TOPIC, values.slice(3_000), 3_000)));
  await untilLanded(endsOf(placed), second);
  assert.equal(await interrupt(survivor), 0, second.join('\n'));

  const rows = await readTable(dir, REBALANCE_SOURCE_TABLE);
  assert.deepEqual(
    rows.map((row) => Number(row.trips)).sort((a, b) => a - b),
    Array.from({ length: total }, (_, seq) => seq),
    'every message once in the source table',
  );
  const tiles = await readTable(dir, `floe_online.${REBALANCE_VIEW}`);
  assert.ok(tiles.every((row) => row.tile_kind === 'pushed'));
  const pushedSeqs = new Map<string, number>();
  for (const row of tiles) {
    const key = `${String(row.driver_id)}@${String(row.tile_start)}`;
    pushedSeqs.set(key, (pushedSeqs.get(key) ?? 0) + Number(row.trips__count));
  }
  assert.equal(pushedSeqs.size, total, 'one pushed row per (driver, event instant)');
  assert.ok(
    [...pushedSeqs.values()].every((count) => count === 1),
    'every message once in the pushed rows',
  );
  // Across the stream (75 min of event time): on events, 1 ms before, and at each window's edges.
  const instants = [0, 299, 300, 1_000, 1_501, 2_999, 3_000, 3_600, 3_601, 4_499, 4_520].flatMap((second) => [
    EPOCH + second * 1000,
    EPOCH + second * 1000 - 1,
  ]);
  await checkReadsAgainstBruteForce(REBALANCE_VIEW, rows, instants);
});
