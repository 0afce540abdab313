/** When an attempt whose outcome was unknown is settled, and which files that frees: case by case. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IDEMPOTENCY_KEY_PROPERTY } from '../../../iceberg/commit/table-change.js';
import { settleAttempts, UnsettledChanges } from '../../../iceberg/commit/unsettled-attempts.js';
import type { UnsettledAttempt, UnsettledChange } from '../../../iceberg/commit/unsettled-attempts.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import type { Snapshot } from '../../../iceberg/spec/snapshot.js';
import { defined } from '../../../contracts/defined.js';

const HOUR = 3_600_000;

/** main: the snapshots in order, each the parent of the next; `keys` puts an idempotency key on one. */
function table(ids: readonly number[], keys: Record<number, string> = {}, uuid = 'table-1'): TableMetadata {
  const base = newTableMetadata({ location: '/t', schema: { schemaId: 0, identifierFieldIds: [], fields: [] }, nowMs: 0 });
  const snapshots: Snapshot[] = ids.map((id, index) => ({
    snapshotId: BigInt(id),
    parentSnapshotId: index === 0 ? null : BigInt(ids[index - 1]!),
    sequenceNumber: index + 1,
    timestampMs: index,
    manifestList: `/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append', ...defined({ [IDEMPOTENCY_KEY_PROPERTY]: keys[id] }) },
    schemaId: 0,
  }));
  const head = ids.at(-1);
  return {
    ...base,
    tableUuid: uuid,
    snapshots,
    refs: head === undefined ? {} : { main: { type: 'branch', snapshotId: BigInt(head) } },
    currentSnapshotId: head === undefined ? null : BigInt(head),
  };
}

/** An attempt that would add snapshot `id` on top of `required`. */
const attempt = (id: number, required: number | null): UnsettledAttempt => ({
  snapshotId: BigInt(id),
  requiredHead: required === null ? null : BigInt(required),
  files: [`/t/metadata/snap-${id}-list.avro`],
});

const change = (attempts: UnsettledAttempt[], overrides: Partial<UnsettledChange> = {}): UnsettledChange => ({
  tableUuid: 'table-1',
  branch: 'main',
  idempotencyKey: 'window-1',
  attempts,
  ownedFiles: ['/t/data/window-1.parquet', '/t/metadata/window-1-m0.avro'],
  since: 0,
  ...overrides,
});

describe('settleAttempts', () => {
  it('waits while the branch is still at the head an attempt required: a request still running may land it', () => {
    const attempts = [attempt(10, 1)];
    assert.deepEqual(settleAttempts(attempts, table([1]), 'main', undefined), { dead: [], landed: false });
    assert.equal(attempts.length, 1);
  });

  it('frees an attempt once the branch has moved past its head without it', () => {
    const attempts = [attempt(10, 1), attempt(11, null)];
    assert.deepEqual(settleAttempts(attempts, table([1, 2]), 'main', undefined).dead.sort(), [
      '/t/metadata/snap-10-list.avro',
      '/t/metadata/snap-11-list.avro',
    ]);
    assert.equal(attempts.length, 0);
  });

  it('keeps an attempt that required an empty branch while the history is cut short: its snapshot may be among the dropped', () => {
    // Snapshots 1 and 2 expired (or not served, as Nessie serves only its last commits): 3's parent is unknown.
    const metadata = table([1, 2, 3]);
    const cut: TableMetadata = { ...metadata, snapshots: metadata.snapshots.filter((snapshot) => snapshot.snapshotId === 3n) };
    const attempts = [attempt(1, null)];
    assert.deepEqual(settleAttempts(attempts, cut, 'main', undefined), { dead: [], landed: false });
    assert.equal(attempts.length, 1);
  });

  it('keeps the files of an attempt that landed, and frees its siblings', () => {
    const attempts = [attempt(10, 1), attempt(11, 1)];
    assert.deepEqual(settleAttempts(attempts, table([1, 11, 12]), 'main', undefined), {
      dead: ['/t/metadata/snap-10-list.avro'],
      landed: true,
    });
  });

  it('keeps an attempt whose snapshot the table holds off the branch (rolled back): its files are still read', () => {
    const metadata = table([1, 10, 2]);
    const rolledBack: TableMetadata = {
      ...metadata,
      snapshots: metadata.snapshots.map((snapshot) => (snapshot.snapshotId === 2n ? { ...snapshot, parentSnapshotId: 1n } : snapshot)),
    };
    assert.deepEqual(settleAttempts([attempt(10, 1)], rolledBack, 'main', undefined), { dead: [], landed: true });
  });

  it('settles nothing on a table that does not show the required head: loaded before it, or after it expired', () => {
    const attempts = [attempt(10, 5)];
    assert.deepEqual(settleAttempts(attempts, table([1, 2]), 'main', undefined).dead, [], 'stale view');
    assert.deepEqual(settleAttempts(attempts, table([7, 8]), 'main', undefined).dead, [], 'head 5 expired');
    assert.equal(attempts.length, 1);
  });
});

describe('UnsettledChanges', () => {
  it('a change none of whose attempts landed frees them and its own files once the table moves on', () => {
    const changes = new UnsettledChanges();
    changes.add(change([attempt(10, 1), attempt(11, 1)]));
    assert.deepEqual(changes.settle(table([1]), 0), [], 'still at the head both required');
    assert.equal(changes.size, 2);
    assert.deepEqual(changes.settle(table([1, 2]), 0).sort(), [
      '/t/data/window-1.parquet',
      '/t/metadata/snap-10-list.avro',
      '/t/metadata/snap-11-list.avro',
      '/t/metadata/window-1-m0.avro',
    ]);
    assert.equal(changes.size, 0);
    assert.deepEqual(changes.settle(table([1, 2, 3]), 0), [], 'settled once');
  });

  it('a change whose key landed (a retry of it, or a late attempt) keeps its own files', () => {
    const changes = new UnsettledChanges();
    changes.add(change([attempt(10, 1)]));
    assert.deepEqual(changes.settle(table([1, 20], { 20: 'window-1' }), 0), ['/t/metadata/snap-10-list.avro']);
    assert.equal(changes.size, 0);
  });

  it('only the same table settles a change, and only on its branch', () => {
    const changes = new UnsettledChanges();
    changes.add(change([attempt(10, 1)]));
    assert.deepEqual(changes.settle(table([1, 2], {}, 'table-2'), 0), []);
    changes.add(change([attempt(30, 1)], { branch: 'audit', idempotencyKey: 'audit-1' }));
    // main moved, but `audit` is not there: it has no head to judge by.
    assert.deepEqual(changes.settle(table([1, 2]), 0).sort(), [
      '/t/data/window-1.parquet',
      '/t/metadata/snap-10-list.avro',
      '/t/metadata/window-1-m0.avro',
    ]);
    assert.equal(changes.size, 1);
  });

  it('forgets (never deletes) a change past its age or past the bound on attempts', () => {
    const changes = new UnsettledChanges(2, HOUR);
    changes.add(change([attempt(10, 1)], { since: 0 }));
    assert.deepEqual(changes.settle(table([1, 2]), 2 * HOUR), [], 'older than an hour: the orphan sweep’s');
    assert.equal(changes.size, 0);
    changes.add(change([attempt(10, 1)], { since: 1 }));
    changes.add(change([attempt(11, 1), attempt(12, 1)], { since: 2, idempotencyKey: 'window-2' }));
    assert.equal(changes.size, 2, 'the oldest change was forgotten');
    assert.deepEqual(changes.settle(table([1, 2]), 3).sort(), [
      '/t/data/window-1.parquet',
      '/t/metadata/snap-11-list.avro',
      '/t/metadata/snap-12-list.avro',
      '/t/metadata/window-1-m0.avro',
    ]);
  });
});
