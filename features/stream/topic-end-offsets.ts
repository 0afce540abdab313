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

/**
 * Asks the stream's brokers for its topic's end offsets, with the client `floe stream` consumes
 * with (@platformatic/kafka), giving up after `timeoutMs`: a page that shows the lag must not wait
 * on a broker that is down. Rejects with the reason when the broker cannot be reached or does not
 * know the topic.
 */
export async function topicEndOffsets(stream: StreamSourceDefinition, timeoutMs: number): Promise<TopicEndOffsets> {
  const kafka = await loadKafkaClient();
  const { topic, brokers } = stream.kafka;
  const client = new kafka.Consumer({
    clientId: `floe-ui-${stream.name}`,
    // Never joins it: listing offsets needs no group, but the consumer is made with one.
    groupId: `floe-ui-${stream.name}`,
    bootstrapBrokers: [...brokers],
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const ends = await Promise.race([
      client.listOffsets({ topics: [topic] }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the brokers ${brokers.join(', ')} did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const offsets = ends.get(topic);
    if (offsets === undefined || offsets.length === 0) throw new Error(`the brokers ${brokers.join(', ')} have no topic ${topic}`);
    return new Map(offsets.map((end, partition) => [partition, end]));
  } finally {
    clearTimeout(timer);
    // Not awaited: closing a connection the broker never answered on waits for it, and the caller must not.
    void client.close(true).catch(() => undefined);
  }
}
