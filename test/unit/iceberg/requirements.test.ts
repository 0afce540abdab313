import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyUpdates } from '../../../iceberg/table-updates/apply-updates.js';
import { validateRequirements } from '../../../iceberg/table-updates/requirements.js';
import type { TableRequirement } from '../../../iceberg/table-updates/updates.js';
import { FloeError } from '../../../core/errors.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';

const empty = newTableMetadata({
  location: 's3://bucket/db/t',
  schema: { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
  tableUuid: '00000000-0000-4000-8000-000000000001',
  nowMs: 1,
});
const withSnapshot = applyUpdates(
  empty,
  [
    {
      action: 'add-snapshot',
      snapshot: {
        snapshotId: 7n,
        parentSnapshotId: null,
        sequenceNumber: 1,
        timestampMs: 2,
        manifestList: 's3://m',
        summary: { operation: 'append' },
        schemaId: 0,
      },
    },
    { action: 'set-snapshot-ref', refName: 'main', snapshotId: 7n, type: 'branch' },
  ],
  { nowMs: 3 },
);

function conflict(current: typeof empty | null, requirement: TableRequirement, found: RegExp): void {
  assert.throws(
    () => validateRequirements(current, [requirement], 'db.t'),
    (error: unknown) => {
      assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
      assert.equal(error.retryable, true);
      assert.equal(error.context['requirement'], requirement.type);
      assert.equal(error.context['table'], 'db.t');
      assert.match(error.message, found);
      return true;
    },
  );
}

describe('validateRequirements', () => {
  it('assert-create holds only when the table does not exist', () => {
    validateRequirements(null, [{ type: 'assert-create' }]);
    conflict(empty, { type: 'assert-create' }, /table already exists/);
  });

  it('every other requirement fails on a missing table', () => {
    conflict(null, { type: 'assert-table-uuid', uuid: 'x' }, /does not exist/);
  });

  it('assert-table-uuid', () => {
    validateRequirements(empty, [{ type: 'assert-table-uuid', uuid: empty.tableUuid }]);
    conflict(empty, { type: 'assert-table-uuid', uuid: 'other' }, /expected table uuid other, found 00000000-0000-4000-8000-000000000001/);
  });

  it('assert-ref-snapshot-id: null means the ref must not exist', () => {
    validateRequirements(empty, [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null }]);
    conflict(
      withSnapshot,
      { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null },
      /expected ref main not to exist, but it points at snapshot 7/,
    );
  });

  it('assert-ref-snapshot-id: an id means the ref must point exactly there', () => {
    validateRequirements(withSnapshot, [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 7n }]);
    conflict(withSnapshot, { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 6n }, /expected ref main snapshot id 6, found 7/);
    conflict(
      withSnapshot,
      { type: 'assert-ref-snapshot-id', ref: 'audit', snapshotId: 7n },
      /ref audit at snapshot 7, but the ref does not exist/,
    );
  });

  it('assert-last-assigned-field-id', () => {
    validateRequirements(empty, [{ type: 'assert-last-assigned-field-id', lastAssignedFieldId: 1 }]);
    conflict(empty, { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 2 }, /expected last assigned field id 2, found 1/);
  });

  it('assert-current-schema-id', () => {
    validateRequirements(empty, [{ type: 'assert-current-schema-id', currentSchemaId: 0 }]);
    conflict(empty, { type: 'assert-current-schema-id', currentSchemaId: 1 }, /expected current schema id 1, found 0/);
  });

  it('assert-last-assigned-partition-id', () => {
    validateRequirements(empty, [{ type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 999 }]);
    conflict(
      empty,
      { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 1000 },
      /expected last assigned partition id 1000, found 999/,
    );
  });

  it('assert-default-spec-id', () => {
    validateRequirements(empty, [{ type: 'assert-default-spec-id', defaultSpecId: 0 }]);
    conflict(empty, { type: 'assert-default-spec-id', defaultSpecId: 1 }, /expected default spec id 1, found 0/);
  });

  it('assert-default-sort-order-id', () => {
    validateRequirements(empty, [{ type: 'assert-default-sort-order-id', defaultSortOrderId: 0 }]);
    conflict(empty, { type: 'assert-default-sort-order-id', defaultSortOrderId: 1 }, /expected default sort order id 1, found 0/);
  });

  it('stops at the first failing requirement of several', () => {
    assert.throws(
      () =>
        validateRequirements(empty, [
          { type: 'assert-current-schema-id', currentSchemaId: 0 },
          { type: 'assert-default-spec-id', defaultSpecId: 5 },
          { type: 'assert-create' },
        ]),
      (error: unknown) => FloeError.is(error, 'commit-conflict') && error.context['requirement'] === 'assert-default-spec-id',
    );
  });
});
