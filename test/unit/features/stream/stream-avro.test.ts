// Avro stream values (issue #43): the definition's record schema is checked when it loads and
// against the table when a consumer starts (naming the stream, the field and the type expected);
// raw and Confluent-framed values decode to rows, logical timestamps keep their microseconds, and
// a value that does not decode becomes a dead-letter reason naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { FloeError } from '../../../../core/errors.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { avroDecoder } from '../../../../features/stream/stream-avro.js';
import { avroType } from '../../../../iceberg/spec/avro/long.js';
import { deadLetterValue, messageRow } from '../../../../features/stream/stream-rows.js';
import type { MessageShape } from '../../../../features/stream/stream-rows.js';
import { defineStreamSource } from '../../../../features/stream-source.js';
import type { StreamSourceDefinition } from '../../../../features/stream-source.js';

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'conv_rate', type: 'double', required: false },
  { id: 3, name: 'trips', type: 'int', required: false },
  { id: 4, name: 'note', type: 'string', required: false },
  { id: 5, name: 'payload', type: 'binary', required: false },
  { id: 6, name: 'event_timestamp', type: 'timestamptz', required: true },
];
const REQUIRED = new Set(['driver_id', 'event_timestamp']);

const SCHEMA = {
  type: 'record',
  name: 'DriverEvent',
  fields: [
    { name: 'driver_id', type: 'long' },
    { name: 'rate', type: ['null', 'double'] },
    { name: 'trips', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'payload', type: 'bytes' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
};
const writer = avro.Type.forSchema(SCHEMA as avro.Schema);

function stream(schema: unknown = SCHEMA, more: Record<string, unknown> = {}): StreamSourceDefinition {
  return defineStreamSource({
    name: 'events',
    pushSource: 'p',
    kafka: { brokers: ['b:1'], topic: 't' },
    fieldMapping: { rate: 'conv_rate' },
    timestampField: 'ts',
    format: { avro: { schema: schema as Record<string, unknown>, ...more } },
  });
}

function shapeOf(definition: StreamSourceDefinition, fields = FIELDS): MessageShape {
  const table = { fields, required: REQUIRED, timestampColumn: 'event_timestamp' };
  if (definition.format === 'json') throw new Error('an Avro stream');
  return { stream: definition, ...table, avro: avroDecoder(definition, definition.format.avro, table) };
}

const EVENT = {
  driver_id: 7,
  rate: 0.5,
  trips: 3,
  note: null,
  payload: Buffer.from([0, 0xff, 0x41]),
  ts: 1_714_521_600_123_456, // 2024-05-01T00:00:00.123456Z
};

function confluent(body: Buffer, id = 42): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  return Buffer.concat([header, body]);
}

function valuesOf(row: ReturnType<typeof messageRow>): Record<string, unknown> {
  assert.notEqual(typeof row, 'string', String(row));
  if (typeof row === 'string') return {};
  return Object.fromEntries(FIELDS.map((field, position) => [field.name, row[position]]));
}

test('a raw and a Confluent-framed record become the same row: fieldMapping, timestampField, microseconds, bytes, null', () => {
  const shape = shapeOf(stream());
  const body = writer.toBuffer(EVENT);
  const expected = {
    driver_id: '7',
    conv_rate: '0.5',
    trips: '3',
    note: null,
    payload: '\\x00\\xff\\x41',
    event_timestamp: '2024-05-01T00:00:00.123456Z',
  };
  assert.deepEqual(valuesOf(messageRow(shape, body)), expected);
  assert.deepEqual(valuesOf(messageRow(shape, confluent(body))), expected);
});

test('framing: raw records starting with byte 0 read raw under auto; raw and confluent pin it', () => {
  // driver_id 0 encodes as byte 0: the framed reading does not decode to the end, so it is raw.
  const zero = writer.toBuffer({ ...EVENT, driver_id: 0 });
  assert.equal(zero[0], 0);
  assert.equal(valuesOf(messageRow(shapeOf(stream()), zero)).driver_id, '0');
  assert.equal(valuesOf(messageRow(shapeOf(stream(SCHEMA, { framing: 'raw' })), zero)).driver_id, '0');
  const pinned = shapeOf(stream(SCHEMA, { framing: 'confluent' }));
  assert.equal(valuesOf(messageRow(pinned, confluent(writer.toBuffer(EVENT), 1))).driver_id, '7');
  assert.match(String(messageRow(pinned, writer.toBuffer(EVENT))), /not in the Confluent wire format: it starts with byte 0x0e/);
});

test('timestamp-millis, a plain long (epoch milliseconds) and an ISO string all fit a timestamp column', () => {
  const cases: [unknown, unknown, string][] = [
    [{ type: 'long', logicalType: 'timestamp-millis' }, 1_714_521_600_123, '2024-05-01T00:00:00.123Z'],
    ['long', 1_714_521_600_000, '2024-05-01T00:00:00Z'],
    ['string', '2024-05-01T00:00:00+02:00', '2024-04-30T22:00:00Z'],
  ];
  for (const [type, value, expected] of cases) {
    const schema = {
      type: 'record',
      name: 'E',
      fields: [
        { name: 'driver_id', type: 'long' },
        { name: 'ts', type },
      ],
    };
    const row = messageRow(shapeOf(stream(schema)), avro.Type.forSchema(schema as avro.Schema).toBuffer({ driver_id: 1, ts: value }));
    assert.equal(valuesOf(row).event_timestamp, expected, JSON.stringify(type));
  }
});

test('a time past year 9999 or before year 1 is the message’s problem, not text no batch could land', () => {
  const micros = { type: 'long', logicalType: 'timestamp-micros' };
  const cases: [unknown, bigint, string][] = [
    [micros, 253_402_300_799_999_999n, '9999-12-31T23:59:59.999999Z'],
    [micros, -62_135_596_800_000_000n, '0001-01-01T00:00:00Z'],
    [micros, 253_402_300_800_000_000n, 'out of range for a timestamp (years 1 to 9999)'],
    [micros, -62_135_596_800_000_001n, 'out of range for a timestamp (years 1 to 9999)'],
    [{ type: 'long', logicalType: 'timestamp-millis' }, 253_402_300_800_000n, 'out of range for a timestamp (years 1 to 9999)'],
  ];
  for (const [type, value, expected] of cases) {
    const schema = {
      type: 'record',
      name: 'E',
      fields: [
        { name: 'driver_id', type: 'long' },
        { name: 'ts', type },
      ],
    };
    const row = messageRow(shapeOf(stream(schema)), avroType(schema).toBuffer({ driver_id: 1n, ts: value }));
    if (expected.startsWith('out of range'))
      assert.match(String(row), new RegExp(`^Avro field ts .*: -?\\d+ µs since the epoch is ${expected.replace(/[()]/g, '\\$&')}$`));
    else assert.equal(valuesOf(row).event_timestamp, expected, String(value));
  }
  // The same years for ISO text, as a JSON message's are: past them the message is a dead letter, not a batch DuckDB refuses.
  const textSchema = {
    type: 'record',
    name: 'E',
    fields: [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'string' },
    ],
  };
  for (const text of ['+010000-01-01T00:00:00Z', '9999-12-31T23:00:00-02:00', '0000-12-31T23:59:59Z']) {
    const row = messageRow(shapeOf(stream(textSchema)), avroType(textSchema).toBuffer({ driver_id: 1n, ts: text }));
    assert.match(
      String(row),
      /^field ts \(column event_timestamp\): ".*" is out of range for timestamptz \(years 1 to 9999 in UTC\)$/,
      text,
    );
  }
});

