// services: python
/**
 * A commit that fails leaves the table exactly at its previous snapshot. What the failed attempts
 * wrote goes with them when the writer owns it (an append's data files, manifests, manifest lists);
 * what it does not own stays an orphan: removeOrphanFiles finds exactly those, removes them, and the
 * table still reads as before.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendQuery } from '../../../../engine/write/append-query.js';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import type { Catalog } from '../../../../iceberg/catalog/catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import { FloeError } from '../../../../core/errors.js';
import { lt } from '../../../../iceberg/expressions/expression.js';
import { normalizeLocation, referencedFiles, removeOrphanFiles } from '../../../../iceberg/maintenance/remove-orphan-files.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { OpsContext } from '../../../support/iceberg/ops-context.js';
import { appendValues, createUniqueTable, ids, load, pyRows, sqlContext } from '../../../support/iceberg/ops-context.js';

const SCHEMA: Schema = { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };

/** The catalog with every commit failing by `fail()`; it records how many were attempted. */
function failing(catalog: Catalog, fail: () => Error): Catalog & { calls: number } {
  const wrapper = Object.create(catalog) as Catalog & { calls: number };
  wrapper.calls = 0;
  wrapper.commitTable = async () => {
    wrapper.calls += 1;
    throw fail();
  };
  return wrapper;
}

async function listed(context: OpsContext, location: string): Promise<Set<string>> {
  const table = await load(context, { namespace: [context.namespace], name: location });
  const files = new Set<string>();
  for await (const file of table.io.list(`${table.metadata.location}/`)) files.add(normalizeLocation(file.location));
  return files;
}

describe('failed commits leave the table as it was, and their files gone or orphans', () => {
  let context: OpsContext;
  before(async () => {
    context = await sqlContext('failure');
  });
  after(async () => {
    await context.close();
  });

  it('an append whose commit keeps conflicting until retries run out', async () => {
    const identifier = await createUniqueTable(context, 'conflicted', {
      schema: SCHEMA,
      properties: { 'commit.retry.num-retries': '2', 'commit.retry.min-wait-ms': '1' },
    });
    await appendValues(context, identifier, ['id'], ['(1)', '(2)']);
    const before = await load(context, identifier);
    const filesBefore = await listed(context, identifier.name);

    const catalog = failing(context.catalog, () => new FloeError('commit-conflict', 'someone else always wins'));
    await assert.rejects(
      appendQuery({
        catalog,
        engine: context.engine,
        identifier,
        query: 'SELECT 3 AS id UNION ALL SELECT 4',
        workDirectory: join(context.dir, 'work'),
      }),
      (error: unknown) => FloeError.is(error, 'commit-conflict') && /gave up after 3 attempts/.test(error.message),
    );
    assert.equal(catalog.calls, 3);
    const after = await load(context, identifier);
    assert.equal(after.metadataLocation, before.metadataLocation);
    assert.equal(after.metadata.currentSnapshotId, before.metadata.currentSnapshotId);
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), [1, 2]);

    // The failed append leaves nothing: each refused attempt removed the manifest list it wrote, since
    // a conflict means it can never land, and once no attempt had landed the append removed its own
    // data file and manifest (its ownedFiles). The orphan sweep finds nothing of it.
    const leftovers = [...(await listed(context, identifier.name))].filter((file) => !filesBefore.has(file));
    assert.deepEqual(leftovers, []);
    const removed = await removeOrphanFiles(after, { olderThanMs: Date.now() + 60_000 });
    assert.deepEqual(removed.orphans, []);
    assert.deepEqual(await listed(context, identifier.name), filesBefore);
    const referenced = await referencedFiles(after);
    for (const file of referenced) assert.ok(filesBefore.has(file));
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), [1, 2]);
  });

  it('a row delete whose commit fails outright (a non-retryable catalog error)', async () => {
    const identifier = await createUniqueTable(context, 'broken', { schema: SCHEMA });
    await appendValues(context, identifier, ['id'], ['(1)', '(2)', '(3)']);
    const before = await load(context, identifier);
    const filesBefore = await listed(context, identifier.name);
    const deletes = await deleteRows(before, { engine: context.engine, filter: lt('id', 3), workDirectory: join(context.dir, 'work') });
    const catalog = failing(context.catalog, () => new FloeError('catalog', 'the catalog is down', { retryable: false }));
    await assert.rejects(commitChange(catalog, identifier, deletes.change!), (error: unknown) => FloeError.is(error, 'catalog'));
    assert.equal(catalog.calls, 1);
    assert.equal((await load(context, identifier)).metadataLocation, before.metadataLocation);
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), [1, 2, 3]);

    const removed = await removeOrphanFiles(await load(context, identifier), { olderThanMs: Date.now() + 60_000 });
    const orphaned = removed.orphans.map((file) => normalizeLocation(file.location));
    assert.ok(
      orphaned.includes(normalizeLocation(deletes.deleteFiles[0]!.filePath)),
      'the delete file written for the failed commit is an orphan',
    );
    assert.deepEqual(await listed(context, identifier.name), filesBefore);
    assert.deepEqual(ids(await pyRows(context, identifier, 'id')), [1, 2, 3]);
  });
});
