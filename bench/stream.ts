// `npm run bench -- stream [--quick]`: Kafka events into Iceberg and online, exactly once (issue #43).
// - Throughput: a topic of `events` JSON events over 8 partitions, produced before any sink starts;
//   `floe stream` with 1 and then 4 processes in one consumer group lands them in the source table and
//   the online view's table. rows/s = events ÷ (last batch landed − first process resumed).
// - Freshness: events produced at a steady rate with a probe every 100 ms, one `floe stream` process
//   at maxDelayMs 500, and `floe serve` asked for each probe until it answers it: produced → served.
// - Peer, in the same run: Apache Iceberg's Kafka Connect sink (Connect standalone, 1 task) writing the
//   same topics into tables of the same REST catalog. Its throughput is events ÷ (last commit − task
//   running), its freshness produced → the commit time of the first snapshot holding the probe.
// - Judge: pyiceberg counts every table's `trips` (each event's unique sequence number): count ==
//   distinct == events means none lost, none twice.
// vs_kafka_connect = Floe's time for the events (1 process) ÷ the sink's (1 task): at most 0.667 is the
// aim's "≥ 1.5× the rows/s". freshness_p99_vs_kafka_connect = Floe's p99 ÷ the sink's.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import type { ServiceName } from '../scripts/services/service.js';
import { floeRestCatalog, oracleRestCatalog } from '../test/support/rest-catalog.js';
import { kafkaBrokers, pythonOracle } from '../test/support/services.js';
import { createEventsTable, onlineFeature, sourceTable, StreamProcesses, writeStreamProject } from './_stream/floe-stream.js';
import type { StreamCase } from './_stream/floe-stream.js';
import { freshnessFigures, ProbeFollower, startServe } from './_stream/freshness.js';
import { startSink, untilRows } from './_stream/kafka-connect-peer.js';
import { createTopic, PROBE_BASE, produceBulk, produceSteady, topicEnds } from './_stream/topic.js';
import { round } from './_online/measure.js';
import type { BenchmarkOptions } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARTITIONS = 8;
const DRIVERS = 100_000;
const MAX_ROWS = 50_000;
const MAX_DELAY_MS = 500;
const PROBE_EVERY_MS = 100;
/** How often `floe serve` asks the catalog for a newer snapshot during the freshness run. */
const SERVE_REFRESH_MS = 200;
/** The sink's `iceberg.control.commit.interval-ms`: Floe's maxDelayMs, its own knob for how fresh a table is. */
const SINK_COMMIT_INTERVAL_MS = MAX_DELAY_MS;

export const services: readonly ServiceName[] = ['minio', 'rest-catalog', 'kafka', 'python'];

