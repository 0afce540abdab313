import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onlyRewritesSince } from '../../../../features/online/rewrite-handover.js';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';
import type { SnapshotOperation } from '../../../../iceberg/spec/snapshot.js';

/** Metadata whose snapshots form one line, 1 → 2 → …, with the given operations; the last is current. */
function lineage(operations: readonly SnapshotOperation[]): TableMetadata {
  const snapshots = operations.map((operation, index) => ({
    snapshotId: BigInt(index + 1),
    parentSnapshotId: index === 0 ? null : BigInt(index),
    summary: { operation },
  }));
  return { currentSnapshotId: snapshots.at(-1)?.snapshotId ?? null, snapshots } as unknown as TableMetadata;
}

test('only replace snapshots since the one held: reads may stay on it', () => {
  assert.equal(onlyRewritesSince(lineage(['append', 'replace']), 1n), true);
  assert.equal(onlyRewritesSince(lineage(['append', 'append', 'replace', 'replace']), 2n), true);
});

test('an append, overwrite or delete since, no newer snapshot, or a snapshot not in the lineage: reads move', () => {
  assert.equal(onlyRewritesSince(lineage(['append', 'replace', 'append']), 1n), false);
  assert.equal(onlyRewritesSince(lineage(['append', 'overwrite']), 1n), false);
  assert.equal(onlyRewritesSince(lineage(['append', 'delete', 'replace']), 1n), false);
  assert.equal(onlyRewritesSince(lineage(['append', 'replace']), 2n), false);
  assert.equal(onlyRewritesSince(lineage(['append', 'replace']), 7n), false);
  assert.equal(onlyRewritesSince(lineage(['append', 'replace']), null), false);
});
