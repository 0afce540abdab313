// services: python, kafka
// Nested values through a real broker (issue #54 item 6): a JSON stream and an Avro stream land
// messages carrying a list<float> embedding, a list<long> with longs past 2^53, a map<string,long>,
// a struct<name:string,age:int> and a json feature in the source table and online. pyiceberg reads
// both tables (longs inside exact), the online store reads them back as arrays and objects, and a
// message with a bad value inside is a dead letter whose reason names the field and the path inside
// (the letter itself holds the partition and offset).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { avroType } from '../../../iceberg/spec/avro/long.js';
import type { NestedField } from '../../../iceberg/spec/types.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { createTopics, endsOf, produceValues, readTable, streamUntil } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';
import { defined } from '../../../contracts/defined.js';

const dir = scratchFolder('stream-nested');
const topics = { json: `floe-stream-nested-json-${randomUUID()}`, avro: `floe-stream-nested-avro-${randomUUID()}` };
/** 2^53 + 1 and 2^63 − 1: a double would round both. */
const BIG = [9_007_199_254_740_993n, 9_223_372_036_854_775_807n];

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', required: true, type: 'long' },
  { id: 2, name: 'event_timestamp', required: true, type: 'timestamptz' },
  { id: 3, name: 'embedding', required: false, type: { type: 'list', elementId: 8, element: 'float', elementRequired: false } },
  { id: 4, name: 'ids', required: false, type: { type: 'list', elementId: 9, element: 'long', elementRequired: false } },
  {
    id: 5,
    name: 'meta',
    required: false,
    type: { type: 'map', keyId: 10, key: 'string', valueId: 11, value: 'long', valueRequired: false },
  },
  {
    id: 6,
    name: 'profile',
    required: false,
    type: {
      type: 'struct',
      fields: [
        { id: 12, name: 'name', required: false, type: 'string' },
        { id: 13, name: 'age', required: false, type: 'int' },
      ],
    },
  },
  { id: 7, name: 'config', required: false, type: 'string' },
  // No feature: times inside a list land in the source table as sent, microseconds kept.
  { id: 14, name: 'seen', required: false, type: { type: 'list', elementId: 15, element: 'timestamptz', elementRequired: false } },
];

const AVRO_SCHEMA = {
  type: 'record',
  name: 'NestedEvent',
  namespace: 'floe.test',
  fields: [
    { name: 'driver_id', type: 'long' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'embedding', type: ['null', { type: 'array', items: 'float' }] },
    { name: 'ids', type: { type: 'array', items: 'long' } },
    // A string among the longs fits the schema but not the column: that message is a dead letter.
    { name: 'meta', type: { type: 'map', values: ['long', 'string'] } },
    {
      name: 'profile',
      type: [
        'null',
        {
          type: 'record',
          name: 'Profile',
          fields: [
            { name: 'name', type: ['null', 'string'] },
            { name: 'age', type: 'int' },
          ],
        },
      ],
    },
    { name: 'config', type: ['null', 'string'] },
    { name: 'seen', type: { type: 'array', items: { type: 'long', logicalType: 'timestamp-micros' } } },
  ],
};
const avroWriter = avroType(AVRO_SCHEMA);

/** Driver `driver`'s values: floats a float holds exactly, and the big longs inside its list and map. */
function event(driver: number) {
  return {
    driver_id: driver,
    embedding: [0.5, -1.25, driver],
    ids: [BIG[0]!, BIG[1]!, BigInt(-driver)],
    meta: { a: BigInt(driver), big: BIG[0]! },
    profile: { name: `driver ${driver}`, age: 30 + driver },
    config: JSON.stringify({ tier: driver % 2 === 0 ? 'gold' : 'silver', limits: [1, driver] }),
  };
}
const at = (second: number) => `2024-05-01T00:00:${String(second).padStart(2, '0')}Z`;
/** Driver `driver`'s seen times: microseconds past the whole second, as pyiceberg prints them. */
const SEEN_BASE = BigInt(Date.parse(at(0))) * 1000n;
const seenMicros = (driver: number) => [SEEN_BASE + BigInt(driver), SEEN_BASE + 1_000_000n * BigInt(driver) + 7n];
const seenText = (driver: number) => [`2024-05-01T00:00:00.00000${driver}Z`, `2024-05-01T00:00:0${driver}.000007Z`];

