/** Which snapshots and refs an expiry removes: Java's RemoveSnapshots rules, case by case. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { selectExpired } from '../../../../iceberg/maintenance/expire-selection.js';
import type { ExpireOptions } from '../../../../iceberg/maintenance/expire-selection.js';
import { newTableMetadata } from '../../../../iceberg/spec/new-table-metadata.js';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';
import type { Snapshot, SnapshotRef } from '../../../../iceberg/spec/snapshot.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;

/** Snapshots `id@day` with parents, and refs; ids are small bigints. */
function table(
  snapshots: readonly [id: number, parent: number | null, day: number][],
  refs: Record<string, Partial<SnapshotRef> & { snapshotId: bigint }>,
  properties: Record<string, string> = {},
): TableMetadata {
  const base = newTableMetadata({ location: '/t', schema: { schemaId: 0, identifierFieldIds: [], fields: [] }, nowMs: 0, properties });
  const list: Snapshot[] = snapshots.map(([id, parent, day]) => ({
    snapshotId: BigInt(id),
    parentSnapshotId: parent === null ? null : BigInt(parent),
    sequenceNumber: id,
    timestampMs: day * DAY,
    manifestList: `/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    schemaId: 0,
  }));
  const fullRefs = Object.fromEntries(Object.entries(refs).map(([name, ref]) => [name, { type: 'branch' as const, ...ref }]));
  return { ...base, snapshots: list, refs: fullRefs, currentSnapshotId: fullRefs.main?.snapshotId ?? null };
}

const expire = (metadata: TableMetadata, options: ExpireOptions = {}) => {
  const selection = selectExpired(metadata, options, NOW);
  return { ids: selection.snapshotIds.map(Number).sort((a, b) => a - b), refs: [...selection.refs].sort() };
};

// main: 1 ← 2 ← 3 ← 4, on days 1, 2, 97, 99 (NOW is day 100).
const LINE: [number, number | null, number][] = [
  [1, null, 1],
  [2, 1, 2],
  [3, 2, 97],
  [4, 3, 99],
];

describe('selectExpired', () => {
  it('by default keeps what is younger than 5 days, and at least the head', () => {
    assert.deepEqual(expire(table(LINE, { main: { snapshotId: 4n } })), { ids: [1, 2], refs: [] });
  });

  it('olderThanMs and retainLast: the newest N ancestors stay whatever their age', () => {
    const metadata = table(LINE, { main: { snapshotId: 4n } });
    assert.deepEqual(expire(metadata, { olderThanMs: NOW }), { ids: [1, 2, 3], refs: [] });
    assert.deepEqual(expire(metadata, { olderThanMs: NOW, retainLast: 3 }), { ids: [1], refs: [] });
    assert.deepEqual(expire(metadata, { olderThanMs: 0 }), { ids: [], refs: [] });
  });

  it('stops at the first ancestor that is neither needed for the minimum nor young enough', () => {
    // 2 is older than the cut-off, so 1 goes although it is (oddly) younger.
    const metadata = table(
      [
        [1, null, 98],
        [2, 1, 3],
        [3, 2, 99],
      ],
      { main: { snapshotId: 3n } },
    );
    assert.deepEqual(expire(metadata, { olderThanMs: 90 * DAY }), { ids: [1, 2], refs: [] });
  });

  it('table properties give the defaults; a branch’s own retention wins for that branch', () => {
    const props = { 'history.expire.max-snapshot-age-ms': String(50 * DAY), 'history.expire.min-snapshots-to-keep': '1' };
    const snapshots: [number, number | null, number][] = [...LINE, [5, 2, 3], [6, 5, 4]];
    const metadata = table(snapshots, { main: { snapshotId: 4n }, audit: { snapshotId: 6n, minSnapshotsToKeep: 2 } }, props);
    // main keeps 3, 4 (younger than 50 days); audit keeps 6 and 5 (its minimum of 2); 1 and 2 go.
    assert.deepEqual(expire(metadata), { ids: [1, 2], refs: [] });
    const withAge = table(snapshots, { main: { snapshotId: 4n }, audit: { snapshotId: 6n, maxSnapshotAgeMs: 98 * DAY } }, props);
    assert.deepEqual(expire(withAge), { ids: [1], refs: [] }, 'audit keeps every ancestor at most 98 days old: 6, 5, 2');
  });

  it('tags keep their snapshot; refs older than their max age go, and main never does', () => {
    const metadata = table(LINE, {
      main: { snapshotId: 4n, maxRefAgeMs: 1 },
      v1: { snapshotId: 1n, type: 'tag' },
      old: { snapshotId: 2n, type: 'tag', maxRefAgeMs: 10 * DAY },
    });
    assert.deepEqual(expire(metadata, { olderThanMs: NOW }), { ids: [2, 3], refs: ['old'] });
    const byProperty = table(
      LINE,
      { main: { snapshotId: 4n }, v1: { snapshotId: 1n, type: 'tag' } },
      { 'history.expire.max-ref-age-ms': String(50 * DAY) },
    );
    assert.deepEqual(expire(byProperty, { olderThanMs: NOW }), { ids: [1, 2, 3], refs: ['v1'] });
  });

  it('snapshots no ref reaches stay while younger than the cut-off', () => {
    const metadata = table([...LINE, [7, 3, 98], [8, 1, 2]], { main: { snapshotId: 4n } });
    assert.deepEqual(expire(metadata, { olderThanMs: 50 * DAY }), { ids: [1, 2, 8], refs: [] });
  });

  it('explicit snapshot ids go whatever their age, unless a kept ref points at one; unknown ids are ignored', () => {
    const metadata = table(LINE, { main: { snapshotId: 4n }, v1: { snapshotId: 1n, type: 'tag' } });
    assert.deepEqual(expire(metadata, { olderThanMs: 0, snapshotIds: [3n, 42n] }), { ids: [3], refs: [] });
    assert.throws(
      () => expire(metadata, { snapshotIds: [1n] }),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') && /Cannot expire snapshot 1: ref\(s\) v1 still point at it/.test(error.message),
    );
  });

  it('refuses a retainLast below 1 and a malformed property', () => {
    const metadata = table(LINE, { main: { snapshotId: 4n } });
    assert.throws(
      () => expire(metadata, { retainLast: 0 }),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
    assert.throws(
      () => expire(table(LINE, { main: { snapshotId: 4n } }, { 'history.expire.max-snapshot-age-ms': 'soon' })),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /history.expire.max-snapshot-age-ms/.test(error.message),
    );
  });
});
