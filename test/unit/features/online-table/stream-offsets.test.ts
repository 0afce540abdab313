// What a table's snapshots record of a stream (the next offset per partition), where a consumer
// resumes from over several tables, and how a message becomes a row or a dead letter's reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { offsetsSummary, recordedOffsets, resumeOffsets, streamOffsetsProperty } from '../../../../features/online-table/stream-offsets.js';
import { messageRow, sortedBatch, takenMessage } from '../../../../features/stream/stream-rows.js';
import { carriedSummary } from '../../../../features/online-table/table-state.js';
import { defineStreamSource } from '../../../../features/stream-source.js';

/** A table whose main branch is these snapshots' summaries, oldest first. */
function tableWith(summaries: readonly Record<string, string>[]): TableMetadata {
  const snapshots = summaries.map((summary, index) => ({
    snapshotId: BigInt(index + 1),
    ...(index === 0 ? {} : { parentSnapshotId: BigInt(index) }),
    sequenceNumber: BigInt(index + 1),
    timestampMs: 1_000 + index,
    manifestList: `m${index}.avro`,
    summary: { operation: 'append', ...summary },
  }));
  return {
    snapshots,
    currentSnapshotId: snapshots.length === 0 ? null : BigInt(snapshots.length),
    refs: new Map(snapshots.length === 0 ? [] : [['main', { snapshotId: BigInt(snapshots.length), type: 'branch' }]]),
  } as unknown as TableMetadata;
}

test('a table records the whole map at each stream commit; later commits of others leave it as it was', () => {
  const first = offsetsSummary('s', new Map(), new Map([[0, 10n]]));
  const second = offsetsSummary('s', new Map([[0, 10n]]), new Map([[1, 5n]]));
  assert.deepEqual(second, { [streamOffsetsProperty('s')]: '{"0":"10","1":"5"}' });
  const metadata = tableWith([first, second, { 'floe.window-end': '2024-05-01T00:00:00Z' }]);
  assert.deepEqual(
    recordedOffsets(metadata, 's'),
    new Map([
      [0, 10n],
      [1, 5n],
    ]),
  );
  assert.deepEqual(recordedOffsets(metadata, 'other'), new Map());
  assert.deepEqual(recordedOffsets(tableWith([]), 's'), new Map());
});

test('a record never moves back', () => {
  assert.deepEqual(offsetsSummary('s', new Map([[0, 10n]]), new Map([[0, 7n]])), { [streamOffsetsProperty('s')]: '{"0":"10"}' });
});

test('a hand-written record that is not such JSON records nothing', () => {
  for (const text of ['nope', '[1]', '{"0": 5}', '{"x": "5"}'])
    assert.deepEqual(recordedOffsets(tableWith([{ [streamOffsetsProperty('s')]: text }]), 's'), new Map(), text);
});

test('resume: the least next offset over the tables; a table without a record of a partition reads it from the earliest', () => {
  const resume = resumeOffsets([
    new Map([
      [0, 10n],
      [1, 5n],
    ]),
    new Map([
      [0, 8n],
      [1, 9n],
      [2, 4n],
    ]),
  ]);
  assert.deepEqual(
    resume,
    new Map([
      [0, 8n],
      [1, 5n],
      [2, undefined],
    ]),
  );
});

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'conv_rate', type: 'double', required: false },
  { id: 3, name: 'event_timestamp', type: 'timestamptz', required: true },
];
const shape = {
  stream: defineStreamSource({
    name: 'events',
    pushSource: 'p',
    kafka: { brokers: ['b:1'], topic: 't' },
    fieldMapping: { rate: 'conv_rate' },
    timestampField: 'ts',
  }),
  fields: FIELDS,
  required: new Set(['driver_id', 'event_timestamp']),
  timestampColumn: 'event_timestamp',
};

