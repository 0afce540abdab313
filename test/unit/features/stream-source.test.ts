// A stream source is checked when defined (each problem names its field) and when the registry is
// built (its push source must exist); it is stored and diffed with the other definitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import { Registry } from '../../../features/registry.js';
import { documentDefinitions, registryDocument } from '../../../features/registry-store/document.js';
import { defineStreamSource } from '../../../features/stream-source.js';

const source = defineIcebergSource({ name: 'rides', table: 'demo.rides', timestampField: 'event_ts' });
const push = definePushSource({ name: 'rides_push', batchSource: 'rides' });
const kafka = { brokers: ['127.0.0.1:9092'], topic: 'rides' };

test('defaults: JSON, 10,000 rows or 1 s a batch', () => {
  const stream = defineStreamSource({ name: 'rides_stream', pushSource: 'rides_push', kafka });
  assert.equal(stream.kind, 'streamSource');
  assert.equal(stream.format, 'json');
  assert.deepEqual(stream.batch, { maxRows: 10_000, maxDelayMs: 1_000 });
});

test('a bad definition is refused naming the field', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ name: 'rides_stream', pushSource: 'rides_push', kafka: { ...kafka, brokers: ['nohost'] } }, 'kafka.brokers.0', /must be host:port/],
    [{ name: 'rides_stream', pushSource: 'rides_push', kafka: { brokers: [], topic: 'rides' } }, 'kafka.brokers', /kafka\.brokers/],
    [{ name: 'rides_stream', pushSource: 'rides_push', kafka, format: 'avro' }, 'format', /format/],
    [{ name: 'rides_stream', pushSource: 'rides_push', kafka, batch: { maxRows: 0 } }, 'batch.maxRows', /batch\.maxRows/],
    [{ name: 'rides_stream', pushSource: 'rides_push', kafka, deadLetterTable: 'nodot' }, 'deadLetterTable', /namespace\.table/],
    [{ name: '1bad', pushSource: 'rides_push', kafka }, 'name', /name/],
  ];
  for (const [input, field, message] of cases)
    assert.throws(
      () => defineStreamSource(input as Parameters<typeof defineStreamSource>[0]),
      (error: unknown) => FloeError.is(error, 'invalid-input') && error.context.field === field && message.test(error.message),
      field,
    );
});

test('the registry refuses a stream source whose push source is not defined, naming pushSource', () => {
  const stream = defineStreamSource({ name: 'rides_stream', pushSource: 'nope', kafka });
  assert.throws(
    () => new Registry([source, push, stream]),
    (error: unknown) =>
      FloeError.is(error, 'invalid-input') && error.context.field === 'pushSource' && /defined: rides_push/.test(error.message),
  );
});

test('the registry knows stream sources, and the stored document keeps them', () => {
  const stream = defineStreamSource({ name: 'rides_stream', pushSource: 'rides_push', kafka });
  const registry = new Registry([source, push, stream]);
  assert.equal(registry.pushSourceOf(registry.streamSource('rides_stream')).name, 'rides_push');
  assert.throws(() => registry.streamSource('other'), /rides_stream/);
  const document = registryDocument(registry, { project: 'p', version: 1, appliedAt: new Date(0) });
  assert.deepEqual(
    documentDefinitions(document).filter((definition) => definition.kind === 'streamSource'),
    [stream],
  );
});
