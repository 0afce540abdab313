/**
 * `npm run bench -- stream --aggregated [--quick]` (issue #55): a real-time aggregated view of 6
 * aggregates (count, sum, avg, min, max, last of `trips`) over 10 min, 1 h and 1 d windows, fed by
 * `floe stream`, its values read at request time.
 * - agg_rows_per_s: a bulk topic (events 50 ms apart in event time, so the windows' edges fall
 *   among them) landed by one `floe stream` process into the source table and the view's pushed
 *   rows: messages ÷ (last batch landed − process resumed).
 * - agg_values_checked / agg_values_wrong: while it lands, every second, a few keys read in-process
 *   at instants all of whose window events have landed (the last landed event's, an earlier one,
 *   and on and 1 ms beside each window's old edge on an event of the key), each of the 18
 *   values against DuckDB's recomputation over every event of the key (the topic's generator, the
 *   same formula). The events' `trips` are unique, so a lost or doubled event changes count and sum.
 * - agg_freshness_p99_ms: produced → `floe serve`'s first answer whose `last` is the probe (a probe
 *   is the only event of its key), as bench/stream.ts measures freshness.
 * - agg_read_1key_p99_ms: after one compaction (every partition merged into one file), one key at a time at request time (the clock
 *   moving 1 ms per read, so nothing is served from the combined values of an earlier read) over
 *   all the keys: 1,000,000 at full scale, 20,000 with --quick.
 * - agg_compaction_rows_per_s: the rows that compaction merged ÷ its seconds, to set against the
 *   events per second it must keep up with (10,000 in the freshness run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AggregationInput } from '../../features/aggregations.js';
import { aggregatedFeaturesOf } from '../../features/aggregations.js';
import type { AggregatedFeature } from '../../features/aggregations.js';
import { compactTable } from '../../features/compaction/index.js';
import { OnlineStore } from '../../features/online/online-store.js';
import { loadProject } from '../../features/project.js';
import { openRuntime } from '../../features/runtime.js';
import type { Runtime } from '../../features/runtime.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { sqliteCatalogIn } from '../../test/support/cli-project.js';
import { createEmptySourceTable } from '../../test/support/online/online-view.js';
import { kafkaBrokers } from '../../test/support/services.js';
import { figures, round } from '../_online/measure.js';
import type { BenchmarkOptions } from '../run.js';
import { numberArgument } from '../_args.js';
import { sourceTable, StreamProcesses, viewName, writeStreamProject } from './floe-stream.js';
import type { StreamCase } from './floe-stream.js';
import { floeFreshness } from './freshness.js';
import { createTopic, eventMillis, messagesIn, produceBulk } from './topic.js';

const PARTITIONS = 8;
const SPACING_MS = 50;
/** How long a batch gathers at most (floe stream's maxDelayMs); `--max-delay-ms` sets another. */
const MAX_DELAY_MS = 500;
const PROBE_EVERY_MS = 100;
const SERVE_REFRESH_MS = 200;
const WINDOWS = ['10m', '1h', '1d'] as const;
const AGGREGATIONS: AggregationInput[] = [
  { column: 'trips', type: 'long', functions: ['last', 'count', 'sum', 'avg', 'min', 'max'], windows: [...WINDOWS] },
];
/** Keys read per probe of the values while the stream lands. */
const KEYS_PER_PROBE = 4;

