// A resent request_id is found in the snapshots of the table it was pushed to, and only there: the
// pusher's parsed request ids are keyed by table and snapshot, so two tables whose snapshots share
// an id (ids are unique only within a table) never answer for each other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PushRequestCache } from '../../../../features/push/push-commit.js';
import { pushSummary } from '../../../../features/online-table/table-state.js';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';

/** A table whose main branch is one push commit, snapshot 7, holding `requests` (request_id → rows digest). */
function pushedTable(tableUuid: string, requests: Record<string, string>): TableMetadata {
  const rows = Object.fromEntries(Object.keys(requests).map((id) => [id, 1]));
  return {
    formatVersion: 2,
    tableUuid,
    location: `s3://b/${tableUuid}`,
    lastSequenceNumber: 1,
    lastUpdatedMs: 0,
    lastColumnId: 1,
    schemas: [{ schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: false, type: 'long' }] }],
    currentSchemaId: 0,
    partitionSpecs: [{ specId: 0, fields: [] }],
    defaultSpecId: 0,
    lastPartitionId: 999,
    properties: {},
    currentSnapshotId: 7n,
    snapshots: [
      {
        snapshotId: 7n,
        parentSnapshotId: null,
        sequenceNumber: 1,
        timestampMs: 1_700_000_000_000,
        manifestList: `s3://b/${tableUuid}/metadata/snap-7.avro`,
        summary: { operation: 'append', ...pushSummary({ pushSource: 'rides_push', rows, digests: requests }) },
        schemaId: 0,
      },
    ],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [{ orderId: 0, fields: [] }],
    defaultSortOrderId: 0,
    refs: { main: { snapshotId: 7n, type: 'branch' } },
    extra: {},
  };
}

test('request ids are remembered per table and snapshot, not per snapshot id alone', () => {
  const cache = new PushRequestCache();
  const online = pushedTable('11111111-1111-1111-1111-111111111111', { 'req-a': 'digest-a' });
  const offline = pushedTable('22222222-2222-2222-2222-222222222222', { 'req-b': 'digest-b' });
  assert.deepEqual([...cache.recentRequestIds(online)], [['req-a', { snapshotId: 7n, digest: 'digest-a' }]]);
  assert.deepEqual([...cache.recentRequestIds(offline)], [['req-b', { snapshotId: 7n, digest: 'digest-b' }]]);
  assert.deepEqual([...cache.recentRequestIds(online)], [['req-a', { snapshotId: 7n, digest: 'digest-a' }]], 'asked again, from memory');
});

test('two pushers share nothing: each owns its cache', () => {
  const table = pushedTable('33333333-3333-3333-3333-333333333333', { 'req-c': 'digest-c' });
  const first = new PushRequestCache();
  first.recentRequestIds(table);
  const second = new PushRequestCache(1);
  assert.deepEqual([...second.recentRequestIds(table)], [['req-c', { snapshotId: 7n, digest: 'digest-c' }]]);
  const other = pushedTable('44444444-4444-4444-4444-444444444444', { 'req-d': 'digest-d' });
  assert.deepEqual(
    [...second.recentRequestIds(other)],
    [['req-d', { snapshotId: 7n, digest: 'digest-d' }]],
    'past its limit it starts over',
  );
});
