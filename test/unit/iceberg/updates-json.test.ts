import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requirementFromJson, requirementToJson, updateFromJson, updateToJson } from '../../../iceberg/table-updates/updates-json.js';
import type { TableRequirement, TableUpdate } from '../../../iceberg/table-updates/updates.js';
import { FloeError } from '../../../core/errors.js';
import { jsonRoot, parseJson, stringifyJson } from '../../../iceberg/spec/json.js';

const BIG = 9_123_456_789_012_345_678n;

const UPDATES: TableUpdate[] = [
  { action: 'assign-uuid', uuid: '2cc52516-5e73-41f2-b139-545d41a4e151' },
  { action: 'upgrade-format-version', formatVersion: 3 },
  {
    action: 'add-schema',
    schema: { schemaId: 1, identifierFieldIds: [1], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
    lastColumnId: 1,
  },
  {
    action: 'add-schema',
    schema: {
      schemaId: 2,
      identifierFieldIds: [],
      fields: [
        {
          id: 1,
          name: 'm',
          required: false,
          type: { type: 'map', keyId: 2, key: 'string', valueId: 3, value: 'decimal(38, 9)', valueRequired: false },
        },
      ],
    },
  },
  { action: 'set-current-schema', schemaId: -1 },
  { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' }] } },
  { action: 'set-default-spec', specId: -1 },
  {
    action: 'add-sort-order',
    sortOrder: { orderId: 1, fields: [{ sourceId: 1, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }] },
  },
  { action: 'set-default-sort-order', sortOrderId: 1 },
  {
    action: 'add-snapshot',
    snapshot: {
      snapshotId: BIG,
      parentSnapshotId: BIG - 1n,
      sequenceNumber: 4,
      timestampMs: 1_700_000_000_000,
      manifestList: 's3://b/t/metadata/snap.avro',
      summary: { operation: 'append', 'floe.idempotency-key': 'k' },
      schemaId: 1,
    },
  },
  {
    action: 'set-snapshot-ref',
    refName: 'main',
    snapshotId: BIG,
    type: 'branch',
    minSnapshotsToKeep: 2,
    maxSnapshotAgeMs: 3,
    maxRefAgeMs: 4,
  },
  { action: 'remove-snapshots', snapshotIds: [BIG, 1n] },
  { action: 'remove-snapshot-ref', refName: 'audit' },
  { action: 'set-location', location: 's3://b/t2' },
  { action: 'set-properties', updates: { a: '1' } },
  { action: 'remove-properties', removals: ['b'] },
];

const REQUIREMENTS: TableRequirement[] = [
  { type: 'assert-create' },
  { type: 'assert-table-uuid', uuid: '2cc52516-5e73-41f2-b139-545d41a4e151' },
  { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: BIG },
  { type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null },
  { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 3 },
  { type: 'assert-current-schema-id', currentSchemaId: 1 },
  { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 1000 },
  { type: 'assert-default-spec-id', defaultSpecId: 1 },
  { type: 'assert-default-sort-order-id', defaultSortOrderId: 1 },
];

describe('REST update and requirement JSON', () => {
  for (const update of UPDATES) {
    it(`${update.action} survives the wire`, () => {
      const text = stringifyJson(updateToJson(update));
      assert.deepEqual(updateFromJson(parseJson(text, 'wire'), jsonRoot('wire')), update);
    });
  }
  for (const requirement of REQUIREMENTS) {
    it(`${requirement.type} survives the wire`, () => {
      const text = stringifyJson(requirementToJson(requirement));
      assert.deepEqual(requirementFromJson(parseJson(text, 'wire'), jsonRoot('wire')), requirement);
    });
  }

  it('uses the OpenAPI field names and writes 64-bit ids as JSON integers', () => {
    assert.equal(
      stringifyJson(updateToJson({ action: 'set-snapshot-ref', refName: 'main', snapshotId: BIG, type: 'branch' })),
      `{"action":"set-snapshot-ref","ref-name":"main","snapshot-id":${BIG},"type":"branch"}`,
    );
    assert.equal(
      stringifyJson(requirementToJson({ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: null })),
      '{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":null}',
    );
    assert.equal(
      stringifyJson(updateToJson({ action: 'set-current-schema', schemaId: -1 })),
      '{"action":"set-current-schema","schema-id":-1}',
    );
    assert.equal(
      stringifyJson(updateToJson({ action: 'add-sort-order', sortOrder: { orderId: 0, fields: [] } })),
      '{"action":"add-sort-order","sort-order":{"order-id":0,"fields":[]}}',
    );
  });

  it('an unknown action or requirement is unsupported and named', () => {
    assert.throws(
      () => updateFromJson({ action: 'set-statistics' }, jsonRoot('req')),
      (error: unknown) => FloeError.is(error, 'unsupported') && /"set-statistics"/.test(error.message),
    );
    assert.throws(
      () => requirementFromJson({ type: 'assert-magic' }, jsonRoot('req')),
      (error: unknown) => FloeError.is(error, 'unsupported') && /"assert-magic"/.test(error.message),
    );
    assert.throws(
      () => updateFromJson({ action: 'set-location' }, jsonRoot('req')),
      (error: unknown) => FloeError.is(error, 'corrupt') && error.context['field'] === 'location',
    );
  });
});
