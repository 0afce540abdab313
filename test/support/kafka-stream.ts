// Stream-source tests (issue #43): keyed JSON events produced to a real broker, and the checks
// that every good event is in the source table once and online holds each driver's latest.
import assert from 'node:assert/strict';
import { Admin, ProduceAcks, Producer, stringSerializer } from '@platformatic/kafka';
import type { StreamConsumer } from '../../features/stream/stream-consumer.js';
import { until } from './child-process.js';
import { runPyiceberg, sqliteCatalog } from './pyiceberg.js';
import { kafkaBrokers } from './services.js';

/** Drivers the events are spread over. */
export const STREAM_DRIVERS = 50;
const EPOCH = Date.parse('2024-05-01T00:00:00Z');

export interface Placed {
  readonly partition: number;
  readonly offset: bigint;
}

/** Event `seq`: driver seq % STREAM_DRIVERS, its trips the seq, later seqs later in event time (field `ts`). */
export function streamEvent(seq: number): Record<string, unknown> {
  return { driver_id: seq % STREAM_DRIVERS, conv_rate: seq / 4096, trips: seq, ts: new Date(EPOCH + seq * 1000).toISOString() };
}

export async function createTopics(topics: readonly string[], brokers = kafkaBrokers()): Promise<void> {
  const admin = new Admin({ clientId: 'floe-stream-test-admin', bootstrapBrokers: brokers });
  try {
    await admin.createTopics({ topics: [...topics], partitions: 3, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Produces the values (text, or bytes as they are; message `firstSeq + i` keyed by seq % 7, 100 in flight); where each landed, in order. */
export async function produceValues(
  topic: string,
  values: readonly (string | Buffer)[],
  firstSeq = 0,
  brokers = kafkaBrokers(),
): Promise<Placed[]> {
  const producer = new Producer({
    clientId: 'floe-stream-test',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: {
      key: stringSerializer,
      value: (value?: string | Buffer) => (typeof value === 'string' ? stringSerializer(value) : value),
      headerKey: stringSerializer,
      headerValue: stringSerializer,
    },
  });
  try {
    const placed: Placed[] = [];
    for (let start = 0; start < values.length; start += 100) {
      const results = await Promise.all(
        values
          .slice(start, start + 100)
          .map((value, index) => producer.send({ messages: [{ topic, key: `k${(firstSeq + start + index) % 7}`, value }] })),
      );
      for (const result of results) placed.push({ partition: result.offsets![0]!.partition, offset: BigInt(result.offsets![0]!.offset) });
    }
    return placed;
  } finally {
    await producer.close();
  }
}

/** Per partition, the offset after its last message. */
export function endsOf(placed: readonly Placed[]): Map<number, bigint> {
  const ends = new Map<number, bigint>();
  for (const { partition, offset } of placed) if ((ends.get(partition) ?? -1n) < offset + 1n) ends.set(partition, offset + 1n);
  return ends;
}

/** Per partition, the greatest next offset the lines printed (` <partition>@<next>`, as `floe stream`'s batch lines do). */
export function landedEnds(lines: readonly string[]): Map<number, bigint> {
  const ends = new Map<number, bigint>();
  for (const line of lines)
    for (const [, partition, next] of line.matchAll(/ (\d+)@(\d+)/g))
      if ((ends.get(Number(partition)) ?? -1n) < BigInt(next!)) ends.set(Number(partition), BigInt(next!));
  return ends;
}

/**
 * How long a consumer may take to land a topic before a test fails: a guard against a hang, not a
 * speed bound. (The two runs once put down to a busy machine were a hang: two files' streams of one
 * name shared a consumer group across two topics; see features/stream/consumer-group.ts.)
 */
export const LANDING_DEADLINE_MS = 180_000;

/** Waits until the `floe stream` children's batch lines (text or --json) together reach every partition's end. */
export async function untilLanded(ends: ReadonlyMap<number, bigint>, ...outputs: string[][]): Promise<void> {
  await until(
    'the consumers reached the end of every partition',
    outputs.flat(),
    () => {
      const lines = outputs.flat();
      const landed = landedEnds(lines.filter((line) => line.startsWith('batch ')));
      // --json: {"event": "batch", "ends": {"<partition>": "<next>"}, …}
      for (const line of lines.filter((text) => text.startsWith('{"event":"batch"')))
        for (const [partition, next] of Object.entries((JSON.parse(line) as { ends: Record<string, string> }).ends))
          if ((landed.get(Number(partition)) ?? -1n) < BigInt(next)) landed.set(Number(partition), BigInt(next));
      return [...ends].every(([partition, end]) => landed.get(partition) === end);
    },
    LANDING_DEADLINE_MS,
  );
}

/** Runs a consumer until it has landed every partition up to `ends`, then stops it. */
export async function streamUntil(consumer: StreamConsumer, ends: ReadonlyMap<number, bigint>): Promise<void> {
  const running = consumer.run();
  const deadline = Date.now() + LANDING_DEADLINE_MS;
  while (![...ends].every(([partition, end]) => consumer.positions.get(partition) === end)) {
    if (Date.now() > deadline)
      assert.fail(`the consumer reached ${JSON.stringify([...consumer.positions].map(String))} in ${LANDING_DEADLINE_MS / 1000} s`);
    await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  await consumer.stop();
  await running;
}

/** A table of the SQLite catalog in `dir`, as pyiceberg reads it. */
export async function readTable(dir: string, table: string): Promise<Record<string, unknown>[]> {
  return (await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: sqliteCatalog(dir), identifier: table })).rows;
}

/** Every good event of `0..total` once in the source table, and online the latest row of each driver. */
export async function checkLanded(
  dir: string,
  tables: { readonly sourceTable: string; readonly onlineTable: string },
  total: number,
  bad: ReadonlySet<number>,
): Promise<void> {
  const seqs = (await readTable(dir, tables.sourceTable)).map((row) => Number(row.trips)).sort((a, b) => a - b);
  const expected = Array.from({ length: total }, (_, seq) => seq).filter((seq) => !bad.has(seq));
  assert.equal(seqs.length, expected.length, 'no message twice, none skipped');
  assert.deepEqual(seqs, expected);
  const latest = new Map<number, { ts: number; trips: number }>();
  for (const row of await readTable(dir, tables.onlineTable)) {
    const ts = Date.parse(String(row.event_ts));
    const driver = Number(row.driver_id);
    if ((latest.get(driver)?.ts ?? -Infinity) < ts) latest.set(driver, { ts, trips: Number(row.trips) });
  }
  for (let driver = 0; driver < STREAM_DRIVERS; driver++) {
    const last = Math.max(...expected.filter((seq) => seq % STREAM_DRIVERS === driver));
    assert.equal(latest.get(driver)?.trips, last, `online latest of driver ${driver}`);
  }
}
