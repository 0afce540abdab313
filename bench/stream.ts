// `npm run bench -- stream [--quick]`: Kafka events into Iceberg and online, exactly once (issue #43).
// `--aggregated`: a real-time aggregated view instead (issue #55): see _stream/aggregated.ts.
// - Throughput: a topic of `events` JSON events over 8 partitions, produced before any sink starts.
//   `floe stream` lands them in the source table and the online view's table, with 1 and then 4
//   processes in one consumer group; and with 1 process into the source table alone, the job the
//   Kafka Connect sink does. rows/s = messages ÷ (last batch landed − first process resumed);
//   steady rows/s leaves out the first batch (process start, JIT, first connections).
// - Freshness: events produced at a steady rate with a probe every 100 ms, one `floe stream` process
//   at maxDelayMs 500, and `floe serve` asked for each probe until it answers it: produced → served.
// - Peer, in the same run: Apache Iceberg's Kafka Connect sink (Connect standalone, 1 task, commit
//   interval = Floe's maxDelayMs) writing the same bulk topic and a steady topic of its own into
//   tables of the same REST catalog. Its rows/s = messages ÷ (all committed − task running); steady
//   rows/s from its first commit to its last; freshness = produced → the commit time of the first
//   snapshot holding the probe (it serves nothing, so it is judged at the table).
// - Judge: pyiceberg counts every table's `trips` (each event's unique sequence number): count = the
//   topic's messages and distinct = the events produced means none lost and none twice.
// vs_kafka_connect = Floe's time for the bulk topic into the source table alone ÷ the sink's: at most
// 0.667 is the "≥ 1.5× the rows/s"; vs_kafka_connect_with_online puts Floe's time into
// Iceberg + online over the same. freshness_p99_vs_kafka_connect = Floe's p99 ÷ the sink's.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import type { ServiceName } from '../scripts/services/service.js';
import { createEmptySourceTable } from '../test/support/online/online-view.js';
import { floeRestCatalog, oracleRestCatalog } from '../test/support/rest-catalog.js';
import { kafkaBrokers, pythonOracle } from '../test/support/services.js';
import { onlineTable, sourceTable, StreamProcesses, writeStreamProject } from './_stream/floe-stream.js';
import type { StreamCase } from './_stream/floe-stream.js';
import { floeFreshness, freshnessFigures } from './_stream/freshness.js';
import type { FreshnessFigures } from './_stream/freshness.js';
import { sinkCommits, startSink, untilRows } from './_stream/kafka-connect-peer.js';
import { createTopic, messagesIn, PROBE_BASE, produceBulk, steadyTopic, topicEnds } from './_stream/topic.js';
import type { SteadySettings } from './_stream/topic.js';
import { round } from './_online/measure.js';
import { runAggregated } from './_stream/aggregated.js';
import type { BenchmarkOptions } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARTITIONS = 8;
const DRIVERS = 100_000;
/**
 * A batch closes at 100,000 rows or 500 ms: at the ~150k rows/s Floe lands here that is about what
 * the sink gathers in its 500 ms commit interval (it has no row bound). At 50,000, each row pays for
 * twice the commits: ~135k rows/s into the source table alone, ~100k with online.
 */
const MAX_ROWS = 100_000;
const MAX_DELAY_MS = 500;
const PROBE_EVERY_MS = 100;
/** How often `floe serve` asks the catalog for a newer snapshot during the freshness run. */
const SERVE_REFRESH_MS = 200;
/** The sink's `iceberg.control.commit.interval-ms`: Floe's maxDelayMs, its own knob for how fresh a table is. */
const SINK_COMMIT_INTERVAL_MS = MAX_DELAY_MS;

/** `--aggregated` needs the broker only: its catalog is SQLite in a scratch folder. */
export const services = (options: BenchmarkOptions): readonly ServiceName[] =>
  options.args.includes('--aggregated') ? ['kafka'] : ['minio', 'rest-catalog', 'kafka', 'python'];

