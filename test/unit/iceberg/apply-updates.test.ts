import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyUpdates } from '../../../iceberg/table-updates/apply-updates.js';
import type { TableUpdate } from '../../../iceberg/table-updates/updates.js';
import { FloeError } from '../../../core/errors.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import type { Snapshot } from '../../../iceberg/spec/snapshot.js';
import { defined } from '../../../contracts/defined.js';

const NOW = 1_700_000_000_000;

function base(formatVersion: 2 | 3 = 2): TableMetadata {
  return newTableMetadata({
    location: 's3://bucket/db/t',
    schema: { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
    formatVersion,
    tableUuid: '00000000-0000-4000-8000-000000000001',
    nowMs: NOW - 10_000,
  });
}

function snapshot(id: bigint, parent: bigint | null, sequenceNumber: number, timestampMs: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    snapshotId: id,
    parentSnapshotId: parent,
    sequenceNumber,
    timestampMs,
    manifestList: `s3://bucket/db/t/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    schemaId: 0,
    ...extra,
  };
}

const apply = (metadata: TableMetadata, updates: TableUpdate[], baseMetadataLocation?: string): TableMetadata =>
  applyUpdates(metadata, updates, { nowMs: NOW, ...defined({ baseMetadataLocation }) });

function rejects(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => FloeError.is(error, 'invalid-input') && message.test(error.message));
}

/** A table with snapshots 1 ← 2 ← 3 on main, all committed in separate commits. */
function withHistory(): TableMetadata {
  let metadata = base();
  let parent: bigint | null = null;
  for (const id of [1n, 2n, 3n]) {
    metadata = apply(metadata, [
      { action: 'add-snapshot', snapshot: snapshot(id, parent, Number(id), NOW + Number(id)) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: id, type: 'branch' },
    ]);
    parent = id;
  }
  return metadata;
}

describe('applyUpdates', () => {
  it('returns the base itself when nothing changes', () => {
    const metadata = base();
    assert.equal(apply(metadata, []), metadata);
    assert.equal(
      apply(metadata, [
        { action: 'assign-uuid', uuid: metadata.tableUuid },
        { action: 'set-properties', updates: {} },
        { action: 'remove-snapshot-ref', refName: 'nope' },
      ]),
      metadata,
    );
  });

  it('assign-uuid replaces the uuid and stamps last-updated-ms with the commit time', () => {
    const updated = apply(base(), [{ action: 'assign-uuid', uuid: '00000000-0000-4000-8000-000000000002' }]);
    assert.equal(updated.tableUuid, '00000000-0000-4000-8000-000000000002');
    assert.equal(updated.lastUpdatedMs, NOW);
  });

  it('upgrade-format-version upgrades (v3 starts row ids at 0) and refuses to downgrade', () => {
    const upgraded = apply(base(), [{ action: 'upgrade-format-version', formatVersion: 3 }]);
    assert.equal(upgraded.formatVersion, 3);
    assert.equal(upgraded.nextRowId, 0n);
    rejects(() => apply(upgraded, [{ action: 'upgrade-format-version', formatVersion: 2 }]), /cannot downgrade a v3 table to v2/);
  });

  it('add-schema gives a new schema the next id whatever it came with; set-current-schema -1 picks it', () => {
    const schema = {
      schemaId: 77,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' as const },
        { id: 2, name: 'name', required: false, type: 'string' as const },
      ],
    };
    const updated = apply(base(), [
      { action: 'add-schema', schema },
      { action: 'set-current-schema', schemaId: -1 },
    ]);
    assert.deepEqual(
      updated.schemas.map((s) => s.schemaId),
      [0, 1],
    );
    assert.equal(updated.currentSchemaId, 1);
    assert.equal(updated.lastColumnId, 2);
  });

  it('add-schema reuses an identical schema instead of adding it again', () => {
    const metadata = base();
    const again = apply(metadata, [
      { action: 'add-schema', schema: { ...(metadata.schemas[0] as TableMetadata['schemas'][number]), schemaId: 5 } },
      { action: 'set-current-schema', schemaId: -1 },
    ]);
    assert.equal(again, metadata);
  });

  it('add-schema checks an explicit last-column-id; set-current-schema needs an existing schema', () => {
    rejects(
      () =>
        apply(base(), [
          {
            action: 'add-schema',
            schema: { schemaId: 1, identifierFieldIds: [], fields: [{ id: 3, name: 'x', required: false, type: 'int' }] },
            lastColumnId: 2,
          },
        ]),
      /last-column-id 2 is lower than the schema's highest field id 3/,
    );
    rejects(() => apply(base(), [{ action: 'set-current-schema', schemaId: -1 }]), /no schema was added in this commit/);
    rejects(() => apply(base(), [{ action: 'set-current-schema', schemaId: 4 }]), /schema 4 does not exist/);
  });

  it('add-spec adds with the next spec id and raises last-partition-id; set-default-spec -1 picks it', () => {
    const updated = apply(base(), [
      { action: 'add-spec', spec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' }] } },
      { action: 'set-default-spec', specId: -1 },
    ]);
    assert.deepEqual(
      updated.partitionSpecs.map((spec) => spec.specId),
      [0, 1],
    );
    assert.equal(updated.defaultSpecId, 1);
    assert.equal(updated.lastPartitionId, 1000);
    rejects(() => apply(base(), [{ action: 'set-default-spec', specId: 3 }]), /partition spec 3 does not exist/);
  });

  it('add-sort-order numbers sorted orders from 1; set-default-sort-order -1 picks it', () => {
    const updated = apply(base(), [
      {
        action: 'add-sort-order',
        sortOrder: { orderId: 0, fields: [{ sourceId: 1, transform: 'identity', direction: 'desc', nullOrder: 'nulls-last' }] },
      },
      { action: 'set-default-sort-order', sortOrderId: -1 },
    ]);
    assert.deepEqual(
      updated.sortOrders.map((order) => order.orderId),
      [0, 1],
    );
    assert.equal(updated.defaultSortOrderId, 1);
    rejects(() => apply(base(), [{ action: 'set-default-sort-order', sortOrderId: 2 }]), /sort order 2 does not exist/);
  });

  it('add-snapshot + set-snapshot-ref main: sequence number, current snapshot, snapshot log, last-updated-ms', () => {
    const updated = apply(base(), [
      { action: 'add-snapshot', snapshot: snapshot(11n, null, 1, NOW - 5) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: 11n, type: 'branch' },
    ]);
    assert.equal(updated.lastSequenceNumber, 1);
    assert.equal(updated.currentSnapshotId, 11n);
    assert.deepEqual(updated.refs, { main: { snapshotId: 11n, type: 'branch' } });
    assert.deepEqual(updated.snapshotLog, [{ timestampMs: NOW - 5, snapshotId: 11n }]);
    assert.equal(updated.lastUpdatedMs, NOW - 5);
  });

  it('add-snapshot alone does not make the snapshot current', () => {
    const updated = apply(base(), [{ action: 'add-snapshot', snapshot: snapshot(11n, null, 1, NOW - 5) }]);
    assert.equal(updated.currentSnapshotId, null);
    assert.deepEqual(updated.snapshotLog, []);
    assert.equal(updated.snapshots.length, 1);
  });

  it('add-snapshot refuses a duplicate id and a stale sequence number', () => {
    const metadata = withHistory();
    rejects(() => apply(metadata, [{ action: 'add-snapshot', snapshot: snapshot(2n, 1n, 4, NOW) }]), /snapshot 2 already exists/);
    rejects(
      () => apply(metadata, [{ action: 'add-snapshot', snapshot: snapshot(4n, 3n, 3, NOW) }]),
      /sequence number 3 is not above the table's last sequence number 3/,
    );
  });

  it('v3 add-snapshot requires row lineage and advances next-row-id', () => {
    const v3 = base(3);
    const updated = apply(v3, [{ action: 'add-snapshot', snapshot: snapshot(1n, null, 1, NOW, { firstRowId: 0n, addedRows: 25n }) }]);
    assert.equal(updated.nextRowId, 25n);
    rejects(() => apply(v3, [{ action: 'add-snapshot', snapshot: snapshot(1n, null, 1, NOW) }]), /needs first-row-id and added-rows/);
    rejects(
      () => apply(updated, [{ action: 'add-snapshot', snapshot: snapshot(2n, 1n, 2, NOW, { firstRowId: 10n, addedRows: 1n }) }]),
      /first-row-id 10 is below the table's next-row-id 25/,
    );
  });

  it('set-snapshot-ref on another branch leaves main and the snapshot log alone', () => {
    const metadata = withHistory();
    const updated = apply(metadata, [{ action: 'set-snapshot-ref', refName: 'audit', snapshotId: 1n, type: 'tag', maxRefAgeMs: 1000 }]);
    assert.equal(updated.currentSnapshotId, 3n);
    assert.deepEqual(updated.refs['audit'], { snapshotId: 1n, type: 'tag', maxRefAgeMs: 1000 });
    assert.deepEqual(updated.snapshotLog, metadata.snapshotLog);
    assert.equal(updated.lastUpdatedMs, NOW);
    rejects(() => apply(metadata, [{ action: 'set-snapshot-ref', refName: 'x', snapshotId: 99n, type: 'branch' }]), /unknown snapshot 99/);
    rejects(() => apply(metadata, [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 1n, type: 'tag' }]), /main must be a branch/);
  });

  it('moving main back to an older snapshot logs it with the commit time', () => {
    const updated = apply(withHistory(), [{ action: 'set-snapshot-ref', refName: 'main', snapshotId: 1n, type: 'branch' }]);
    assert.equal(updated.currentSnapshotId, 1n);
    assert.deepEqual(updated.snapshotLog.at(-1), { timestampMs: NOW, snapshotId: 1n });
  });

  it('a snapshot that was main only in the middle of a commit is not in the snapshot log', () => {
    const updated = apply(base(), [
      { action: 'add-snapshot', snapshot: snapshot(1n, null, 1, NOW - 2) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: 1n, type: 'branch' },
      { action: 'add-snapshot', snapshot: snapshot(2n, 1n, 2, NOW - 1) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: 2n, type: 'branch' },
    ]);
    assert.deepEqual(updated.snapshotLog, [{ timestampMs: NOW - 1, snapshotId: 2n }]);
    assert.equal(updated.lastSequenceNumber, 2);
  });

  it('remove-snapshots drops the snapshots, refs on them, their statistics and the log before them', () => {
    const metadata = {
      ...withHistory(),
      refs: { ...withHistory().refs, old: { snapshotId: 2n, type: 'tag' as const } },
      extra: {
        statistics: [
          { 'snapshot-id': 2, 'statistics-path': 's3://x/2.puffin' },
          { 'snapshot-id': 3, 'statistics-path': 's3://x/3.puffin' },
        ],
      },
    };
    const updated = apply(metadata, [{ action: 'remove-snapshots', snapshotIds: [2n, 404n] }]);
    assert.deepEqual(
      updated.snapshots.map((s) => s.snapshotId),
      [1n, 3n],
    );
    assert.equal(updated.snapshots[1]?.parentSnapshotId, 2n, 'parents are kept, as Java does');
    assert.deepEqual(Object.keys(updated.refs), ['main']);
    assert.deepEqual(
      updated.snapshotLog.map((entry) => entry.snapshotId),
      [3n],
    );
    assert.deepEqual(updated.extra['statistics'], [{ 'snapshot-id': 3, 'statistics-path': 's3://x/3.puffin' }]);
  });

  it('removing the current snapshot or the main ref leaves no current snapshot', () => {
    assert.equal(apply(withHistory(), [{ action: 'remove-snapshot-ref', refName: 'main' }]).currentSnapshotId, null);
    const removed = apply(withHistory(), [{ action: 'remove-snapshots', snapshotIds: [3n] }]);
    assert.equal(removed.currentSnapshotId, null);
    assert.deepEqual(removed.refs, {});
  });

  it('set-location, set-properties and remove-properties', () => {
    const updated = apply(base(), [
      { action: 'set-location', location: 's3://other/t' },
      { action: 'set-properties', updates: { a: '1', b: '2' } },
      { action: 'remove-properties', removals: ['a', 'missing'] },
    ]);
    assert.equal(updated.location, 's3://other/t');
    assert.deepEqual(updated.properties, { b: '2' });
  });

  it('records the base metadata file in the metadata log, bounded by write.metadata.previous-versions-max', () => {
    let metadata = apply(base(), [{ action: 'set-properties', updates: { 'write.metadata.previous-versions-max': '2' } }], 'm0.json');
    assert.deepEqual(metadata.metadataLog, [{ timestampMs: NOW - 10_000, metadataFile: 'm0.json' }]);
    for (const [index, name] of ['m1.json', 'm2.json', 'm3.json'].entries()) {
      metadata = applyUpdates(metadata, [{ action: 'set-properties', updates: { n: String(index) } }], {
        nowMs: NOW + index + 1,
        baseMetadataLocation: name,
      });
    }
    assert.deepEqual(metadata.metadataLog, [
      { timestampMs: NOW + 1, metadataFile: 'm2.json' },
      { timestampMs: NOW + 2, metadataFile: 'm3.json' },
    ]);
  });
});