/** JSON text with the longs as their digits (never through a JS number). */
function jsonMessage(driver: number): string {
  const values = event(driver);
  return JSON.stringify({ ...values, ts: at(driver), seen: seenText(driver) }, (_, value: unknown) =>
    typeof value === 'bigint' ? `@@${value}@@` : value,
  ).replaceAll(/"@@(-?\d+)@@"/g, '$1');
}

function avroMessage(driver: number): Buffer {
  const values = event(driver);
  return avroWriter.toBuffer({
    ...values,
    driver_id: BigInt(driver),
    ts: BigInt(Date.parse(at(driver))) * 1000n,
    seen: seenMicros(driver),
  });
}

const DRIVERS = [1, 2, 3, 4];
let runtime: Runtime;

before(async () => {
  const streams: [string, Parameters<typeof defineStreamSource>[0]['format']][] = [
    ['json', undefined],
    ['avro', { avro: { schema: AVRO_SCHEMA } }],
  ];
  runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      ...streams.flatMap(([name, format]) => [
        defineIcebergSource({ name: `source_${name}`, table: `rides.nested_${name}`, timestampField: 'event_timestamp' }),
        definePushSource({ name: `push_${name}`, batchSource: `source_${name}` }),
        defineStreamSource({
          name: `stream_${name}`,
          pushSource: `push_${name}`,
          kafka: { brokers: kafkaBrokers(), topic: topics[name as 'json' | 'avro'] },
          ...defined({ format }),
          timestampField: 'ts',
          batch: { maxRows: 100, maxDelayMs: 50 },
        }),
        defineFeatureView({
          name: `nested_${name}`,
          entities: ['driver'],
          source: `push_${name}`,
          features: [
            { name: 'embedding', type: 'list<float>' },
            { name: 'ids', type: 'list<long>' },
            { name: 'meta', type: 'map<string,long>' },
            { name: 'profile', type: 'struct<name:string,age:int>' },
            { name: 'config', type: 'json' },
          ],
          online: { buckets: 2 },
        }),
      ]),
    ],
  });
  for (const name of ['json', 'avro']) await createEmptySourceTable(runtime.catalog, `rides.nested_${name}`, FIELDS);
  await createTopics(Object.values(topics));
});

after(async () => {
  await runtime?.close();
});

/** What pyiceberg reads of driver `driver`'s row (longs as text, a map as key/value entries). */
function expectedRow(driver: number): Record<string, unknown> {
  const values = event(driver);
  return {
    embedding: values.embedding,
    ids: values.ids.map(String),
    meta: Object.entries(values.meta).map(([key, value]) => ({ key, value: String(value) })),
    profile: values.profile,
    config: values.config,
  };
}

async function checkTables(name: 'json' | 'avro'): Promise<void> {
  for (const table of [`rides.nested_${name}`, `floe_online.nested_${name}`]) {
    const rows = await readTable(dir, table);
    assert.deepEqual(rows.map((row) => String(row.driver_id)).sort(), DRIVERS.map(String), `${table}: one row per good message`);
    for (const row of rows) {
      const { embedding, ids, meta, profile, config } = row;
      assert.deepEqual(
        { embedding, ids, meta, profile, config },
        expectedRow(Number(row.driver_id)),
        `${table}, driver ${String(row.driver_id)}`,
      );
    }
  }

  const seen = new Map((await readTable(dir, `rides.nested_${name}`)).map((row) => [Number(row.driver_id), row.seen]));
  for (const driver of DRIVERS)
    assert.deepEqual(
      seen.get(driver),
      seenText(driver).map((text) => text.replace(/(\.\d+)Z$/, (_, fraction: string) => `${fraction.padEnd(7, '0')}Z`)),
      `seen of driver ${driver}`,
    );

  const store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine });
  const online = await store.getOnlineFeatures({
    features: [`nested_${name}`],
    entityRows: [...DRIVERS, 99].map((driver) => ({ driver_id: driver })),
  });
  const byFeature = Object.fromEntries(online.features.map((feature) => [feature.feature, feature.values]));
  const expected = (pick: (values: ReturnType<typeof event>) => unknown) => [...DRIVERS.map((driver) => pick(event(driver))), null];
  assert.deepEqual(byFeature, {
    embedding: expected((values) => values.embedding),
    ids: expected((values) => values.ids),
    meta: expected((values) => values.meta),
    profile: expected((values) => values.profile),
    config: expected((values) => values.config),
  });
}