test('a value that does not decode is a dead-letter reason naming the field; its dead letter keeps the bytes as base64', () => {
  const shape = shapeOf(stream());
  const body = writer.toBuffer(EVENT);
  const cases: [Buffer, RegExp][] = [
    [
      body.subarray(0, body.length - 3),
      /does not decode with the Avro schema: field ts \(.*timestamp-micros.*\): the value ends before it does/,
    ],
    [Buffer.concat([body, Buffer.from([1, 2])]), /2 byte\(s\) left after the last field, ts/],
    [Buffer.from('{"driver_id": 1}'), /does not decode with the Avro schema: field /],
    [Buffer.alloc(0), /no value/],
    // A union branch past ["null", "double"].
    [Buffer.concat([body.subarray(0, 1), Buffer.from([0x08]), body.subarray(10)]), /field rate/],
  ];
  for (const [value, reason] of cases) assert.match(String(messageRow(shape, value)), reason, value.toString('hex'));
  const nullKey = avro.Type.forSchema({
    ...SCHEMA,
    fields: SCHEMA.fields.map((field) => (field.name === 'driver_id' ? { ...field, type: ['null', 'long'] } : field)),
  } as avro.Schema);
  const keyless = shapeOf(stream(nullKey.schema()));
  // avsc's schema() drops ts's logical type: a plain long into a timestamp column is milliseconds.
  const keylessEvent = { ...EVENT, driver_id: null, ts: Math.floor(EVENT.ts / 1000) };
  assert.match(String(messageRow(keyless, nullKey.toBuffer(keylessEvent))), /^field driver_id: missing/);
  const corrupt = Buffer.from([0xff, 0x00, 0x41]);
  assert.equal(Buffer.from(deadLetterValue(shape, corrupt)!, 'base64').toString('hex'), 'ff0041');
});

