// The commands Feast's remote offline store client sends in Flight descriptors: parsed, the APIs
// Floe answers told apart from those refused by name, and source column types named as pyarrow does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { parseFeastCommand, putApi, readApi } from '../../../../server/flight/feast-command.js';
import { pyarrowTypeName } from '../../../../server/flight/source-columns.js';

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

test('a command is its api and its parameters', () => {
  const command = parseFeastCommand(bytes({ command_id: 'c1', api: 'get_historical_features', feature_refs: ['v:f'] }));
  assert.equal(command.api, 'get_historical_features');
  assert.deepEqual(command.parameters, { command_id: 'c1', feature_refs: ['v:f'] });
  assert.equal(readApi(command), 'get_historical_features');
});

test('offline_write_batch is answered on do_put alone, not as a read', () => {
  const command = parseFeastCommand(bytes({ command_id: 'c2', api: 'offline_write_batch', feature_view_names: ['v'] }));
  assert.equal(putApi(command), 'offline_write_batch');
  assert.throws(
    () => readApi(command),
    (error: unknown) => FloeError.is(error, 'unsupported'),
  );
});

test('a malformed command, or one without an api, is invalid input', () => {
  for (const text of ['not json', '[]', '{"command_id": "c1"}'])
    assert.throws(
      () => parseFeastCommand(bytes(text)),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /Feast's remote offline store/.test(error.message),
      text,
    );
});

test('an API Floe does not answer is refused by name, saying which it answers', () => {
  assert.throws(
    () => readApi(parseFeastCommand(bytes({ api: 'something_new' }))),
    (error: unknown) => FloeError.is(error, 'unsupported') && /something_new; it answers get_historical_features/.test(error.message),
  );
});

test('Iceberg types are named as pyarrow names the Arrow types they read as', () => {
  assert.equal(pyarrowTypeName('long'), 'int64');
  assert.equal(pyarrowTypeName('timestamptz'), 'timestamp[us, tz=UTC]');
  assert.equal(pyarrowTypeName('decimal(10, 2)'), 'decimal128(10, 2)');
  assert.equal(pyarrowTypeName({ type: 'list', elementId: 2, element: 'string', elementRequired: false }), 'list<element: string>');
});