interface Judged {
  readonly count: number;
  readonly distinct: number;
  readonly min: number;
  readonly max: number;
  readonly first_seen?: Record<string, number>;
}

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const settings = options.quick
    ? { events: 100_000, steadySeconds: 10, perSecond: 5_000 }
    : { events: 1_000_000, steadySeconds: 30, perSecond: 10_000 };
  const brokers = kafkaBrokers();
  const catalogConfig = floeRestCatalog();
  const catalog = await loadCatalog(catalogConfig);
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-stream-'));
  const run = randomUUID().slice(0, 8);
  const cases = {
    one: { name: `events_1_${run}`, topic: `bench-events-${run}` },
    four: { name: `events_4_${run}`, topic: `bench-events-4-${run}` },
    fresh: { name: `fresh_${run}`, topic: `bench-fresh-${run}` },
  } satisfies Record<string, StreamCase>;
  const project = path.join(scratch, 'project');
  try {
    await writeStreamProject(project, {
      catalog: catalogConfig,
      brokers,
      cases: Object.values(cases),
      maxRows: MAX_ROWS,
      maxDelayMs: MAX_DELAY_MS,
    });
    for (const { name } of Object.values(cases)) await createEventsTable(catalog, sourceTable(name));

    log(`producing ${settings.events.toLocaleString()} events over ${PARTITIONS} partitions, twice`);
    const ends = new Map<string, Map<number, bigint>>();
    for (const streamCase of [cases.one, cases.four]) {
      await createTopic(brokers, streamCase.topic, PARTITIONS);
      const started = performance.now();
      ends.set(
        streamCase.name,
        await produceBulk(brokers, streamCase.topic, { count: settings.events, partitions: PARTITIONS, drivers: DRIVERS }),
      );
      log(`  ${streamCase.topic}: ${Math.round(performance.now() - started)} ms`);
    }

    const floe: Record<string, unknown> = {};
    for (const [processes, streamCase] of [
      [1, cases.one],
      [4, cases.four],
    ] as const) {
      const consumers = new StreamProcesses(project, streamCase.name);
      consumers.start(processes);
      try {
        const doneAt = await consumers.until(ends.get(streamCase.name)!, 600_000);
        const seconds = (doneAt - consumers.firstResumeAt!) / 1000;
        const messages = messagesIn(ends.get(streamCase.name)!);
        const commits = consumers.batches.map((batch) => batch.commitMs).sort((a, b) => a - b);
        floe[`${processes}_process`] = {
          seconds: round(seconds),
          rows_per_s: Math.round(messages / seconds),
          batches: consumers.batches.length,
          commit_ms_p50: round(commits[Math.floor(commits.length / 2)] ?? NaN),
          commit_ms_max: round(commits.at(-1) ?? NaN),
        };
        log(`Floe, ${processes} process(es): ${JSON.stringify(floe[`${processes}_process`])}`);
      } finally {
        await consumers.stop();
      }
    }

    const sinkTable = `bench.kc_${run}`;
    await createEventsTable(catalog, sinkTable);
    log(`Kafka Connect sink: ${cases.one.topic} → ${sinkTable}`);
    const sink = await startSink(scratch, { brokers, topic: cases.one.topic, table: sinkTable, commitIntervalMs: SINK_COMMIT_INTERVAL_MS });
    let sinkFigures;
    try {
      const doneAt = await untilRows(catalog, sinkTable, messagesIn(ends.get(cases.one.name)!), 900_000);
      const seconds = (doneAt - sink.runningAt) / 1000;
      sinkFigures = { seconds: round(seconds), rows_per_s: Math.round(messagesIn(ends.get(cases.one.name)!) / seconds) };
      log(`Kafka Connect sink, 1 task: ${JSON.stringify(sinkFigures)}`);
    } finally {
      await sink.stop();
    }

    log(`freshness: ${settings.perSecond.toLocaleString()} events/s for ${settings.steadySeconds} s, a probe every ${PROBE_EVERY_MS} ms`);
    await createTopic(brokers, cases.fresh.topic, PARTITIONS);
    const serve = await startServe(project, SERVE_REFRESH_MS);
    const consumer = new StreamProcesses(project, cases.fresh.name);
    let steadyEvents = 0;
    let steadyMessages = 0;
    let freshness;
    try {
      consumer.start(1);
      while (consumer.firstResumeAt === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      const follower = new ProbeFollower(serve.url, onlineFeature(cases.fresh.name));
      let produced = false;
      const following = follower.follow(() => produced, 30_000);
      const steady = await produceSteady(brokers, cases.fresh.topic, {
        seconds: settings.steadySeconds,
        perSecond: settings.perSecond,
        partitions: PARTITIONS,
        drivers: DRIVERS,
        probeEveryMs: PROBE_EVERY_MS,
        firstSeq: 0,
        onProbe: (index, at) => follower.produced.set(index, at),
      });
      produced = true;
      steadyEvents = steady.events;
      steadyMessages = messagesIn(await topicEnds(brokers, cases.fresh.topic, PARTITIONS));
      await following;
      await consumer.until(steady.ends, 120_000);
      const { samples, unseen } = follower.freshness();
      freshness = { ...freshnessFigures(samples), unseen };
      log(`Floe freshness (produced → served): ${JSON.stringify(freshness)}`);
    } finally {
      await consumer.stop();
      serve.child.kill('SIGTERM');
    }

    const sinkFreshTopic = `bench-fresh-kc-${run}`;
    const sinkFreshTable = `bench.kc_fresh_${run}`;
    await createEventsTable(catalog, sinkFreshTable);
    await createTopic(brokers, sinkFreshTopic, PARTITIONS);
    log(`Kafka Connect sink freshness: ${sinkFreshTopic} → ${sinkFreshTable}`);
    const freshSink = await startSink(scratch, {
      brokers,
      topic: sinkFreshTopic,
      table: sinkFreshTable,
      commitIntervalMs: SINK_COMMIT_INTERVAL_MS,
    });
    const sinkProbes = new Map<number, number>();
    let sinkSteadyEvents = 0;
    let sinkSteadyMessages = 0;
    try {
      const steady = await produceSteady(brokers, sinkFreshTopic, {
        seconds: settings.steadySeconds,
        perSecond: settings.perSecond,
        partitions: PARTITIONS,
        drivers: DRIVERS,
        probeEveryMs: PROBE_EVERY_MS,
        firstSeq: 0,
        onProbe: (index, at) => sinkProbes.set(index, at),
      });
      sinkSteadyEvents = steady.events;
      sinkSteadyMessages = messagesIn(await topicEnds(brokers, sinkFreshTopic, PARTITIONS));
      await untilRows(catalog, sinkFreshTable, sinkSteadyMessages, 300_000);
    } finally {
      await freshSink.stop();
    }

    log('pyiceberg counts every table');
    const judged = await judge(scratch, [
      ...[cases.one, cases.four]
        .flatMap(({ name }) => [sourceTable(name), `floe_online.${name}_live`])
        .map((identifier) => ({ identifier })),
      { identifier: sourceTable(cases.fresh.name) },
      { identifier: sinkTable },
      { identifier: sinkFreshTable, probe_base: PROBE_BASE },
    ]);
    const sinkSeen = judged[sinkFreshTable]?.first_seen ?? {};
    const sinkSamples = [...sinkProbes].flatMap(([index, at]) => {
      const committed = sinkSeen[String(PROBE_BASE + index)];
      return committed === undefined ? [] : [committed - at];
    });
    const sinkFreshness = { ...freshnessFigures(sinkSamples), unseen: sinkProbes.size - sinkSamples.length };
    log(`Kafka Connect sink freshness (produced → committed): ${JSON.stringify(sinkFreshness)}`);
    // Exactly once: a table holds every message of its topic once (count = the topic's messages,
    // which may hold a chunk the producer wrote twice) and every event (distinct = events produced).
    const check = (identifier: string, messages: number, events: number) => {
      const figures = judged[identifier];
      return figures !== undefined && figures.count === messages && figures.distinct === events;
    };
    const bulkMessages = (streamCase: StreamCase) => messagesIn(ends.get(streamCase.name)!);
    const exact =
      [cases.one, cases.four].every(
        (streamCase) =>
          check(sourceTable(streamCase.name), bulkMessages(streamCase), settings.events) &&
          check(`floe_online.${streamCase.name}_live`, bulkMessages(streamCase), settings.events),
      ) && check(sourceTable(cases.fresh.name), steadyMessages, steadyEvents);
    const sinkExact =
      check(sinkTable, bulkMessages(cases.one), settings.events) && check(sinkFreshTable, sinkSteadyMessages, sinkSteadyEvents);
    const floeOne = floe['1_process'] as { seconds: number; rows_per_s: number };
    return {
      events: settings.events,
      partitions: PARTITIONS,
      max_rows: MAX_ROWS,
      max_delay_ms: MAX_DELAY_MS,
      serve_refresh_ms: SERVE_REFRESH_MS,
      sink_commit_interval_ms: SINK_COMMIT_INTERVAL_MS,
      rows_per_s_1_process: floeOne.rows_per_s,
      rows_per_s_4_processes: (floe['4_process'] as { rows_per_s: number }).rows_per_s,
      freshness_p50_ms: freshness?.p50_ms,
      freshness_p99_ms: freshness?.p99_ms,
      topic_messages: {
        bulk_1: bulkMessages(cases.one),
        bulk_4: bulkMessages(cases.four),
        steady: steadyMessages,
        steady_sink: sinkSteadyMessages,
      },
      exactly_once: exact,
      kafka_connect_rows_per_s: sinkFigures?.rows_per_s,
      kafka_connect_freshness_p99_ms: sinkFreshness.p99_ms,
      kafka_connect_exactly_once: sinkExact,
      vs_kafka_connect: sinkFigures === undefined ? null : round(floeOne.seconds / sinkFigures.seconds),
      freshness_p99_vs_kafka_connect: freshness === undefined ? null : round(freshness.p99_ms / sinkFreshness.p99_ms),
      floe,
      freshness,
      kafka_connect: { ...sinkFigures, freshness: sinkFreshness },
      judged: Object.fromEntries(Object.entries(judged).map(([table, { first_seen: _, ...figures }]) => [table, figures])),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function judge(scratch: string, tables: readonly { identifier: string; probe_base?: number }[]): Promise<Record<string, Judged>> {
  const request = path.join(scratch, 'judge.json');
  await writeFile(request, JSON.stringify({ catalog: oracleRestCatalog(), tables }));
  const result = spawnSync(pythonOracle().python, [path.join(here, '_stream', 'pyiceberg_check.py'), request], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`pyiceberg_check.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, Judged>;
}

function messagesIn(ends: ReadonlyMap<number, bigint>): number {
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n));
}

function log(message: string): void {
  console.log(`[bench stream] ${message}`);
}
