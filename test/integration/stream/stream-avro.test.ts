// services: python, kafka
// An Avro stream source on the real broker (issue #43): raw Avro records and Confluent-framed ones
// (magic byte 0, schema id, body) on one topic land exactly once in the source table and online;
// the two that do not decode land in the dead-letter table, their bytes as base64, and the stream
// goes on. The consumer's metrics (streamMetrics, in-process) count what landed and its lag
// reaches 0. pyiceberg reads the tables.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import avro from 'avsc';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { streamMetrics } from '../../../features/stream/stream-metrics.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { checkLanded, createTopics, endsOf, produceValues, readTable, streamEvent } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const dir = scratchFolder('stream-avro');
const topic = `floe-stream-avro-${randomUUID()}`;
const sourceTable = 'rides.stats_avro';
const onlineTable = 'floe_online.live_avro';
const deadLetterTable = 'rides.stream_avro_dead_letters';
const SCHEMA = {
  type: 'record',
  name: 'DriverEvent',
  namespace: 'floe.test',
  fields: [
    { name: 'driver_id', type: 'long' },
    { name: 'rate', type: ['null', 'double'] },
    { name: 'trips', type: 'long' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
};
const writer = avro.Type.forSchema(SCHEMA as avro.Schema);
let runtime: Runtime;

before(async () => {
  runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({ name: 'source_avro', table: sourceTable, timestampField: 'event_timestamp' }),
      definePushSource({ name: 'push_avro', batchSource: 'source_avro' }),
      defineStreamSource({
        name: 'stream_avro',
        pushSource: 'push_avro',
        kafka: { brokers: kafkaBrokers(), topic },
        // As JSON text, as a schema file read with readFileSync would be given.
        format: { avro: { schema: JSON.stringify(SCHEMA) } },
        fieldMapping: { rate: 'conv_rate' },
        timestampField: 'ts',
        batch: { maxRows: 100, maxDelayMs: 50 },
      }),
      defineFeatureView({
        name: 'live_avro',
        entities: ['driver'],
        source: 'push_avro',
        features: [
          { name: 'conv_rate', type: 'double' },
          { name: 'trips', type: 'long' },
        ],
        online: { buckets: 4 },
      }),
    ],
  });
  await createEmptySourceTable(runtime.catalog, sourceTable);
  await createTopics([topic]);
});

after(async () => {
  await runtime?.close();
});

/** Event `seq` as an Avro record: even seqs raw, odd ones in the Confluent wire format (schema id 7). */
function avroEvent(seq: number): Buffer {
  const event = streamEvent(seq);
  const body = writer.toBuffer({
    driver_id: event.driver_id,
    rate: event.conv_rate,
    trips: event.trips,
    ts: Date.parse(String(event.ts)) * 1000 + (seq % 1000),
  });
  if (seq % 2 === 0) return body;
  const header = Buffer.alloc(5);
  header.writeUInt32BE(7, 1);
  return Buffer.concat([header, body]);
}

describe('an Avro stream source on the real broker', () => {
  test('raw and Confluent-framed records land once; the two that do not decode are dead letters; the metrics count them and lag reaches 0', async () => {
    const total = 600;
    const values = Array.from({ length: total }, (_, seq) => avroEvent(seq));
    // A Confluent-framed record cut short, and bytes that are no record at all.
    values[251] = values[251]!.subarray(0, values[251]!.length - 4);
    values[400] = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const bad = new Set([251, 400]);
    const placed = await produceValues(topic, values);
    const ends = endsOf(placed);

    const consumer = new StreamConsumer(runtime, 'stream_avro');
    const { registry } = streamMetrics(consumer);
    const running = consumer.run();
    const deadline = Date.now() + 60_000;
    while (![...ends].every(([partition, end]) => consumer.positions.get(partition) === end)) {
      if (Date.now() > deadline) assert.fail(`the consumer reached ${JSON.stringify([...consumer.positions].map(String))} in 60 s`);
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    const metrics = await registry.getMetricsAsJSON();
    await consumer.stop();
    await running;

    await checkLanded(dir, { sourceTable, onlineTable }, total, bad);
    // The microseconds of timestamp-micros survive.
    const row = (await readTable(dir, sourceTable)).find((each) => Number(each.trips) === 5);
    assert.match(String(row?.event_timestamp), /00:00:05\.000005/);

    const letters = await readTable(dir, deadLetterTable);
    assert.equal(letters.length, 2, JSON.stringify(letters));
    for (const seq of bad) {
      const letter = letters.find(
        (each) => Number(each.offset) === Number(placed[seq]!.offset) && Number(each.partition) === placed[seq]!.partition,
      );
      assert.ok(letter, `message ${seq} is a dead letter: ${JSON.stringify(letters)}`);
      assert.deepEqual(Buffer.from(String(letter.value), 'base64'), values[seq], 'the value, as base64 of its bytes');
      assert.match(String(letter.reason), /does not decode with the Avro schema: (field \w+|\d+ byte\(s\) left after the last field)/);
    }

    const series = (name: string) => metrics.find((each) => each.name === name)?.values ?? [];
    const metric = (name: string) => series(name).find((each) => each.labels.stream === 'stream_avro')?.value;
    const shown = JSON.stringify(metrics.filter((each) => each.name.startsWith('floe_stream')));
    assert.equal(metric('floe_stream_messages_total'), total, shown);
    assert.equal(metric('floe_stream_rows_total'), total - bad.size);
    assert.equal(metric('floe_stream_dead_letters_total'), bad.size);
    assert.equal(metric('floe_stream_commit_failures_total'), 0);
    assert.ok(metric('floe_stream_batches_total')! >= total / 100, shown);
    const byPartition = (name: string) => new Map(series(name).map((each) => [Number(each.labels.partition), each.value]));
    assert.deepEqual(byPartition('floe_stream_lag_messages'), new Map([...ends.keys()].map((partition) => [partition, 0])), shown);
    assert.deepEqual(
      byPartition('floe_stream_last_batch_end_offset'),
      new Map([...ends].map(([partition, end]) => [partition, Number(end)])),
    );
  });
});
