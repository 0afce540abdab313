/** What schema and spec changes commit: new ids, positions, requirements, and their refusals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedTable } from '../../../../iceberg/catalog/catalog.js';
import { applyUpdates } from '../../../../iceberg/table-updates/apply-updates.js';
import { validateRequirements } from '../../../../iceberg/table-updates/requirements.js';
import type { TableChange } from '../../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../../core/errors.js';
import { LocalFileIO } from '../../../../iceberg/io/local-file-io.js';
import { addColumn } from '../../../../iceberg/schema-update/add-column.js';
import { addPartitionField } from '../../../../iceberg/schema-update/add-partition-field.js';
import { renameColumn } from '../../../../iceberg/schema-update/rename-column.js';
import { currentSchema, defaultSpec } from '../../../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';
import { newTableMetadata } from '../../../../iceberg/spec/new-table-metadata.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { ProcessCaches } from '../../../../iceberg/process-caches.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'point', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'x', required: false, type: 'double' }] } },
    { id: 5, name: 'name', required: false, type: 'string' },
  ],
};

function loaded(metadata: TableMetadata): LoadedTable {
  return {
    identifier: { namespace: ['db'], name: 't' },
    metadataLocation: '/t/metadata/00000.metadata.json',
    metadata,
    io: new LocalFileIO(),
    caches: new ProcessCaches(),
  };
}

const fresh = (formatVersion: 2 | 3 = 2): LoadedTable =>
  loaded(newTableMetadata({ location: '/t', schema: SCHEMA, nowMs: 0, formatVersion }));

// newTableMetadata assigns ids afresh, a struct's own fields before what nests in them:
// id 1, ts 2, point 3, name 4, point.x 5.

/** Prepares the change on the table and applies it, as a SQL catalog would. */
async function apply(table: LoadedTable, change: TableChange): Promise<LoadedTable> {
  const prepared = await change.prepare(table);
  validateRequirements(table.metadata, prepared.requirements);
  return loaded(applyUpdates(table.metadata, prepared.updates, { nowMs: 1 }));
}

const invalid = (pattern: RegExp) => (error: unknown) => FloeError.is(error, 'invalid-input') && pattern.test(error.message);

describe('addColumn', () => {
  it('gives the column and everything nested in it fresh ids above last-column-id, and asserts the schema it started from', async () => {
    const table = fresh();
    const change = addColumn('tags', {
      type: 'map',
      keyId: 0,
      key: 'string',
      valueId: 0,
      value: { type: 'list', elementId: 0, element: 'int', elementRequired: false },
      valueRequired: false,
    });
    const prepared = await change.prepare(table);
    assert.deepEqual(prepared.requirements, [
      { type: 'assert-current-schema-id', currentSchemaId: 0 },
      { type: 'assert-last-assigned-field-id', lastAssignedFieldId: 5 },
    ]);
    const after = await apply(table, change);
    const tags = currentSchema(after.metadata).fields.at(-1)!;
    assert.equal(tags.id, 6);
    assert.deepEqual(tags.type, {
      type: 'map',
      keyId: 7,
      key: 'string',
      valueId: 8,
      value: { type: 'list', elementId: 9, element: 'int', elementRequired: false },
      valueRequired: false,
    });
    assert.equal(after.metadata.lastColumnId, 9);
    assert.equal(after.metadata.currentSchemaId, 1);
    assert.deepEqual(currentSchema(after.metadata).identifierFieldIds, [1]);
  });

  it('adds inside a struct and after a sibling', async () => {
    let table = await apply(fresh(), addColumn(['point', 'y'], 'double', { doc: 'north' }));
    table = await apply(table, addColumn('first', 'int', { after: 'id' }));
    const schema = currentSchema(table.metadata);
    assert.deepEqual(
      schema.fields.map((field) => field.name),
      ['id', 'first', 'ts', 'point', 'name'],
    );
    assert.deepEqual(schema.fields[3]?.type, {
      type: 'struct',
      fields: [
        { id: 5, name: 'x', required: false, type: 'double' },
        { id: 6, name: 'y', required: false, type: 'double', doc: 'north' },
      ],
    });
  });

  it('a required column needs a v3 table and an initial default', async () => {
    await assert.rejects(apply(fresh(2), addColumn('n', 'int', { required: true, initialDefault: 0 })), invalid(/this one is v2/));
    await assert.rejects(apply(fresh(3), addColumn('n', 'int', { required: true })), invalid(/give it an initial default/));
    await assert.rejects(apply(fresh(2), addColumn('n', 'int', { initialDefault: 1 })), invalid(/defaults need format version 3/));
    const table = await apply(fresh(3), addColumn('n', 'int', { required: true, initialDefault: 7 }));
    assert.deepEqual(currentSchema(table.metadata).fields.at(-1), { id: 6, name: 'n', required: true, type: 'int', initialDefault: 7 });
  });

  it('replayed on a table that changed meanwhile, it takes ids after the others and fails if its name was taken', async () => {
    const change = addColumn('late', 'string');
    const moved = await apply(fresh(), addColumn('early', 'string'));
    const after = await apply(moved, change);
    assert.deepEqual(
      currentSchema(after.metadata)
        .fields.slice(-2)
        .map((field) => `${field.id}:${field.name}`),
      ['6:early', '7:late'],
    );
    await assert.rejects(apply(after, addColumn('late', 'int')), invalid(/already has a column named "late"/));
  });
});

