// services: python, kafka
// Issue #54: values land as they were sent. 2^53 + 1, 4611686018427387907, 2^63 − 1 and −2^63 go
// through a stream on the real broker, through HTTP POST /push and through
// /write-to-online-store into the source table and online, digit for digit, with a decimal(38, 10)
// of 30 digits beside them; pyiceberg reads the tables and the feature server answers the online
// reads. A message that is not UTF-8 is a dead letter holding its bytes as base64; one past 2^63 − 1
// is a dead letter whose reason shows the number as sent. A restart that reads a landed batch
// again counts 0 rows landed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseExactJson } from '../../../core/exact-json.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import type { StreamBatchProgress } from '../../../features/stream/stream-consumer.js';
import { streamMetrics } from '../../../features/stream/stream-metrics.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import type { NestedField } from '../../../iceberg/spec/types.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { createTopics, endsOf, produceValues, readTable, streamUntil } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const BIG = ['9007199254740993', '4611686018427387907', '9223372036854775807', '-9223372036854775808'];
const PRICES = [
  '12345678901234567890.1234567891',
  '-12345678901234567890.1234567891',
  '0.1234567891',
  '9999999999999999999999999999.9999999999',
];
const at = (second: number) => `2024-05-01T00:00:${String(second).padStart(2, '0')}Z`;

const dir = scratchFolder('stream-exact');
const topic = `floe-stream-exact-${randomUUID()}`;
const countedTopic = `floe-stream-counted-${randomUUID()}`;
let runtime: Runtime;
let server: FastifyInstance;
let base: string;

const EXACT_FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'big', type: 'long', required: false },
  { id: 3, name: 'price', type: 'decimal(38, 10)', required: false },
  { id: 4, name: 'event_timestamp', type: 'timestamptz', required: true },
];

before(async () => {
  runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      ...['stream', 'http', 'counted'].flatMap((name) => [
        defineIcebergSource({ name: `source_${name}`, table: `rides.exact_${name}`, timestampField: 'event_timestamp' }),
        definePushSource({ name: `push_${name}`, batchSource: `source_${name}` }),
        defineFeatureView({
          name: `live_${name}`,
          entities: ['driver'],
          source: `push_${name}`,
          features: [{ name: 'big', type: 'long' }],
          online: { buckets: 2 },
        }),
      ]),
      ...[
        ['stream', topic],
        ['counted', countedTopic],
      ].map(([name, streamTopic]) =>
        defineStreamSource({
          name: `stream_${name}`,
          pushSource: `push_${name}`,
          kafka: { brokers: kafkaBrokers(), topic: streamTopic! },
          timestampField: 'ts',
          batch: { maxRows: 1_000, maxDelayMs: 50 },
        }),
      ),
    ],
  });
  for (const name of ['stream', 'http', 'counted']) await createEmptySourceTable(runtime.catalog, `rides.exact_${name}`, EXACT_FIELDS);
  await createTopics([topic, countedTopic]);
  const store = new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    refreshIntervalMs: 100,
  });
  server = createFeatureServer({ store });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await runtime?.close();
});

/** POSTs JSON text as written (numbers as digits, never through a JS number); the answer parsed exactly. */
async function post(route: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, json: parseExactJson(await response.text()) as Record<string, unknown> };
}

/** Polls the server until each of BIG's drivers reads `expected` online as `view:big`. */
async function readsOnline(view: string, expected: readonly string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { status, json } = await post(
      '/get-online-features',
      `{"features": ["${view}:big"], "entities": {"driver_id": [${BIG.join(', ')}]}}`,
    );
    assert.equal(
      status,
      200,
      JSON.stringify(json, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
    );
    const results = json.results as { values: unknown[] }[];
    const keys = results[0]!.values.map(String);
    const values = results[1]!.values.map((value) => (value === null ? null : String(value)));
    assert.deepEqual(keys, BIG, 'the keys answered as asked');
    if (values.every((value, index) => value === expected[index])) return;
    if (Date.now() > deadline) assert.deepEqual(values, expected, `${view} online`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A table's rows as pyiceberg reads them (longs past 2^53 and decimals as text), by driver. */
async function rowsByDriver(table: string): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await readTable(dir, table)).map((row) => [String(row.driver_id), row]));
}