test('JSON streams read the same bytes as before: text values, dead letters as text', () => {
  const json = defineStreamSource({ name: 'events', pushSource: 'p', kafka: { brokers: ['b:1'], topic: 't' }, timestampField: 'ts' });
  const shape: MessageShape = { stream: json, fields: FIELDS, required: REQUIRED, timestampColumn: 'event_timestamp' };
  const value = Buffer.from(JSON.stringify({ driver_id: 7, note: 'é', ts: '2024-05-01T00:00:00Z' }));
  assert.equal(valuesOf(messageRow(shape, value)).note, 'é');
  assert.equal(deadLetterValue(shape, Buffer.from('{not json')), '{not json');
});

test('the schema is checked when the definition loads: a record schema avsc reads, as an object or its JSON text', () => {
  assert.deepEqual(stream(JSON.stringify(SCHEMA)).format, { avro: { schema: SCHEMA, framing: 'auto' } });
  const cases: [unknown, RegExp][] = [
    ['{oops', /format\.avro\.schema: not JSON/],
    [{ type: 'enum', name: 'E', symbols: ['A'] }, /format\.avro\.schema: must be an Avro record schema/],
    [{ type: 'record', name: 'E', fields: [{ name: 'x', type: 'nope' }] }, /format\.avro\.schema: is not a valid Avro schema/],
  ];
  for (const [schema, message] of cases)
    assert.throws(
      () => stream(schema),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') && error.context.field === 'format.avro.schema' && message.test(error.message),
      String(schema),
    );
  assert.throws(() => stream(SCHEMA, { framing: 'magic' }), /format/);
});

