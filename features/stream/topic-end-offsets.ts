import type * as KafkaClient from '@platformatic/kafka';
import type { StreamSourceDefinition } from '../stream-source.js';

/** Per partition of a stream's topic, the offset its next message will get (the partition's end), as the broker says now. */
export type TopicEndOffsets = ReadonlyMap<number, bigint>;

let kafkaClient: Promise<typeof KafkaClient> | undefined;

/**
 * The Kafka client's module, loaded once on first call, not at import: the feature server loads
 * without it unless it serves stream sources. Loading it takes a second or two on a busy machine,
 * so the UI starts it with the server rather than in the first page's request.
 */
export function loadKafkaClient(): Promise<typeof KafkaClient> {
  kafkaClient ??= import('@platformatic/kafka');
  return kafkaClient;
}

type Client = InstanceType<typeof KafkaClient.Consumer>;

/**
 * Asks brokers for stream sources' topic end offsets with the client `floe stream` consumes with
 * (@platformatic/kafka), keeping one client per broker list between asks: a page of 50 streams on
 * one cluster asks on one connection instead of opening 50. Every ask gives up after `timeoutMs` (a
 * page that shows the lag must not wait on a broker that is down), and a client that timed out is
 * dropped, so the next ask connects afresh. A stream whose end could not be read gets the reason.
 */
export class TopicEndOffsetsReader {
  private readonly clients = new Map<string, Promise<Client>>();

  async read(streams: readonly StreamSourceDefinition[], timeoutMs: number): Promise<Map<string, TopicEndOffsets | Error>> {
    const byBrokers = new Map<string, StreamSourceDefinition[]>();
    for (const stream of streams) {
      const key = [...stream.kafka.brokers].sort().join(',');
      byBrokers.set(key, [...(byBrokers.get(key) ?? []), stream]);
    }
    const answers = new Map<string, TopicEndOffsets | Error>();
    await Promise.all(
      [...byBrokers].map(async ([key, group]) => {
        const topics = [...new Set(group.map((stream) => stream.kafka.topic))];
        const brokers = group[0]!.kafka.brokers;
        const ends = await this.ask(key, brokers, topics, timeoutMs);
        for (const stream of group) answers.set(stream.name, ends.get(stream.kafka.topic)!);
      }),
    );
    return answers;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(async (client) => (await client).close(true).catch(() => undefined)));
  }

  /** Each topic's ends, asked on the brokers' one client; a client that timed out, or failed every ask, is dropped. */
  private async ask(
    key: string,
    brokers: readonly string[],
    topics: readonly string[],
    timeoutMs: number,
  ): Promise<Map<string, TopicEndOffsets | Error>> {
    const client = await this.client(key, brokers, timeoutMs);
    const ends = await Promise.all(
      topics.map((topic) =>
        withTimeout(client.listOffsets({ topics: [topic] }), brokers, timeoutMs).then(
          (offsets) => endsOf(offsets.get(topic), topic, brokers),
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      ),
    );
    if (ends.some((end) => end instanceof NoAnswer) || ends.every((end) => end instanceof Error)) this.drop(key);
    return new Map(topics.map((topic, index) => [topic, ends[index]!]));
  }

  private client(key: string, brokers: readonly string[], timeoutMs: number): Promise<Client> {
    let client = this.clients.get(key);
    if (client === undefined) {
      client = loadKafkaClient().then(
        (kafka) =>
          new kafka.Consumer({
            clientId: 'floe-ui',
            // Never joins it: listing offsets needs no group, but the consumer is made with one.
            groupId: 'floe-ui',
            bootstrapBrokers: [...brokers],
            connectTimeout: timeoutMs,
            requestTimeout: timeoutMs,
            timeout: timeoutMs,
            retries: 0,
          }),
      );
      this.clients.set(key, client);
    }
    return client;
  }

  private drop(key: string): void {
    const client = this.clients.get(key);
    this.clients.delete(key);
    // Not awaited: closing a connection the broker never answered on waits for it, and the caller must not.
    void client?.then((held) => held.close(true)).catch(() => undefined);
  }
}

function endsOf(offsets: readonly bigint[] | undefined, topic: string, brokers: readonly string[]): TopicEndOffsets | Error {
  if (offsets === undefined || offsets.length === 0) return new Error(`the brokers ${brokers.join(', ')} have no topic ${topic}`);
  return new Map(offsets.map((end, partition) => [partition, end]));
}

class NoAnswer extends Error {}

async function withTimeout<T>(work: Promise<T>, brokers: readonly string[], timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new NoAnswer(`the brokers ${brokers.join(', ')} did not answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