describe('renameColumn', () => {
  it('renames top-level and nested columns, keeping ids', async () => {
    let table = await apply(fresh(), renameColumn('point.x', 'east'));
    table = await apply(table, renameColumn(['name'], 'label'));
    const schema = currentSchema(table.metadata);
    assert.deepEqual(
      schema.fields.map((field) => `${field.id}:${field.name}`),
      ['1:id', '2:ts', '3:point', '4:label'],
    );
    assert.deepEqual(
      (schema.fields[2]?.type as unknown as { fields: { id: number; name: string }[] }).fields.map((field) => `${field.id}:${field.name}`),
      ['5:east'],
    );
    assert.equal(table.metadata.lastColumnId, 5);
  });

  it('refuses unknown columns, taken names and empty names', async () => {
    await assert.rejects(apply(fresh(), renameColumn('point.z', 'w')), invalid(/Column "point.z" does not exist/));
    await assert.rejects(apply(fresh(), renameColumn(['point', 'z'], 'w')), invalid(/no "z" among x/));
    await assert.rejects(apply(fresh(), renameColumn('ts', 'id')), invalid(/already has a column of that name/));
    await assert.rejects(apply(fresh(), renameColumn('ts', 'ts')), invalid(/already named "ts"/));
    assert.throws(() => renameColumn('ts', ''), invalid(/non-empty/));
  });
});

describe('addPartitionField', () => {
  it('names fields as Java and pyiceberg do, with ids after last-partition-id, under spec requirements', async () => {
    let table = fresh();
    const first = addPartitionField('ts', 'day');
    assert.deepEqual((await first.prepare(table)).requirements, [
      { type: 'assert-default-spec-id', defaultSpecId: 0 },
      { type: 'assert-last-assigned-partition-id', lastAssignedPartitionId: 999 },
    ]);
    for (const [column, transform] of [
      ['ts', 'day'],
      ['id', 'bucket[16]'],
      ['name', 'truncate[3]'],
      ['name', 'identity'],
      ['point.x', 'void'],
    ] as const) {
      table = await apply(table, addPartitionField(column, transform));
    }
    table = await apply(table, addPartitionField('id', 'identity', { name: 'by_id' }));
    assert.deepEqual(
      defaultSpec(table.metadata).fields.map((field) => `${field.fieldId}:${field.name}:${field.transform}`),
      [
        '1000:ts_day:day',
        '1001:id_bucket_16:bucket[16]',
        '1002:name_trunc_3:truncate[3]',
        '1003:name:identity',
        '1004:point.x_null:void',
        '1005:by_id:identity',
      ],
    );
    assert.equal(table.metadata.partitionSpecs.length, 7);
  });

  it('refuses what cannot partition', async () => {
    await assert.rejects(apply(fresh(), addPartitionField('nope', 'identity')), invalid(/no such column/));
    await assert.rejects(apply(fresh(), addPartitionField('point', 'identity')), invalid(/does not apply to a struct column/));
    await assert.rejects(apply(fresh(), addPartitionField('ts', 'bucket[4]', { name: 'name' })), invalid(/is the name of a column/));
    const once = await apply(fresh(), addPartitionField('ts', 'hour'));
    await assert.rejects(apply(once, addPartitionField('ts', 'hour')), invalid(/already partitioned by hour\(ts\)/));
    await assert.rejects(
      apply(once, addPartitionField('id', 'identity', { name: 'ts_hour' })),
      invalid(/already has a field named "ts_hour"/),
    );
  });
});