describe('exact values through a stream and HTTP', () => {
  test('a stream lands the big longs and the 30-digit decimal as sent; not UTF-8 and past 2^63 − 1 are dead letters saying so', async () => {
    const messages: (string | Buffer)[] = BIG.map(
      (digits, index) => `{"driver_id": ${digits}, "big": ${digits}, "price": ${PRICES[index]}, "ts": "${at(index)}"}`,
    );
    const notUtf8 = Buffer.concat([
      Buffer.from(`{"driver_id": 5, "ts": "${at(9)}", "big": "`),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    messages.push(notUtf8, `{"driver_id": 9223372036854775808, "ts": "${at(9)}"}`);
    const ends = endsOf(await produceValues(topic, messages));
    await streamUntil(new StreamConsumer(runtime, 'stream_stream'), ends);

    const source = await rowsByDriver('rides.exact_stream');
    assert.deepEqual([...source.keys()].sort(), [...BIG].sort());
    BIG.forEach((digits, index) => {
      assert.equal(String(source.get(digits)!.big), digits);
      assert.equal(String(source.get(digits)!.price), PRICES[index]);
    });
    const online = await rowsByDriver('floe_online.live_stream');
    for (const digits of BIG) assert.equal(String(online.get(digits)?.big), digits, `online row of ${digits}`);
    await readsOnline('live_stream', BIG);

    const letters = await readTable(dir, 'rides.stream_stream_dead_letters');
    assert.equal(letters.length, 2);
    const bytes = letters.find((letter) => String(letter.reason).startsWith('the value is not UTF-8'));
    assert.ok(bytes, JSON.stringify(letters));
    assert.equal(bytes.value, notUtf8.toString('base64'));
    assert.ok(Buffer.from(String(bytes.value), 'base64').equals(notUtf8));
    const range = letters.find((letter) => letter !== bytes)!;
    assert.equal(
      range.reason,
      'field driver_id: 9223372036854775808 is out of range for long (-9223372036854775808 to 9223372036854775807)',
    );
    assert.equal(range.value, messages[5]);
  });

  test('HTTP /push and /write-to-online-store take the big longs and the decimal as sent', async () => {
    const pushed = await post(
      '/push',
      `{"push_source_name": "push_http", "to": "online_and_offline", "df": {"driver_id": [${BIG.join(', ')}], "big": [${BIG.join(', ')}], "price": [${PRICES.join(', ')}], "event_timestamp": [${BIG.map((_, index) => `"${at(index)}"`).join(', ')}]}}`,
    );
    assert.equal(pushed.status, 200, JSON.stringify(pushed.json));
    const source = await rowsByDriver('rides.exact_http');
    BIG.forEach((digits, index) => {
      assert.equal(String(source.get(digits)?.big), digits);
      assert.equal(String(source.get(digits)?.price), PRICES[index]);
    });
    await readsOnline('live_http', BIG);

    // Online only, later in event time, each driver given another's big value.
    const reversed = [...BIG].reverse();
    const written = await post(
      '/write-to-online-store',
      `{"feature_view_name": "live_http", "df": {"driver_id": [${BIG.join(', ')}], "big": [${reversed.join(', ')}], "event_timestamp": [${BIG.map((_, index) => `"${at(30 + index)}"`).join(', ')}]}}`,
    );
    assert.equal(written.status, 200, JSON.stringify(written.json));
    const online = new Map<string, string>();
    for (const row of await readTable(dir, 'floe_online.live_http'))
      if (String(row.event_ts).includes(':00:3')) online.set(String(row.driver_id), String(row.big));
    assert.deepEqual(
      BIG.map((digits) => online.get(digits)),
      reversed,
    );
    await readsOnline('live_http', reversed);

    const refused = await post(
      '/push',
      `{"push_source_name": "push_http", "df": {"driver_id": [9223372036854775808], "event_timestamp": ["${at(50)}"]}}`,
    );
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.json), /9223372036854775808 is out of range for long/);
  });

  test('a restart that reads a landed batch again counts 0 rows landed, in its progress and in floe_stream_rows_total', async () => {
    const messages = Array.from({ length: 40 }, (_, seq) => `{"driver_id": ${seq}, "big": ${seq}, "ts": "${at(seq)}"}`);
    messages[7] = '{not json';
    const ends = endsOf(await produceValues(countedTopic, messages));
    const first: StreamBatchProgress[] = [];
    await streamUntil(new StreamConsumer(runtime, 'stream_counted', { onBatch: (batch) => first.push(batch) }), ends);
    assert.equal(
      first.reduce((sum, batch) => sum + batch.rows, 0),
      39,
    );
    assert.equal(
      first.reduce((sum, batch) => sum + batch.deadLetters, 0),
      1,
    );

    // The online table loses its record of the stream (as a table recreated or restored would):
    // the restart resumes from it, reading again every message the source table holds.
    const onlineIdentifier = parseTableIdentifier('floe_online.live_counted');
    await runtime.catalog.dropTable(onlineIdentifier);
    const again: StreamBatchProgress[] = [];
    const consumer = new StreamConsumer(runtime, 'stream_counted', { onBatch: (batch) => again.push(batch) });
    const metrics = streamMetrics(consumer);
    await streamUntil(consumer, ends);
    const total = (field: 'read' | 'rows' | 'deadLetters' | 'messages') => again.reduce((sum, batch) => sum + batch[field], 0);
    assert.equal(total('read'), 40, 'every message read again');
    assert.equal(total('rows'), 0, 'none landed in the source table again');
    assert.equal(total('deadLetters'), 0, 'nor in the dead-letter table');
    assert.equal(total('messages'), 0);
    const online = again.flatMap((batch) => batch.tables).filter((commit) => commit.table === 'floe_online.live_counted');
    assert.equal(
      online.reduce((sum, commit) => sum + commit.rows, 0),
      39,
      'the online table took them all',
    );
    const text = await metrics.registry.metrics();
    assert.match(text, /floe_stream_rows_total\{stream="stream_counted"\} 0\n/);
    assert.match(text, /floe_stream_messages_total\{stream="stream_counted"\} 0\n/);
    assert.match(text, /floe_stream_dead_letters_total\{stream="stream_counted"\} 0\n/);
    metrics.close();
    assert.equal((await readTable(dir, 'rides.exact_counted')).length, 39);
  });
});
