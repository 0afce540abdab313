import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { parseTableMetadata, serializeTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import type { Schema } from '../../../iceberg/spec/schema.js';

/** The v2-evolved fixture's first schema, described with arbitrary ids, as a caller might. */
const SCHEMA_WITH_ODD_IDS: Schema = {
  schemaId: 42,
  identifierFieldIds: [101],
  fields: [
    { id: 101, name: 'id', required: true, type: 'long' },
    { id: 102, name: 'ts', required: false, type: 'timestamptz' },
    { id: 103, name: 'price', required: false, type: 'decimal(10, 2)', doc: 'price in EUR' },
    { id: 104, name: 'tags', required: false, type: { type: 'list', elementId: 150, element: 'string', elementRequired: false } },
    {
      id: 105,
      name: 'attrs',
      required: false,
      type: { type: 'map', keyId: 160, key: 'string', valueId: 161, value: 'double', valueRequired: true },
    },
    {
      id: 106,
      name: 'point',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 170, name: 'x', required: true, type: 'double' },
          { id: 171, name: 'y', required: true, type: 'double' },
        ],
      },
    },
    { id: 107, name: 'hash', required: false, type: 'fixed[16]' },
    { id: 108, name: 'region', required: false, type: 'string' },
  ],
};

describe('newTableMetadata', () => {
  it('assigns fresh ids exactly as pyiceberg did for the same schema (fixture v2-evolved)', () => {
    const fixture = parseTableMetadata(
      readFileSync(new URL('../../fixtures/metadata/v2-evolved.metadata.json', import.meta.url), 'utf8'),
      'v2-evolved',
    );
    const created = newTableMetadata({
      location: 'file:///warehouse/fx/v2_evolved',
      schema: SCHEMA_WITH_ODD_IDS,
      partitionSpec: { specId: 9, fields: [{ sourceId: 108, fieldId: 1234, name: 'region', transform: 'identity' }] },
      sortOrder: { orderId: 5, fields: [{ sourceId: 101, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }] },
      properties: { owner: 'floe' },
      nowMs: 1,
    });
    assert.deepEqual(created.schemas[0], fixture.schemas[0]);
    assert.deepEqual(created.partitionSpecs, fixture.partitionSpecs);
    assert.deepEqual(created.sortOrders, fixture.sortOrders);
    assert.equal(created.defaultSortOrderId, fixture.defaultSortOrderId);
    assert.equal(created.lastPartitionId, 1000);
    assert.equal(created.lastColumnId, 13);
  });

  it('makes a v2 table by default with empty history and a fresh uuid', () => {
    const created = newTableMetadata({ location: 's3://b/t/', schema: SCHEMA_WITH_ODD_IDS, nowMs: 1700000000000 });
    assert.equal(created.formatVersion, 2);
    assert.equal(created.location, 's3://b/t');
    assert.match(created.tableUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(created.lastSequenceNumber, 0);
    assert.equal(created.lastUpdatedMs, 1700000000000);
    assert.equal(created.currentSnapshotId, null);
    assert.deepEqual(created.refs, {});
    assert.deepEqual(created.partitionSpecs, [{ specId: 0, fields: [] }]);
    assert.equal(created.lastPartitionId, 999);
    assert.deepEqual(created.sortOrders, [{ orderId: 0, fields: [] }]);
    assert.equal(created.nextRowId, undefined);
    // What it writes reads back the same.
    assert.deepEqual(parseTableMetadata(serializeTableMetadata(created), 'new'), created);
  });

  it('takes the format version from the format-version property without storing it', () => {
    const created = newTableMetadata({
      location: 's3://b/t',
      schema: SCHEMA_WITH_ODD_IDS,
      properties: { 'format-version': '3', a: 'b' },
      nowMs: 1,
    });
    assert.equal(created.formatVersion, 3);
    assert.equal(created.nextRowId, 0n);
    assert.deepEqual(created.properties, { a: 'b' });
    assert.equal(
      newTableMetadata({ location: 's3://b/t', schema: SCHEMA_WITH_ODD_IDS, properties: { 'format-version': '1' }, nowMs: 1 })
        .formatVersion,
      1,
    );
  });

  it('rejects a partition field on a column the schema does not have, naming the column id', () => {
    assert.throws(
      () =>
        newTableMetadata({
          location: 's3://b/t',
          schema: SCHEMA_WITH_ODD_IDS,
          partitionSpec: { specId: 0, fields: [{ sourceId: 999, fieldId: 1000, name: 'x', transform: 'identity' }] },
          nowMs: 1,
        }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /column id 999/.test(error.message),
    );
    assert.throws(
      () => newTableMetadata({ location: 's3://b/t', schema: SCHEMA_WITH_ODD_IDS, properties: { 'format-version': '9' }, nowMs: 1 }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /format-version must be 1, 2 or 3/.test(error.message),
    );
  });
});