describe('nested values through a stream on the real broker', () => {
  test('JSON messages land lists, maps, structs and json with exact longs; a bad value inside is a dead letter naming the column and the path', async () => {
    const messages = DRIVERS.map(jsonMessage);
    messages.push(
      `{"driver_id": 5, "ts": "${at(5)}", "ids": [1, 2, 3.5]}`,
      `{"driver_id": 6, "ts": "${at(6)}", "meta": {"a": 1, "b": "x"}}`,
      `{"driver_id": 7, "ts": "${at(7)}", "profile": {"name": "n", "height": 2}}`,
      `{"driver_id": 8, "ts": "${at(8)}", "ids": [9223372036854775808]}`,
    );
    const ends = endsOf(await produceValues(topics.json, messages));
    await streamUntil(new StreamConsumer(runtime, 'stream_json'), ends);
    await checkTables('json');

    const letters = await readTable(dir, 'rides.stream_json_dead_letters');
    const reasons = new Map(letters.map((letter) => [String(letter.value), String(letter.reason)]));
    assert.equal(letters.length, 4, JSON.stringify(letters));
    assert.match(reasons.get(messages[4]!)!, /^field ids: \[2\]: expected an integer \(long\), got .*3\.5/);
    assert.match(reasons.get(messages[5]!)!, /^field meta: \["b"\]: expected an integer \(long\), got string "x"/);
    assert.match(reasons.get(messages[6]!)!, /^field profile: "height" is not a field of struct<name:string,age:int>$/);
    assert.match(reasons.get(messages[7]!)!, /^field ids: \[0\]: 9223372036854775808 is out of range for long/);
  });

  test('Avro arrays, maps and records land the same values; an Avro value that does not fit inside is a dead letter naming where', async () => {
    const messages = DRIVERS.map(avroMessage);
    messages.push(avroWriter.toBuffer({ ...event(5), driver_id: 5n, ts: 0n, meta: { a: 1n, b: 'x' }, seen: [] }));
    // A time inside past year 9999 (ISO text and DuckDB take four-digit years): a dead letter naming the
    // field and the element, not a batch that cannot land.
    messages.push(avroWriter.toBuffer({ ...event(6), driver_id: 6n, ts: 0n, seen: [0n, 2n ** 62n] }));
    const ends = endsOf(await produceValues(topics.avro, messages));
    await streamUntil(new StreamConsumer(runtime, 'stream_avro'), ends);
    await checkTables('avro');

    const letters = await readTable(dir, 'rides.stream_avro_dead_letters');
    const reasons = new Map(letters.map((letter) => [String(letter.value), String(letter.reason)]));
    assert.equal(letters.length, 2, JSON.stringify(letters));
    assert.match(reasons.get(messages[4]!.toString('base64'))!, /^field meta: \["b"\]: expected an integer \(long\), got string "x"/);
    assert.match(
      reasons.get(messages[5]!.toString('base64'))!,
      /^Avro field seen \(.*\): \[1\]: 4611686018427387904 µs since the epoch is out of range for a timestamp \(years 1 to 9999\)$/,
    );
  });
});
