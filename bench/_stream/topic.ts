/**
 * The benchmark's topics: events produced in bulk before a sink starts (throughput), or at a steady
 * rate with probes among them (freshness). Every event's `trips` is its sequence number, unique in
 * the topic, so the judge can count what is lost and what is twice.
 */
import { Admin, ProduceAcks, Producer, stringSerializer } from '@platformatic/kafka';

const EPOCH = Date.parse('2024-05-01T00:00:00Z');
/** Probes have trips from here and drivers of their own from PROBE_DRIVERS, so a read of a probe's driver finds only it. */
export const PROBE_BASE = 1_000_000_000_000;
const PROBE_DRIVERS = 1_000_000_000;

export interface Event {
  readonly driver_id: number;
  readonly conv_rate: number;
  readonly trips: number;
  readonly event_timestamp: string;
}

/** Event `seq`: its trips the seq, `spacingMs` after event seq − 1 (from EPOCH). */
export function event(seq: number, drivers: number, spacingMs = 1): Event {
  return {
    driver_id: seq % drivers,
    conv_rate: (seq % 4096) / 4096,
    trips: seq,
    event_timestamp: new Date(eventMillis(seq, spacingMs)).toISOString(),
  };
}

/** Event `seq`'s time (ms since the epoch). */
export function eventMillis(seq: number, spacingMs = 1): number {
  return EPOCH + seq * spacingMs;
}

export function probe(index: number, at: number): Event {
  return { driver_id: PROBE_DRIVERS + index, conv_rate: 0, trips: PROBE_BASE + index, event_timestamp: new Date(at).toISOString() };
}

export function probeDriver(index: number): number {
  return PROBE_DRIVERS + index;
}

export async function createTopic(brokers: readonly string[], topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'floe-bench-stream-admin', bootstrapBrokers: [...brokers] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

function producer(brokers: readonly string[]): Producer<string, string, string, string> {
  return new Producer({
    clientId: 'floe-bench-stream',
    bootstrapBrokers: [...brokers],
    // Idempotent: a retried send is not written twice, so the topic holds each event once and the
    // judge's counts compare the sinks with exactly what was produced.
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: { key: stringSerializer, value: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
}

/**
 * Events 0..count-1, event i on partition i % partitions, sent in chunks with a few in flight; the
 * topic's ends after. The client may write a chunk twice when it retries a send the broker took
 * (seen under load even with `idempotent`): the ends count what the topic holds, each copy a message.
 */
export async function produceBulk(
  brokers: readonly string[],
  topic: string,
  options: { count: number; partitions: number; drivers: number; spacingMs?: number },
): Promise<Map<number, bigint>> {
  const client = producer(brokers);
  const chunk = 5_000;
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let start = 0; start < options.count; start += chunk) {
      const messages = [];
      for (let seq = start; seq < Math.min(options.count, start + chunk); seq++) {
        const value = event(seq, options.drivers, options.spacingMs);
        messages.push({ topic, partition: seq % options.partitions, key: String(value.driver_id), value: JSON.stringify(value) });
      }
      inFlight.push(client.send({ messages }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return await topicEnds(brokers, topic, options.partitions);
  } finally {
    await client.close();
  }
}

export interface SteadyRun {
  /** Events produced (background and probes), and their sequence numbers' end. */
  readonly events: number;
  /** Per probe index, when it was handed to the producer (ms since the epoch). */
  readonly probes: readonly number[];
  /** Per partition, the offset after its last message (the topic held nothing before). */
  readonly ends: ReadonlyMap<number, bigint>;
}

/**
 * For `seconds`, `perSecond` events a second in 50 ms ticks, spread over the partitions, and a
 * probe every `probeEveryMs` on partition probe % partitions. Sequence numbers start at `firstSeq`.
 */
export async function produceSteady(
  brokers: readonly string[],
  topic: string,
  options: {
    seconds: number;
    perSecond: number;
    partitions: number;
    drivers: number;
    probeEveryMs: number;
    firstSeq: number;
    onProbe?: (index: number, at: number) => void;
  },
): Promise<SteadyRun> {
  const client = producer(brokers);
  const probes: number[] = [];
  let seq = options.firstSeq;
  const started = Date.now();
  const tickMs = 50;
  const sends: Promise<unknown>[] = [];
  const ends = new Map<number, bigint>();
  const place = (partition: number): number => (ends.set(partition, (ends.get(partition) ?? 0n) + 1n), partition);
  try {
    for (let tick = 0; Date.now() - started < options.seconds * 1000; tick++) {
      const messages = [];
      for (let i = 0; i < Math.round((options.perSecond * tickMs) / 1000); i++, seq++) {
        const value = event(seq, options.drivers);
        messages.push({ topic, partition: place(seq % options.partitions), key: String(value.driver_id), value: JSON.stringify(value) });
      }
      const now = Date.now();
      while (probes.length * options.probeEveryMs <= now - started) {
        const index = probes.length;
        const value = probe(index, now);
        messages.push({ topic, partition: place(index % options.partitions), key: String(value.driver_id), value: JSON.stringify(value) });
        probes.push(now);
        options.onProbe?.(index, now);
      }
      sends.push(client.send({ messages }));
      const next = started + (tick + 1) * tickMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    await Promise.all(sends);
    return { events: seq - options.firstSeq + probes.length, probes, ends };
  } finally {
    await client.close();
  }
}

/** Per partition, the offset after its last message, as the broker says. */
export async function topicEnds(brokers: readonly string[], topic: string, partitions: number): Promise<Map<number, bigint>> {
  const admin = new Admin({ clientId: 'floe-bench-stream-admin', bootstrapBrokers: [...brokers] });
  try {
    const [listed] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
      ],
    });
    return new Map((listed?.partitions ?? []).map((partition) => [partition.partitionIndex, partition.offset]));
  } finally {
    await admin.close();
  }
}

/** Messages a topic holds, from its partitions' ends. */
export function messagesIn(ends: ReadonlyMap<number, bigint>): number {
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n));
}

/** How a steady run produces: `perSecond` events a second for `steadySeconds`, a probe every `probeEveryMs`. */
export interface SteadySettings {
  readonly brokers: readonly string[];
  readonly steadySeconds: number;
  readonly perSecond: number;
  readonly partitions: number;
  readonly drivers: number;
  readonly probeEveryMs: number;
}

/** A steady run with probes into a new topic (see `produceSteady`). */
export function steadyTopic(settings: SteadySettings, topic: string, onProbe: (index: number, at: number) => void): Promise<SteadyRun> {
  return produceSteady(settings.brokers, topic, {
    seconds: settings.steadySeconds,
    perSecond: settings.perSecond,
    partitions: settings.partitions,
    drivers: settings.drivers,
    probeEveryMs: settings.probeEveryMs,
    firstSeq: 0,
    onProbe,
  });
}
