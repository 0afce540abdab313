// services: kafka
/**
 * The Kafka service (scripts/services/kafka.ts) is a real broker for @platformatic/kafka's clients:
 * 1,000 keyed JSON messages produced to a 3-partition topic come back once each to a consumer
 * group member, at the partition and offset the producer was told; and a broker of its own,
 * stopped and started again on its data dir with new ports, still has its topic, its messages
 * and its group's committed offsets.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  Admin,
  Consumer,
  jsonDeserializer,
  jsonSerializer,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializer,
  stringSerializer,
} from '@platformatic/kafka';
import { classpathArgfile } from '../../../scripts/services/java.js';
import { formatStorage, installKafka, kafkaServerProperties, startKafka } from '../../../scripts/services/kafka.js';
import type { RunningService } from '../../../scripts/services/service.js';
import { kafkaBrokers } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

interface Event {
  seq: number;
  user: string;
}

interface Placed {
  partition: number;
  offset: bigint;
}

const clients: { close(): Promise<void> }[] = [];
after(async () => {
  for (const client of clients.splice(0).reverse()) await client.close().catch(() => undefined);
});

function keep<T extends { close(): Promise<void> }>(client: T): T {
  clients.push(client);
  return client;
}

async function createTopic(brokers: string[], topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'floe-kafka-test-admin', bootstrapBrokers: brokers });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

function newProducer(brokers: string[]): Producer<string, Event, string, string> {
  return keep(
    new Producer({
      clientId: 'floe-kafka-test-producer',
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      serializers: { key: stringSerializer, value: jsonSerializer<Event>, headerKey: stringSerializer, headerValue: stringSerializer },
    }),
  );
}

/** Produces `count` events keyed by user, each in its own send, 100 in flight; returns where each landed by seq. */
async function produce(producer: Producer<string, Event, string, string>, topic: string, from: number, count: number): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let start = from; start < from + count; start += 100) {
    const seqs = Array.from({ length: Math.min(100, from + count - start) }, (_, index) => start + index);
    const results = await Promise.all(
      seqs.map((seq) => producer.send({ messages: [{ topic, key: `user-${seq % 37}`, value: { seq, user: `user-${seq % 37}` } }] })),
    );
    results.forEach((result, index) => {
      const [written] = result.offsets ?? [];
      assert.ok(written, `the producer reported no offset for seq ${seqs[index]}`);
      placed[seqs[index]! - from] = { partition: written.partition, offset: BigInt(written.offset) };
    });
  }
  return placed;
}

function newConsumer(brokers: string[], groupId: string): Consumer<string, Event, string, string> {
  return keep(
    new Consumer({
      clientId: 'floe-kafka-test-consumer',
      groupId,
      bootstrapBrokers: brokers,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTime: 200,
      deserializers: {
        key: stringDeserializer,
        value: jsonDeserializer<Event>,
        headerKey: stringDeserializer,
        headerValue: stringDeserializer,
      },
    }),
  );
}

interface Received extends Placed {
  key: string;
  value: Event;
}

/** Reads exactly `count` messages as a group member (from its committed offsets, else the earliest), then commits them. */
async function consume(consumer: Consumer<string, Event, string, string>, topic: string, count: number): Promise<Received[]> {
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
  });
  const received: Received[] = [];
  const lastOfPartition = new Map<number, Message<string, Event, string, string>>();
  // A stream that stops short would wait forever: close it after 20 s and say how many came.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stream.close();
  }, 20_000);
  try {
    for await (const message of stream) {
      received.push({ key: message.key, value: message.value, partition: message.partition, offset: message.offset });
      lastOfPartition.set(message.partition, message);
      if (received.length === count) break;
    }
    // Committing each partition's last message commits everything read before it there.
    for (const message of lastOfPartition.values()) await message.commit();
  } finally {
    clearTimeout(timer);
    await stream.close();
  }
  if (received.length < count)
    throw new Error(`only ${received.length} of ${count} messages arrived${timedOut ? ' within 20 s' : ' before the stream ended'}`);
  return received;
}