interface Settings {
  readonly events: number;
  readonly steadySeconds: number;
  readonly perSecond: number;
}

interface Bench {
  readonly settings: Settings;
  readonly brokers: readonly string[];
  readonly catalog: Catalog;
  readonly scratch: string;
  readonly project: string;
}

/** A table the judge checks: it must hold `messages` rows, `events` of them distinct. */
interface Expected {
  readonly identifier: string;
  readonly messages: number;
  readonly events: number;
  readonly probes?: boolean;
}

interface Throughput {
  readonly seconds: number;
  readonly rows_per_s: number;
  /** Past the first commit; null when there was only one. */
  readonly steady_rows_per_s: number | null;
}

interface Judged {
  readonly count: number;
  readonly distinct: number;
  readonly min: number;
  readonly max: number;
  readonly first_seen?: Record<string, number>;
}

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  if (options.args.includes('--aggregated')) return runAggregated(options, log);
  const settings: Settings = options.quick
    ? { events: 100_000, steadySeconds: 10, perSecond: 5_000 }
    : { events: 1_000_000, steadySeconds: 30, perSecond: 10_000 };
  const brokers = kafkaBrokers();
  const catalogConfig = floeRestCatalog();
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-stream-'));
  const id = randomUUID().slice(0, 8);
  const bulk = `bench-events-${id}`;
  const cases = {
    one: { name: `events_1_${id}`, topic: bulk },
    offline: { name: `events_offline_${id}`, topic: bulk, offlineOnly: true },
    four: { name: `events_4_${id}`, topic: `bench-events-4-${id}` },
    fresh: { name: `fresh_${id}`, topic: `bench-fresh-${id}` },
  } satisfies Record<string, StreamCase>;
  const bench: Bench = { settings, brokers, catalog: await loadCatalog(catalogConfig), scratch, project: path.join(scratch, 'project') };
  try {
    await writeStreamProject(bench.project, {
      catalog: catalogConfig,
      brokers,
      cases: Object.values(cases),
      maxRows: MAX_ROWS,
      maxDelayMs: MAX_DELAY_MS,
    });
    for (const { name } of Object.values(cases)) await createEmptySourceTable(bench.catalog, sourceTable(name));
    log(`producing ${settings.events.toLocaleString()} events over ${PARTITIONS} partitions into ${bulk} and ${cases.four.topic}`);
    const bulkEnds = await bulkTopic(bench, bulk);
    const fourEnds = await bulkTopic(bench, cases.four.topic);
    const expected: Expected[] = [];
    const events = settings.events;

    const one = await floeThroughput(bench, cases.one, 1, bulkEnds);
    const offline = await floeThroughput(bench, cases.offline, 1, bulkEnds);
    const four = await floeThroughput(bench, cases.four, 4, fourEnds);
    for (const [streamCase, ends] of [
      [cases.one, bulkEnds],
      [cases.four, fourEnds],
    ] as const)
      expected.push(
        { identifier: sourceTable(streamCase.name), messages: messagesIn(ends), events },
        { identifier: onlineTable(streamCase.name), messages: messagesIn(ends), events },
      );
    expected.push({ identifier: sourceTable(cases.offline.name), messages: messagesIn(bulkEnds), events });

    const sinkTable = `bench.kc_${id}`;
    const sink = await sinkThroughput(bench, bulk, sinkTable, bulkEnds);
    const sinkExpected: Expected[] = [{ identifier: sinkTable, messages: messagesIn(bulkEnds), events }];

    const { freshness, steady } = await floeFreshness(
      bench.project,
      { ...steadySettings(bench), serveRefreshMs: SERVE_REFRESH_MS },
      cases.fresh,
      log,
    );
    expected.push({ identifier: sourceTable(cases.fresh.name), messages: steady.messages, events: steady.events });
    const sinkFreshTable = `bench.kc_fresh_${id}`;
    const sinkSteady = await sinkFreshnessRun(bench, `bench-fresh-kc-${id}`, sinkFreshTable);
    sinkExpected.push({ identifier: sinkFreshTable, messages: sinkSteady.messages, events: sinkSteady.events, probes: true });

    log('pyiceberg counts every table');
    const judged = await judge(scratch, [...expected, ...sinkExpected]);
    const sinkFreshness = probeFreshness(sinkSteady.probes, judged[sinkFreshTable]?.first_seen ?? {});
    log(`Kafka Connect sink freshness (produced → committed): ${JSON.stringify(sinkFreshness)}`);
    return {
      events,
      partitions: PARTITIONS,
      max_rows: MAX_ROWS,
      max_delay_ms: MAX_DELAY_MS,
      serve_refresh_ms: SERVE_REFRESH_MS,
      sink_commit_interval_ms: SINK_COMMIT_INTERVAL_MS,
      rows_per_s_1_process: one.rows_per_s,
      rows_per_s_4_processes: four.rows_per_s,
      rows_per_s_iceberg_only: offline.rows_per_s,
      freshness_p50_ms: freshness.p50_ms,
      freshness_p99_ms: freshness.p99_ms,
      exactly_once: expected.every((table) => exactlyOnce(judged, table)),
      kafka_connect_rows_per_s: sink.rows_per_s,
      kafka_connect_freshness_p99_ms: sinkFreshness.p99_ms,
      kafka_connect_exactly_once: sinkExpected.every((table) => exactlyOnce(judged, table)),
      vs_kafka_connect: round(offline.seconds / sink.seconds),
      vs_kafka_connect_with_online: round(one.seconds / sink.seconds),
      freshness_p99_vs_kafka_connect: round(freshness.p99_ms / sinkFreshness.p99_ms),
      floe: { '1_process': one, '4_processes': four, iceberg_only: offline, freshness },
      kafka_connect: { ...sink, freshness: sinkFreshness },
      judged: Object.fromEntries(
        Object.entries(judged).map(([table, { first_seen: _, ...figures }]) => [
          table,
          { ...figures, expected: [...expected, ...sinkExpected].find((entry) => entry.identifier === table) },
        ]),
      ),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function bulkTopic(bench: Bench, topic: string): Promise<Map<number, bigint>> {
  await createTopic(bench.brokers, topic, PARTITIONS);
  const started = performance.now();
  const ends = await produceBulk(bench.brokers, topic, { count: bench.settings.events, partitions: PARTITIONS, drivers: DRIVERS });
  log(`  ${topic}: ${messagesIn(ends).toLocaleString()} messages in ${Math.round(performance.now() - started)} ms`);
  return ends;
}

async function floeThroughput(
  bench: Bench,
  streamCase: StreamCase,
  processes: number,
  ends: ReadonlyMap<number, bigint>,
): Promise<Throughput & { readonly batches: number; readonly commit_ms_p50: number; readonly commit_ms_max: number }> {
  const consumers = new StreamProcesses(bench.project, streamCase.name);
  consumers.start(processes);
  try {
    const doneAt = await consumers.until(ends, 600_000);
    const seconds = (doneAt - consumers.firstResumeAt!) / 1000;
    const [first, ...rest] = consumers.batches;
    const commits = consumers.batches.map((batch) => batch.commitMs).sort((a, b) => a - b);
    const figures = {
      seconds: round(seconds),
      rows_per_s: Math.round(messagesIn(ends) / seconds),
      steady_rows_per_s: steadyRate(rest, first!.at, doneAt),
      batches: consumers.batches.length,
      commit_ms_p50: round(commits[Math.floor(commits.length / 2)] ?? NaN),
      commit_ms_max: round(commits.at(-1) ?? NaN),
    };
    log(`Floe, ${processes} process(es)${streamCase.offlineOnly ? ', source table only' : ''}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await consumers.stop();
  }
}

async function sinkThroughput(bench: Bench, topic: string, table: string, ends: ReadonlyMap<number, bigint>): Promise<Throughput> {
  await createEmptySourceTable(bench.catalog, table);
  log(`Kafka Connect sink: ${topic} → ${table}`);
  const sink = await startSink(bench.scratch, { brokers: bench.brokers, topic, table, commitIntervalMs: SINK_COMMIT_INTERVAL_MS });
  try {
    const doneAt = await untilRows(bench.catalog, table, messagesIn(ends), 900_000);
    const seconds = (doneAt - sink.runningAt) / 1000;
    const commits = await sinkCommits(bench.catalog, table);
    const [first, ...rest] = commits;
    const figures = {
      seconds: round(seconds),
      rows_per_s: Math.round(messagesIn(ends) / seconds),
      steady_rows_per_s: steadyRate(rest, first!.at, commits.at(-1)!.at),
      commits: commits.length,
    };
    log(`Kafka Connect sink, 1 task: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await sink.stop();
  }
}

async function sinkFreshnessRun(
  bench: Bench,
  topic: string,
  table: string,
): Promise<{ probes: ReadonlyMap<number, number>; messages: number; events: number }> {
  await createEmptySourceTable(bench.catalog, table);
  await createTopic(bench.brokers, topic, PARTITIONS);
  log(`Kafka Connect sink freshness: ${topic} → ${table}`);
  const sink = await startSink(bench.scratch, { brokers: bench.brokers, topic, table, commitIntervalMs: SINK_COMMIT_INTERVAL_MS });
  const probes = new Map<number, number>();
  try {
    const steady = await steadyTopic(steadySettings(bench), topic, (index, at) => probes.set(index, at));
    const messages = messagesIn(await topicEnds(bench.brokers, topic, PARTITIONS));
    await untilRows(bench.catalog, table, messages, 300_000);
    return { probes, messages, events: steady.events };
  } finally {
    await sink.stop();
  }
}

function steadySettings(bench: Bench): SteadySettings {
  const { steadySeconds, perSecond } = bench.settings;
  return { brokers: bench.brokers, steadySeconds, perSecond, partitions: PARTITIONS, drivers: DRIVERS, probeEveryMs: PROBE_EVERY_MS };
}

/** Produced → committed, per probe the judge found (its first snapshot's commit time). */
function probeFreshness(probes: ReadonlyMap<number, number>, firstSeen: Readonly<Record<string, number>>): FreshnessFigures {
  const samples = [...probes].flatMap(([index, at]) => {
    const committed = firstSeen[String(PROBE_BASE + index)];
    return committed === undefined ? [] : [committed - at];
  });
  return { ...freshnessFigures(samples), unseen: probes.size - samples.length };
}

function exactlyOnce(judged: Readonly<Record<string, Judged>>, expected: Expected): boolean {
  const figures = judged[expected.identifier];
  return figures !== undefined && figures.count === expected.messages && figures.distinct === expected.events;
}

async function judge(scratch: string, tables: readonly Expected[]): Promise<Record<string, Judged>> {
  const request = path.join(scratch, 'judge.json');
  const entries = tables.map(({ identifier, probes }) => (probes === true ? { identifier, probe_base: PROBE_BASE } : { identifier }));
  await writeFile(request, JSON.stringify({ catalog: oracleRestCatalog(), tables: entries }));
  const result = spawnSync(pythonOracle().python, [path.join(here, '_stream', 'pyiceberg_check.py'), request], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`pyiceberg_check.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, Judged>;
}

/** Rows/s of the commits after the first, from the first's end to the last's: null with only one. */
function steadyRate(after: readonly { rows: number }[], firstAt: number, lastAt: number): number | null {
  if (after.length === 0 || lastAt <= firstAt) return null;
  return Math.round((after.reduce((sum, commit) => sum + commit.rows, 0) / (lastAt - firstAt)) * 1000);
}

function log(message: string): void {
  console.log(`[bench stream] ${message}`);
}
