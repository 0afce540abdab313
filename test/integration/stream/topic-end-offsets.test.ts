// services: kafka
// The freshness page's stream lag asks the real broker through one client per broker list (issue
// #57): streams on the same cluster each get their own topic's ends, a topic the broker does not
// know is said so without failing the others, and the client answers again on the next ask.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { defineStreamSource } from '../../../features/stream-source.js';
import { TopicEndOffsetsReader } from '../../../features/stream/topic-end-offsets.js';
import { createTopics, endsOf, produceValues } from '../../support/kafka-stream.js';
import { kafkaBrokers } from '../../support/services.js';

test("streams on one cluster each get their topic's end offsets, and a topic the broker lacks is named", async () => {
  const [first, second, missing] = ['a', 'b', 'missing'].map((name) => `end-offsets-${name}-${randomUUID()}`) as [string, string, string];
  await createTopics([first, second]);
  const placedFirst = await produceValues(first, ['1', '2', '3', '4', '5']);
  const placedSecond = await produceValues(second, ['1']);
  const streams = [first, second, missing].map((topic, index) =>
    defineStreamSource({ name: `stream_${index}`, pushSource: `push_${index}`, kafka: { brokers: kafkaBrokers(), topic } }),
  );
  const reader = new TopicEndOffsetsReader();
  try {
    for (const ask of [1, 2]) {
      const ends = await reader.read(streams, 5_000);
      const withEmptyPartitions = (placed: Map<number, bigint>) =>
        new Map([0, 1, 2].map((partition) => [partition, placed.get(partition) ?? 0n]));
      assert.deepEqual(ends.get('stream_0'), withEmptyPartitions(endsOf(placedFirst)), `ask ${ask}`);
      assert.deepEqual(ends.get('stream_1'), withEmptyPartitions(endsOf(placedSecond)), `ask ${ask}`);
      const unknown = ends.get('stream_2');
      assert.ok(unknown instanceof Error, `ask ${ask}: ${String(unknown)}`);
      assert.match(unknown.message, new RegExp(`${missing}|unknown topic|UNKNOWN_TOPIC`, 'i'));
    }
  } finally {
    await reader.close();
  }
});
