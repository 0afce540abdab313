// services: python, kafka
// Compaction of a stream-fed aggregated view's online table racing the stream (issue #55 item 4):
// an in-process `floe stream` consumer lands batches (pushed rows) on the real broker while
// compactions of the tiles table run in a loop and readers read at many instants. Every read while
// they race equals the brute-force aggregates of the events at or before its instant (all landed
// before the race), so no compaction opens a gap or counts an event twice at any instant; at the
// end pyiceberg finds every message once in the source table, and reads across the whole stream
// equal brute force over what pyiceberg reads.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import type { AggregationInput } from '../../../features/aggregations.js';
import { aggregatedFeaturesOf } from '../../../features/aggregations.js';
import { compactTable } from '../../../features/compaction/index.js';
import { defineFeatureView } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import type { Runtime } from '../../../features/runtime.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { checkReadsAgainstBruteForce, eventsByColumn } from '../../support/aggregated-reads.js';
import { driverPushDefinitions } from '../../support/push/push-servers.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { createTopics, endsOf, produceValues, readTable, STREAM_DRIVERS, streamEvent, streamUntil } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const dir = scratchFolder('stream-aggregated-compaction');
const EPOCH = Date.parse('2024-05-01T00:00:00Z');
const TOPIC = `floe-stream-aggregated-compaction-${randomUUID()}`;
const SOURCE_TABLE = 'rides.driver_stats_agg_compaction';
const VIEW = 'driver_trip_windows_compaction';
const BEFORE_RACE = 1_500;
const TOTAL = 4_500;
const AGGREGATIONS: AggregationInput[] = [
  { column: 'trips', type: 'long', functions: ['count', 'sum', 'min', 'max', 'last'], windows: ['5m', '1h'] },
  { column: 'conv_rate', type: 'double', functions: ['avg'], windows: ['5m'] },
];
const view = defineFeatureView({
  name: VIEW,
  entities: ['driver'],
  source: 'driver_push',
  aggregations: AGGREGATIONS,
  online: { buckets: 2 },
});
const features = aggregatedFeaturesOf(view);
const drivers = Array.from({ length: STREAM_DRIVERS }, (_, driver) => driver);
let runtime: Runtime;

before(async () => {
  runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      ...driverPushDefinitions(SOURCE_TABLE),
      defineStreamSource({
        name: 'driver_stream',
        pushSource: 'driver_push',
        kafka: { brokers: kafkaBrokers(), topic: TOPIC },
        timestampField: 'ts',
        batch: { maxRows: 100, maxDelayMs: 50 },
      }),
      view,
    ],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await createTopics([TOPIC]);
});

after(async () => {
  await runtime?.close();
});

/** The instant of event `seq` (ms): seq seconds after EPOCH. */
const instantOf = (seq: number) => EPOCH + seq * 1000;

test('compactions racing the stream: reads at every instant equal brute force while they race, and every message lands once', async () => {
  const events = Array.from({ length: TOTAL }, (_, seq) => streamEvent(seq));
  const landedBefore = events.slice(0, BEFORE_RACE);
  await streamUntil(
    new StreamConsumer(runtime, 'driver_stream'),
    endsOf(
      await produceValues(
        TOPIC,
        landedBefore.map((event) => JSON.stringify(event)),
      ),
    ),
  );
  // Materialized tiles up to an instant off the grid, so reads combine full/delta tiles and pushed rows.
  const context = { ...runtime, workDirectory: runtime.project.config.workDirectory };
  await materializeWindow(context, VIEW, { start: new Date(EPOCH - 60_000), end: new Date(instantOf(1_000) + 321) }, 'before-race');

  // Instants whose windows hold only events landed before the race: their values must never move.
  const raceInstants = [1, 299, 300, 301, 700, 999, 1_000, 1_001, 1_300, 1_499].flatMap((second) => [
    instantOf(second),
    instantOf(second) - 1,
  ]);
  const before = eventsByColumn(landedBefore, ['trips', 'conv_rate'], 'ts');
  let racing = true;
  let compactions = 0;
  let reads = 0;
  const compacting = (async () => {
    while (racing) {
      const summary = await compactTable(runtime, { featureView: VIEW }, { minFiles: 1, skipCleanup: true }).catch((error: unknown) => {
        // A compaction may lose the race to the stream's commits past its own retries: it failed, nothing else.
        if (FloeError.is(error, 'commit-conflict')) return undefined;
        throw error;
      });
      if (summary?.snapshotId !== null && summary?.snapshotId !== undefined) compactions += 1;
    }
  })();
  const reading = (async () => {
    while (racing) {
      const at = raceInstants[reads % raceInstants.length]!;
      await checkReadsAgainstBruteForce(runtime, { viewName: VIEW, features, events: before, drivers, instants: [at] });
      reads += 1;
    }
  })();
  const consumer = new StreamConsumer(runtime, 'driver_stream');
  try {
    // Sent in slices, so the stream keeps landing batches while compactions commit.
    const placed = [];
    for (let start = BEFORE_RACE; start < TOTAL; start += 500) {
      const slice = events.slice(start, start + 500).map((event) => JSON.stringify(event));
      placed.push(...(await produceValues(TOPIC, slice, start)));
    }
    await streamUntil(consumer, endsOf(placed));
    // The race goes on until a compaction has committed on top of the stream's batches.
    const committedAfter = compactions;
    const deadline = Date.now() + 120_000;
    while (compactions < committedAfter + 1) {
      if (Date.now() > deadline) assert.fail(`no compaction committed within 120 s after the stream landed (${compactions} before)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    racing = false;
    await Promise.all([compacting, reading]);
  }
  assert.ok(compactions >= 2, `compactions committed while streaming: ${compactions}`);
  assert.ok(reads >= raceInstants.length, `reads checked while racing: ${reads}`);

  const rows = await readTable(dir, SOURCE_TABLE);
  assert.deepEqual(
    rows.map((row) => Number(row.trips)).sort((a, b) => a - b),
    Array.from({ length: TOTAL }, (_, seq) => seq),
    'every message once in the source table',
  );
  const instants = [1, 300, 1_000, 1_499, 1_500, 2_000, 3_000, 3_600, 3_601, 4_499, 4_520].flatMap((second) => [
    instantOf(second),
    instantOf(second) - 1,
  ]);
  await checkReadsAgainstBruteForce(runtime, {
    viewName: VIEW,
    features,
    events: eventsByColumn(rows, ['trips', 'conv_rate']),
    drivers,
    instants,
  });
});
