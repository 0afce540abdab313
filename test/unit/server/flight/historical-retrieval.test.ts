// How Feast's get_historical_features command maps onto getHistoricalFeatures: `name_aliases` (a
// view projected under another name) become viewAliases, and a command with start_date/end_date
// and no entity rows becomes `entities: { asOf, keysSeenSince }`, the window defaulting as Feast's
// does (the views' longest TTL before end_date, else 30 days).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { Registry } from '../../../../features/registry.js';
import type { FeastCommand } from '../../../../server/flight/feast-command.js';
import { feastDateWindow, feastViewAliases } from '../../../../server/flight/historical-retrieval.js';

const command = (parameters: Record<string, unknown>): FeastCommand => ({ api: 'get_historical_features', parameters });

const registry = (ttls: readonly ({ hours: number } | undefined)[]) =>
  new Registry([
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'stats_source', table: 'rides.stats', timestampField: 'event_timestamp' }),
    ...ttls.map((ttl, index) =>
      defineFeatureView({
        name: `view${index}`,
        entities: ['driver'],
        source: 'stats_source',
        features: [{ name: 'x', type: 'double' }],
        ...(ttl === undefined ? {} : { ttl }),
      }),
    ),
  ]);

test('name_aliases become alias → view, views not renamed (null, or their own name) left out', () => {
  assert.deepEqual(
    feastViewAliases(
      command({ feature_view_names: ['stats', 'stats', 'profile', 'trips'], name_aliases: ['recent', null, 'profile', 'old_trips'] }),
    ),
    { recent: 'stats', old_trips: 'trips' },
  );
  assert.deepEqual(feastViewAliases(command({ feature_view_names: ['stats'] })), {}, 'a client sending none');
});

test('name_aliases that do not pair with feature_view_names, or give one alias to two views, are refused naming the field', () => {
  for (const parameters of [
    { feature_view_names: ['stats', 'profile'], name_aliases: ['recent'] },
    { feature_view_names: ['stats'], name_aliases: [3] },
    { feature_view_names: ['stats'], name_aliases: 'recent' },
    { feature_view_names: ['stats', 'profile'], name_aliases: ['same', 'same'] },
  ])
    assert.throws(
      () => feastViewAliases(command(parameters)),
      (error: unknown) => FloeError.is(error, 'invalid-input') && error.context?.field === 'name_aliases',
      JSON.stringify(parameters),
    );
});

test('start_date and end_date become the keys seen in [start_date, end_date] as of end_date, µs and zones kept as sent', () => {
  assert.deepEqual(
    feastDateWindow(
      registry([{ hours: 6 }]),
      command({ feature_view_names: ['view0'], start_date: '2024-05-01T00:00:00+00:00', end_date: '2024-05-02T06:00:00.000001' }),
    ),
    { asOf: '2024-05-02T06:00:00.000001', keysSeenSince: '2024-05-01T00:00:00+00:00' },
  );
  assert.equal(feastDateWindow(registry([]), command({ feature_refs: ['view0:x'] })), undefined, 'neither date: not a window');
});

test('without start_date the window is the longest TTL of the views before end_date, or 30 days when none has one', () => {
  const window = (ttls: readonly ({ hours: number } | undefined)[], views: readonly string[]) =>
    feastDateWindow(registry(ttls), command({ feature_view_names: views, end_date: '2024-05-02T06:00:00.000001' }))!.keysSeenSince;
  assert.equal(window([{ hours: 6 }, { hours: 30 }], ['view0', 'view1']), '2024-05-01T00:00:00.000001Z');
  assert.equal(window([{ hours: 6 }, { hours: 30 }], ['view0']), '2024-05-02T00:00:00.000001Z', 'only the views asked for');
  assert.equal(window([undefined], ['view0']), '2024-04-02T06:00:00.000001Z');
});

test('a start_date without end_date, or a date that is no instant, is refused naming the field', () => {
  for (const [parameters, field] of [
    [{ start_date: '2024-05-01T00:00:00' }, 'end_date'],
    [{ end_date: 'now' }, 'end_date'],
    [{ start_date: 1714521600, end_date: '2024-05-01T00:00:00' }, 'start_date'],
  ] as const)
    assert.throws(
      () => feastDateWindow(registry([]), command(parameters)),
      (error: unknown) => FloeError.is(error, 'invalid-input') && error.context?.field === field,
      JSON.stringify(parameters),
    );
});
