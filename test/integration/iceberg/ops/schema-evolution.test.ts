// services: rest-catalog, python
/**
 * Schema and partition spec evolution made by Floe, read by pyiceberg: added columns read as null in
 * older rows, renamed columns keep their values, nested additions and positions land where asked,
 * bad requests fail clearly, and an append racing a schema change (and two racing schema changes)
 * both land. A table whose spec evolved takes row-level deletes in both specs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendQuery } from '../../../../engine/write/append-query.js';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import type { Catalog } from '../../../../iceberg/catalog/catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import { FloeError } from '../../../../core/errors.js';
import { isIn } from '../../../../iceberg/expressions/expression.js';
import { addColumn } from '../../../../iceberg/schema-update/add-column.js';
import { addPartitionField } from '../../../../iceberg/schema-update/add-partition-field.js';
import { renameColumn } from '../../../../iceberg/schema-update/rename-column.js';
import { currentSchema } from '../../../../iceberg/spec/metadata.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { OpsContext, Row } from '../../../support/iceberg/ops-context.js';
import {
  appendValues,
  commit,
  createUniqueTable,
  dotted,
  floeRows,
  ids,
  load,
  pyInspect,
  pyRows,
  restContext,
  sqlContext,
} from '../../../support/iceberg/ops-context.js';
import { runPyiceberg } from '../../../support/pyiceberg.js';

const SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    {
      id: 3,
      name: 'address',
      required: false,
      type: { type: 'struct', fields: [{ id: 4, name: 'city', required: false, type: 'string' }] },
    },
  ],
};
const noSleep = { sleep: async () => undefined };
const rejectsWith = (pattern: RegExp) => (error: unknown) => {
  assert.ok(FloeError.is(error, 'invalid-input'), String(error));
  assert.match(error.message, pattern);
  return true;
};

function racing(catalog: Catalog, beforeFirstCommit: () => Promise<unknown>): Catalog & { calls: number } {
  const wrapper = Object.create(catalog) as Catalog & { calls: number };
  wrapper.calls = 0;
  wrapper.commitTable = async (identifier, requirements, updates) => {
    if (++wrapper.calls === 1) await beforeFirstCommit();
    return catalog.commitTable(identifier, requirements, updates);
  };
  return wrapper;
}

describe('schema evolution on the SQL catalog, read by pyiceberg', () => {
  let context: OpsContext;
  before(async () => {
    context = await sqlContext('schema');
  });
  after(async () => {
    await context.close();
  });

  it('added and renamed columns: old rows read null in the new column and keep their values under the new name', async () => {
    const identifier = await createUniqueTable(context, 'people', { schema: SCHEMA });
    await appendValues(context, identifier, ['id', 'name', 'address'], [`(1, 'ann', {'city': 'Oslo'})`, `(2, 'bob', NULL)`]);
    await commit(context, identifier, addColumn('score', 'double', { doc: 'how good' }));
    await commit(context, identifier, renameColumn('name', 'label'));
    await commit(context, identifier, addColumn(['address', 'zip'], 'string'));
    await commit(context, identifier, addColumn('middle', 'string', { after: 'id' }));
    await commit(context, identifier, renameColumn('address.city', 'town'));
    await appendValues(
      context,
      identifier,
      ['id', 'middle', 'label', 'address', 'score'],
      [`(3, 'm', 'cy', {'town': 'Rome', 'zip': '00100'}, 2.5)`],
    );

    const table = await load(context, identifier);
    const schema = currentSchema(table.metadata);
    assert.deepEqual(
      schema.fields.map((field) => `${field.id}:${field.name}`),
      ['1:id', '7:middle', '2:label', '3:address', '5:score'],
    );
    assert.equal(table.metadata.lastColumnId, 7);
    const metadata = await runPyiceberg<{
      metadata: { schemas: { 'schema-id': number; fields: Row[] }[]; 'current-schema-id': number; 'last-column-id': number };
    }>('load_metadata', { catalog: context.oracle, identifier: dotted(identifier) });
    const pySchema = metadata.metadata.schemas.find((entry) => entry['schema-id'] === metadata.metadata['current-schema-id'])!;
    assert.deepEqual(
      pySchema.fields.map((field) => field.name),
      ['id', 'middle', 'label', 'address', 'score'],
    );
    assert.equal(pySchema.fields.find((field) => field.name === 'score')?.doc, 'how good');
    assert.deepEqual(
      (pySchema.fields.find((field) => field.name === 'address')!.type as { fields: Row[] }).fields.map(
        (field) => `${field.id}:${field.name}`,
      ),
      ['4:town', '6:zip'],
    );

    const expected = [
      { id: '1', middle: null, label: 'ann', address: { town: 'Oslo', zip: null }, score: null },
      { id: '2', middle: null, label: 'bob', address: null, score: null },
      { id: '3', middle: 'm', label: 'cy', address: { town: 'Rome', zip: '00100' }, score: 2.5 },
    ];
    assert.deepEqual(await pyRows(context, identifier, 'id'), expected);
    // Floe reads the old file by field id too (the struct's renamed field is matched by name: see readPlanSql's limits).
    const floe = await floeRows(context, identifier, 'id', { columns: ['id', 'middle', 'label', 'score'] });
    assert.deepEqual(
      floe,
      expected.map(({ address: _address, ...rest }) => rest),
    );
  });

  it('bad requests fail clearly, naming the table and column', async () => {
    const identifier = await createUniqueTable(context, 'strict', { schema: SCHEMA });
    await assert.rejects(
      commit(context, identifier, addColumn('must', 'int', { required: true })),
      rejectsWith(/Cannot add required column must .* rows written before it have no value/),
    );
    await assert.rejects(commit(context, identifier, addColumn('name', 'int')), rejectsWith(/already has a column named "name"/));
    await assert.rejects(
      commit(context, identifier, addColumn(['nowhere', 'x'], 'int')),
      rejectsWith(/Column "nowhere" does not exist in table ops\.strict_\d+/),
    );
    await assert.rejects(commit(context, identifier, addColumn(['name', 'x'], 'int')), rejectsWith(/"name" .* is string, not a struct/));
    await assert.rejects(commit(context, identifier, addColumn('x', 'int', { after: 'ghost' })), rejectsWith(/after "ghost"/));
    assert.throws(() => addColumn('a.b', 'int'), rejectsWith(/holds a dot/));
    await assert.rejects(commit(context, identifier, renameColumn('id', 'name')), rejectsWith(/already has a column of that name/));
    await assert.rejects(commit(context, identifier, renameColumn('ghost', 'x')), rejectsWith(/Column "ghost" does not exist/));
    await assert.rejects(
      commit(context, identifier, addPartitionField('name', 'year')),
      rejectsWith(/year\(name\): the transform does not apply to a string column/),
    );
    assert.equal((await load(context, identifier)).metadata.schemas.length, 1, 'nothing was committed');
  });

  it('spec evolution: new files use the new spec, deletes land in each spec, pyiceberg reads all', async () => {
    const identifier = await createUniqueTable(context, 'evolving', { schema: SCHEMA });
    await appendValues(context, identifier, ['id', 'name', 'address'], [`(1, 'a', NULL)`, `(2, 'b', NULL)`]);
    await commit(context, identifier, addPartitionField('id', 'bucket[4]'));
    await assert.rejects(
      commit(context, identifier, addPartitionField('id', 'bucket[4]')),
      rejectsWith(/already partitioned by bucket\[4\]\(id\)/),
    );
    await appendValues(context, identifier, ['id', 'name', 'address'], [`(3, 'c', NULL)`, `(4, 'd', NULL)`, `(5, 'e', NULL)`]);
    const table = await load(context, identifier);
    assert.equal(table.metadata.defaultSpecId, 1);
    assert.deepEqual(table.metadata.partitionSpecs[1]?.fields, [
      { sourceId: 1, fieldId: 1000, name: 'id_bucket_4', transform: 'bucket[4]' },
    ]);
    const files = await pyInspect(context, identifier, 'files');
    assert.deepEqual(files.map((file) => Number(file.spec_id)).sort(), [0, ...new Array(files.length - 1).fill(1)]);

    const deletes = await deleteRows(table, {
      engine: context.engine,
      filter: isIn('id', [2, 4]),
      workDirectory: join(context.dir, 'work'),
    });
    await commit(context, identifier, deletes.change!);
    const deleteFiles = await pyInspect(context, identifier, 'delete_files');
    assert.deepEqual(
      deleteFiles.map((file) => Number(file.spec_id)).sort(),
      [0, 1],
      'a delete file in each spec, like the data files it refers to',
    );
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), [1, 3, 5]);
    assert.deepEqual(ids(await floeRows(context, identifier, 'id')), [1, 3, 5]);
  });
});

for (const [label, open] of [
  ['SQL catalog', sqlContext],
  ['REST catalog', restContext],
] as const) {
  describe(`schema changes racing on the ${label}`, () => {
    let context: OpsContext;
    before(async () => {
      context = await open('schema-race');
    });
    after(async () => {
      await context.close();
    });

    it('an append racing a schema change and another append replays onto the new schema and head', async () => {
      const identifier = await createUniqueTable(context, 'append-race', { schema: SCHEMA });
      const catalog = racing(context.catalog, async () => {
        await commitChange(context.catalog, identifier, addColumn('extra', 'int'), noSleep);
        await appendValues(context, identifier, ['id', 'name', 'address', 'extra'], [`(2, 'y', NULL, 7)`]);
      });
      const result = await appendQuery({
        catalog,
        engine: context.engine,
        identifier,
        query: `SELECT 1 AS id, 'x' AS name, NULL AS address`,
        workDirectory: join(context.dir, 'work'),
      });
      assert.equal(result.attempts, 2, 'the first attempt lost to the other append and was replayed');
      const table = await load(context, identifier);
      assert.ok(currentSchema(table.metadata).fields.some((field) => field.name === 'extra'));
      assert.deepEqual(await pyRows(context, identifier, 'id'), [
        { id: '1', name: 'x', address: null, extra: null },
        { id: '2', name: 'y', address: null, extra: 7 },
      ]);
    });

    it('two racing schema changes: the second replays on the first and takes the next field id', async () => {
      const identifier = await createUniqueTable(context, 'schema-race', { schema: SCHEMA });
      const catalog = racing(context.catalog, () => commitChange(context.catalog, identifier, addColumn('first', 'int'), noSleep));
      const result = await commitChange(catalog, identifier, addColumn('second', 'string'), noSleep);
      assert.equal(result.attempts, 2);
      const fields = currentSchema((await load(context, identifier)).metadata).fields;
      assert.deepEqual(
        fields.slice(-2).map((field) => `${field.id}:${field.name}`),
        ['5:first', '6:second'],
      );
    });
  });
}