describe('the kafka service', () => {
  test('delivers 1,000 keyed JSON messages over 3 partitions once each, at the partition and offset the producer was told', async () => {
    const brokers = kafkaBrokers();
    assert.match(brokers.join(','), /^127\.0\.0\.1:\d+$/);
    const topic = `floe-test-${randomUUID()}`;
    await createTopic(brokers, topic, 3);

    const producer = newProducer(brokers);
    const placed = await produce(producer, topic, 0, 1_000);
    const partitionsUsed = new Set(placed.map((where) => where.partition));
    assert.deepEqual([...partitionsUsed].sort(), [0, 1, 2], 'the keys spread over all three partitions');

    const received = await consume(newConsumer(brokers, `floe-test-group-${randomUUID()}`), topic, 1_000);
    const seen = new Map<number, Received>();
    for (const message of received) {
      assert.equal(seen.has(message.value.seq), false, `seq ${message.value.seq} arrived twice`);
      seen.set(message.value.seq, message);
    }
    assert.equal(seen.size, 1_000);
    const partitionOfKey = new Map<string, number>();
    for (const [seq, message] of seen) {
      assert.equal(message.key, `user-${seq % 37}`);
      assert.deepEqual(message.value, { seq, user: message.key });
      assert.deepEqual({ partition: message.partition, offset: message.offset }, placed[seq], `seq ${seq}`);
      const partition = partitionOfKey.get(message.key) ?? message.partition;
      assert.equal(message.partition, partition, `every message of ${message.key} is in one partition`);
      partitionOfKey.set(message.key, partition);
    }
    // Offsets in each partition run 0, 1, 2, … with no gap: nothing was lost or written twice.
    for (const partition of [0, 1, 2]) {
      const offsets = received.filter((message) => message.partition === partition).map((message) => message.offset);
      assert.deepEqual(
        offsets,
        offsets.map((_, index) => BigInt(index)),
        `partition ${partition}`,
      );
    }
  });

  test('a broker restarted on its data dir with new ports keeps its topic, its messages and the group offsets', async () => {
    // A broker of this test's own, so the shared one is never stopped under other tests.
    const runDir = scratchFolder('kafka-restart');
    let broker: RunningService | undefined = await startKafka(runDir, { name: 'kafka-restart-test' });
    try {
      const firstBrokers = broker.env.FLOE_TEST_KAFKA_BROKERS!.split(',');
      const topic = 'restart-test';
      const group = 'restart-test-group';
      await createTopic(firstBrokers, topic, 3);
      const producer = newProducer(firstBrokers);
      const placed = await produce(producer, topic, 0, 30);
      await producer.close();
      const firstConsumer = newConsumer(firstBrokers, group);
      const firstRead = await consume(firstConsumer, topic, 30);
      assert.equal(new Set(firstRead.map((message) => message.value.seq)).size, 30);
      await firstConsumer.close();

      for (const managed of broker.processes) await managed.stop();
      broker = undefined;
      broker = await startKafka(runDir, { name: 'kafka-restart-test' });
      // The second start asked the OS for new ports, and wrote them into server.properties.
      const brokers = broker.env.FLOE_TEST_KAFKA_BROKERS!.split(',');

      // The group's committed offsets survived: it reads only what was produced after the restart.
      const laterProducer = newProducer(brokers);
      const laterPlaced = await produce(laterProducer, topic, 30, 6);
      const resumed = await consume(newConsumer(brokers, group), topic, 6);
      assert.deepEqual(
        resumed.map((message) => message.value.seq).sort((a, b) => a - b),
        [30, 31, 32, 33, 34, 35],
      );
      for (const message of resumed)
        assert.deepEqual({ partition: message.partition, offset: message.offset }, laterPlaced[message.value.seq - 30]);

      // The messages from before the restart are still there, where they were written.
      const all = await consume(newConsumer(brokers, `${group}-fresh`), topic, 36);
      const before = all.filter((message) => message.value.seq < 30);
      assert.equal(before.length, 30);
      for (const message of before) assert.deepEqual({ partition: message.partition, offset: message.offset }, placed[message.value.seq]);
    } finally {
      for (const client of clients.splice(0).reverse()) await client.close().catch(() => undefined);
      for (const managed of broker?.processes ?? []) await managed.stop();
    }
  });

  test('a broker that cannot start fails at once, with the cause from its log', async () => {
    // Storage formatted for another node: the broker exits on start.
    const runDir = scratchFolder('kafka-broken');
    mkdirSync(join(runDir, 'kafka', 'logs'), { recursive: true });
    writeFileSync(
      join(runDir, 'kafka', 'logs', 'meta.properties'),
      'version=1\nnode.id=7\ncluster.id=AAAAAAAAAAAAAAAAAAAAAQ\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAQ\n',
    );
    await assert.rejects(startKafka(runDir, { name: 'kafka-broken-test' }), (error: Error) => {
      assert.match(error.message, /^kafka-broken-test failed to start: the process exited with code 1/);
      assert.match(error.message, /Stored node id 7 doesn't match previous node id 1/);
      return true;
    });
  });

  test('formats fresh storage with its log in a folder that does not exist yet (a fresh clone has no .floe/logs)', async () => {
    const runDir = scratchFolder('kafka-format');
    const dataDir = join(runDir, 'kafka');
    mkdirSync(dataDir);
    const propertiesFile = join(dataDir, 'server.properties');
    // The format reads the node id and log dirs, never the ports.
    writeFileSync(propertiesFile, kafkaServerProperties(dataDir, { broker: 9, controller: 10 }));
    const classpathArgs = [classpathArgfile(join(dataDir, 'classpath.argfile'), await installKafka())];
    const log = join(runDir, 'no-logs-yet', 'kafka-format.log');
    await formatStorage(classpathArgs, dataDir, propertiesFile, log);
    assert.ok(existsSync(join(dataDir, 'logs', 'meta.properties')), 'the data dir is formatted');
    assert.match(readFileSync(log, 'utf8'), /Formatting/);
  });
});