test('a message becomes a row by fieldMapping and timestampField', () => {
  const row = messageRow(shape, JSON.stringify({ driver_id: 7, rate: 0.5, ts: '2024-05-01T00:00:00Z' }));
  assert.notEqual(typeof row, 'string', String(row));
  assert.deepEqual(typeof row === 'string' ? [] : FIELDS.map((field, position) => [field.name, [row[position]]]), [
    ['driver_id', ['7']],
    ['conv_rate', ['0.5']],
    ['event_timestamp', ['2024-05-01T00:00:00Z']],
  ]);
});

test('a bad message becomes the reason it is a dead letter', () => {
  const cases: [string | null, RegExp][] = [
    [null, /no value/],
    ['{oops', /not JSON/],
    ['[1, 2]', /not a JSON object/],
    [JSON.stringify({ driver_id: 'x', ts: '2024-05-01T00:00:00Z' }), /^field driver_id: expected an integer \(long\), got string "x"$/],
    [JSON.stringify({ driver_id: 1, rate: 'x', ts: '2024-05-01T00:00:00Z' }), /^field rate \(column conv_rate\): expected a number/],
    [JSON.stringify({ driver_id: 1 }), /^field ts \(column event_timestamp\): missing \(it is required\)$/],
    [JSON.stringify({ driver_id: 1, ts: '2024-05-01T00:00:00Z', speed: 3 }), /^field "speed" is not a column of the source table/],
  ];
  for (const [value, reason] of cases) assert.match(String(messageRow(shape, value)), reason, String(value));
});

test('a batch of taken messages: its rows in order, its dead letters with their bytes, and each partition’s offsets over both', () => {
  const event = (driver: number) => JSON.stringify({ driver_id: driver, rate: 0.5, ts: '2024-05-01T00:00:00Z' });
  const read = [
    { partition: 0, offset: 10n, value: event(1) },
    { partition: 1, offset: 4n, value: '{oops' },
    { partition: 0, offset: 11n, value: event(2) },
    { partition: 1, offset: 5n, value: event(3) },
    { partition: 2, offset: 0n, value: JSON.stringify({ driver_id: 'x', ts: '2024-05-01T00:00:00Z' }) },
  ].map(({ partition, offset, value }) =>
    takenMessage(shape, { topic: 't', partition, offset, key: `k${offset}`, value: Buffer.from(value) }),
  );
  const { ranges, good, letters } = sortedBatch(shape, read);
  assert.deepEqual(
    [...ranges],
    [
      [0, { first: 10n, next: 12n }],
      [1, { first: 4n, next: 6n }],
      [2, { first: 0n, next: 1n }],
    ],
  );
  assert.deepEqual(
    good.map(({ position, row }) => [position.partition, position.offset, row[0]]),
    [
      [0, 10n, '1'],
      [0, 11n, '2'],
      [1, 5n, '3'],
    ],
  );
  assert.deepEqual(
    letters.map(({ partition, offset, key, value }) => [partition, offset, key, value]),
    [
      [1, 4n, 'k4', '{oops'],
      [2, 0n, 'k0', JSON.stringify({ driver_id: 'x', ts: '2024-05-01T00:00:00Z' })],
    ],
  );
  assert.match(letters[0]!.reason, /^the value is not JSON/);
  assert.match(letters[1]!.reason, /^field driver_id: expected an integer/);
});

test("Floe's other commits carry every stream's record forward, as of the newest snapshot that has it", () => {
  const metadata = tableWith([
    offsetsSummary('a', new Map(), new Map([[0, 3n]])),
    offsetsSummary('b', new Map(), new Map([[1, 4n]])),
    offsetsSummary('a', new Map([[0, 3n]]), new Map([[0, 9n]])),
    { 'floe.window-end': '2024-05-01T00:00:00Z' },
  ]);
  const carried = carriedSummary(metadata);
  assert.equal(carried[streamOffsetsProperty('a')], '{"0":"9"}');
  assert.equal(carried[streamOffsetsProperty('b')], '{"1":"4"}');
  assert.deepEqual(recordedOffsets(tableWith([{ ...carried }]), 'a'), new Map([[0, 9n]]));
});