export async function runAggregated(options: BenchmarkOptions, log: (message: string) => void): Promise<Record<string, unknown>> {
  const settings = options.quick
    ? // Batches of 10,000 rows, so the values are probed while the stream lands.
      { events: 100_000, keys: 20_000, maxRows: 10_000, steadySeconds: 10, perSecond: 2_000, reads: 1_000 }
    : { events: 2_000_000, keys: 1_000_000, maxRows: 100_000, steadySeconds: 30, perSecond: 10_000, reads: 5_000 };
  const maxDelayMs = numberArgument(options.args, '--max-delay-ms', MAX_DELAY_MS, 60_000);
  const brokers = kafkaBrokers();
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-stream-agg-'));
  const catalog: CatalogConfig = { ...sqliteCatalogIn(scratch), create: true };
  const id = randomUUID().slice(0, 8);
  const bulk: StreamCase = { name: `agg_${id}`, topic: `bench-agg-${id}`, aggregations: AGGREGATIONS };
  const fresh: StreamCase = { name: `agg_fresh_${id}`, topic: `bench-agg-fresh-${id}`, aggregations: AGGREGATIONS };
  const project = path.join(scratch, 'project');
  await writeStreamProject(project, { catalog, brokers, cases: [bulk, fresh], maxRows: settings.maxRows, maxDelayMs });
  const runtime = await openRuntime(await loadProject(project)).catch(async (error: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  try {
    for (const { name } of [bulk, fresh]) await createEmptySourceTable(runtime.catalog, sourceTable(name));
    log(`producing ${settings.events.toLocaleString()} events over ${settings.keys.toLocaleString()} keys, ${SPACING_MS} ms apart`);
    await createTopic(brokers, bulk.topic, PARTITIONS);
    const ends = await produceBulk(brokers, bulk.topic, {
      count: settings.events,
      partitions: PARTITIONS,
      drivers: settings.keys,
      spacingMs: SPACING_MS,
    });
    const messages = messagesIn(ends);
    const features = aggregatedFeaturesOf(runtime.project.registry.featureView(viewName(bulk.name)));

    const consumer = new StreamProcesses(project, bulk.name);
    const checks = { checked: 0, wrong: 0, examples: [] as string[] };
    let landing = true;
    let doneAt = 0;
    consumer.start(1);
    try {
      const probing = (async () => {
        for (let round = 0; landing; round++) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          await probeValues(runtime, bulk, features, settings.keys, landedBefore(consumer.landedEnds()), round, checks);
        }
      })();
      doneAt = await consumer.until(ends, 1_800_000).finally(() => (landing = false));
      await probing;
    } finally {
      await consumer.stop();
    }
    const seconds = (doneAt - consumer.firstResumeAt!) / 1000;
    // Once all has landed: the last instant too.
    await probeValues(runtime, bulk, features, settings.keys, settings.events, -1, checks);
    const throughput = { seconds: round(seconds), rows_per_s: Math.round(messages / seconds), batches: consumer.batches.length };
    log(`Floe, 1 process, aggregated view: ${JSON.stringify(throughput)}; values ${JSON.stringify(checks)}`);

    const compactionStarted = performance.now();
    const compaction = await compactTable(
      { ...runtime, workDirectory: runtime.project.config.workDirectory },
      { featureView: viewName(bulk.name) },
      { skipCleanup: true, minFiles: 1 },
    );
    const compacted = {
      rows_before: compaction.rowsBefore,
      rows_after: compaction.rowsAfter,
      seconds: round((performance.now() - compactionStarted) / 1000),
    };
    log(`compacted: ${JSON.stringify(compacted)}`);
    const reads = await readOneKey(runtime, bulk, settings.keys, settings.events, settings.reads);
    log(`one key at request time over ${settings.keys.toLocaleString()} keys: ${JSON.stringify(reads)}`);

    const { freshness } = await floeFreshness(
      project,
      {
        brokers,
        steadySeconds: settings.steadySeconds,
        perSecond: settings.perSecond,
        partitions: PARTITIONS,
        drivers: settings.keys,
        probeEveryMs: PROBE_EVERY_MS,
        serveRefreshMs: SERVE_REFRESH_MS,
      },
      fresh,
      log,
    );
    return {
      aggregated: true,
      events: settings.events,
      messages,
      keys: settings.keys,
      windows: WINDOWS,
      functions: AGGREGATIONS[0]!.functions,
      max_rows: settings.maxRows,
      max_delay_ms: maxDelayMs,
      serve_refresh_ms: SERVE_REFRESH_MS,
      agg_rows_per_s: throughput.rows_per_s,
      agg_freshness_p99_ms: freshness.p99_ms,
      agg_values_checked: checks.checked,
      agg_values_wrong: checks.wrong,
      agg_read_1key_p99_ms: reads.p99_ms,
      agg_compaction_rows_per_s: Math.round(compacted.rows_before / Math.max(compacted.seconds, 0.001)),
      floe: { throughput, compaction: compacted, reads, freshness },
      ...(checks.examples.length > 0 ? { failures: checks.examples } : {}),
    };
  } finally {
    await runtime.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Events 0..n−1 have all landed: n = 8 × the least partition end (event seq is on partition seq % 8, at offset seq ÷ 8). */
function landedBefore(landed: ReadonlyMap<number, bigint>): number {
  let least = Infinity;
  for (let partition = 0; partition < PARTITIONS; partition++) least = Math.min(least, Number(landed.get(partition) ?? 0n));
  return least * PARTITIONS;
}

/**
 * Reads a few keys at instants all of whose window events have landed (events 0..landed−1): the
 * last event's, an earlier one, and where an event of the first key is exactly a window's length
 * back (outside) or 1 ms less (inside); each value against DuckDB's recomputation.
 */
async function probeValues(
  runtime: Runtime,
  streamCase: StreamCase,
  features: readonly AggregatedFeature[],
  keys: number,
  landed: number,
  round: number,
  checks: { checked: number; wrong: number; examples: string[] },
): Promise<void> {
  if (landed === 0) return;
  let state = (round + 7) * 2_654_435_761;
  const next = (bound: number) => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state % bound);
  const drivers = Array.from({ length: KEYS_PER_PROBE }, () => next(Math.min(keys, landed)));
  const latest = (landed - 1) * SPACING_MS;
  const instants = [latest, next(landed) * SPACING_MS];
  const first = drivers[0]!;
  const edgeEvent = (first + keys * next(Math.floor((landed - 1 - first) / keys) + 1)) * SPACING_MS;
  for (const seconds of new Set(features.map((feature) => feature.windowSeconds)))
    if (edgeEvent + seconds * 1000 <= latest) instants.push(edgeEvent + seconds * 1000, edgeEvent + seconds * 1000 - 1);
  for (const instant of instants) {
    const at = eventMillis(0, SPACING_MS) + instant;
    const store = new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => at,
    });
    const response = await store.getOnlineFeatures({
      features: [viewName(streamCase.name)],
      entityRows: drivers.map((driver) => ({ driver_id: driver })),
    });
    for (const [row, driver] of drivers.entries()) {
      const expected = await recomputed(runtime, features, driver, keys, instant);
      features.forEach((feature, index) => {
        const online = response.features.find((vector) => vector.feature === feature.name)!.values[row] ?? null;
        checks.checked += 1;
        if (sameValue(online, expected[index] ?? null)) return;
        checks.wrong += 1;
        if (checks.examples.length < 5)
          checks.examples.push(
            `${feature.name} of key ${driver} at ${new Date(at).toISOString()}: online ${String(online)}, DuckDB ${String(expected[index])}`,
          );
      });
    }
  }
}