test('the schema is checked against the table when a consumer starts, naming the stream, the field and the type expected', () => {
  const withField = (field: Record<string, unknown>) => ({ ...SCHEMA, fields: [...SCHEMA.fields, field] });
  const cases: [unknown, RegExp][] = [
    [
      withField({ name: 'speed', type: 'double' }),
      /Stream source events: the Avro schema's field speed is not a column of the table; it has: driver_id, conv_rate/,
    ],
    [
      { ...SCHEMA, fields: SCHEMA.fields.map((field) => (field.name === 'trips' ? { ...field, type: 'string' } : field)) },
      /field trips is "string", which does not fit column trips \(int\); expected: int/,
    ],
    [
      { ...SCHEMA, fields: SCHEMA.fields.map((field) => (field.name === 'ts' ? { ...field, type: 'double' } : field)) },
      /field ts is "double", which does not fit column event_timestamp \(timestamptz\); expected: long, string, timestamp-millis \(logical type\), timestamp-micros \(logical type\)/,
    ],
    [withField({ name: 'tags', type: { type: 'array', items: 'string' } }), /field tags is not a column/],
    [
      { ...SCHEMA, fields: SCHEMA.fields.filter((field) => field.name !== 'ts') },
      /has no field for column event_timestamp, which every row needs/,
    ],
  ];
  for (const [schema, message] of cases)
    assert.throws(
      () => shapeOf(stream(schema)),
      (error: unknown) => FloeError.is(error, 'invalid-input') && error.context.stream === 'events' && message.test(error.message),
      message.source,
    );
});

test('nested fields (issue #54): Avro arrays, maps and records, and JSON lists and objects, fill list, map and struct columns', () => {
  const fields: NestedField[] = [
    { id: 1, name: 'driver_id', type: 'long', required: true },
    { id: 2, name: 'embedding', type: { type: 'list', elementId: 5, element: 'float', elementRequired: false }, required: false },
    {
      id: 3,
      name: 'meta',
      type: { type: 'map', keyId: 6, key: 'string', valueId: 7, value: 'long', valueRequired: false },
      required: false,
    },
    {
      id: 4,
      name: 'profile',
      type: { type: 'struct', fields: [{ id: 8, name: 'name', type: 'string', required: false }] },
      required: false,
    },
    { id: 9, name: 'event_timestamp', type: 'timestamptz', required: true },
  ];
  const schema = {
    type: 'record',
    name: 'Nested',
    fields: [
      { name: 'driver_id', type: 'long' },
      { name: 'embedding', type: { type: 'array', items: 'float' } },
      { name: 'meta', type: ['null', { type: 'map', values: 'long' }] },
      { name: 'profile', type: { type: 'record', name: 'Profile', fields: [{ name: 'name', type: 'string' }] } },
      { name: 'ts', type: { type: 'long', logicalType: 'timestamp-micros' } },
    ],
  };
  const expected = ['1', '[0.5,-1.25]', '{"a":9007199254740993}', '{"name":"Ann"}', '2024-05-01T00:00:00Z'];
  const avroShape = shapeOf(stream(schema), fields);
  // Written with Floe's own long type (bigints), so the long past 2^53 goes in and comes out exact.
  const body = avroType(schema).toBuffer({
    driver_id: 1n,
    embedding: [0.5, -1.25],
    meta: { a: 9_007_199_254_740_993n },
    profile: { name: 'Ann' },
    ts: 1_714_521_600_000_000n,
  });
  assert.deepEqual(messageRow(avroShape, body), expected);

  const jsonShape: MessageShape = {
    stream: { ...stream(), format: 'json' },
    fields,
    required: REQUIRED,
    timestampColumn: 'event_timestamp',
  };
  const json =
    '{"driver_id": 1, "embedding": [0.5, -1.25], "meta": {"a": 9007199254740993}, "profile": {"name": "Ann"}, "ts": "2024-05-01T00:00:00Z"}';
  assert.deepEqual(messageRow(jsonShape, Buffer.from(json)), expected);
  assert.match(
    String(messageRow(jsonShape, Buffer.from(json.replace('"Ann"', '7')))),
    /field profile: \.name: expected a string text, got number 7/,
  );
  assert.throws(
    () =>
      shapeOf(
        stream({ ...schema, fields: [...schema.fields.slice(0, 1), { name: 'embedding', type: { type: 'map', values: 'float' } }] }),
        fields,
      ),
    /the Avro schema's field embedding is \{"type":"map","values":"float"\}, which does not fit column embedding \(list\); expected: array/,
  );
});