/** DuckDB over every event of the key (seq driver, driver + keys, …) at or before `instant` (ms after the first event): each feature's value there. */
async function recomputed(
  runtime: Runtime,
  features: readonly AggregatedFeature[],
  driver: number,
  keys: number,
  instant: number,
): Promise<unknown[]> {
  const upTo = Math.floor(instant / SPACING_MS) + 1;
  const rows = await runtime.engine.withConnection(async (connection) => {
    const windows = [...new Set(features.map((feature) => feature.windowSeconds))];
    const selects = windows.map(
      (seconds) =>
        `SELECT ${seconds} AS w, count(*) AS count, CAST(sum(trips) AS BIGINT) AS sum, avg(trips) AS avg, min(trips) AS min, max(trips) AS max, arg_max(trips, ts) AS last ` +
        `FROM (SELECT range AS trips, range * ${SPACING_MS} AS ts FROM range(${driver}, ${upTo}, ${keys})) WHERE ts > ${instant - seconds * 1000} AND ts <= ${instant}`,
    );
    return (await connection.runAndReadAll(selects.join(' UNION ALL '))).getRowObjects();
  });
  return features.map((feature) => rows.find((row) => Number(row.w) === feature.windowSeconds)?.[feature.function] ?? null);
}

function sameValue(online: unknown, expected: unknown): boolean {
  if (online === null || expected === null) return online === expected;
  if (typeof online === 'number' && !Number.isInteger(online))
    return Math.abs(online - Number(expected)) <= 1e-9 * Math.max(1, Math.abs(Number(expected)));
  return String(online) === String(expected);
}

/** One random key per read at the last event's instant plus i ms. */
async function readOneKey(runtime: Runtime, streamCase: StreamCase, keys: number, events: number, reads: number) {
  const base = eventMillis(events - 1, SPACING_MS);
  let reading = 0;
  const store = new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    clock: () => base + reading,
  });
  const ask = (index: number) =>
    store.getOnlineFeatures({ features: [viewName(streamCase.name)], entityRows: [{ driver_id: (index * 2_654_435_761) % keys }] });
  // Warm: the first read of each file loads it.
  for (let index = 0; index < 50; index++) await ask(reads + index);
  const durations: number[] = [];
  const started = performance.now();
  for (let index = 0; index < reads; index++) {
    reading += 1;
    const begin = performance.now();
    await ask(index);
    durations.push(performance.now() - begin);
  }
  return figures(durations, performance.now() - started);
}
