/**
 * scanTable with a filter prunes files while planning AND filters the rows of the files it keeps,
 * reading the filter's columns even when the scan does not project them; on a merge-on-read table
 * too. A local SQL catalog and real Parquet files written by Floe.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { appendQuery } from '../../../../engine/write/append-query.js';
import { Engine } from '../../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../../engine/write/partition-functions.js';
import { deleteRows } from '../../../../engine/deletes/row-delete.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { SqlCatalog } from '../../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import { and, eq, gt, isIn, notEq, or } from '../../../../iceberg/expressions/expression.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const root = scratchFolder('scan-filter');
let catalog: SqlCatalog;
let engine: Engine;
const identifier = { namespace: ['db'], name: 'events' };

before(async () => {
  catalog = await SqlCatalog.open({ name: 'unit', uri: join(root, 'catalog.db'), warehouse: pathToFileURL(join(root, 'warehouse')).href });
  engine = await Engine.create({ threads: 2, memoryLimit: '1GB', tempDirectory: join(root, 'spill'), setup: registerIcebergFunctions });
  await catalog.createNamespace(['db']);
  await catalog.createTable(identifier, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'kind', required: false, type: 'string' },
        { id: 3, name: 'n', required: false, type: 'int' },
      ],
    },
    partitionSpec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'kind', transform: 'identity' }] },
  });
  // kinds a, b, c: one file each; n = id % 4, null every 5th row.
  const values = Array.from({ length: 30 }, (_, id) => `(${id}, '${'abc'[id % 3]}', ${id % 5 === 4 ? 'NULL' : id % 4})`).join(', ');
  await appendQuery({ catalog, engine, identifier, query: `SELECT * FROM (VALUES ${values}) AS t(id, kind, n)`, workDirectory: root });
});
after(async () => {
  engine.close();
  await catalog.close();
});

async function ids(sql: string): Promise<number[]> {
  return engine.withConnection(async (connection) =>
    (await connection.runAndReadAll(`SELECT id FROM (${sql}) ORDER BY id`)).getRows().map((row) => Number(row[0])),
  );
}

const all = Array.from({ length: 30 }, (_, id) => id);
const n = (id: number): number | null => (id % 5 === 4 ? null : id % 4);

describe('scanTable with a filter', () => {
  it('skips the files of other partitions and filters rows inside the kept ones, on columns it does not project', async () => {
    const table = await catalog.loadTable(identifier);
    const scan = await scanTable(table, { columns: ['id'], filter: and(isIn('kind', ['a', 'b']), gt('n', 1)) });
    assert.equal(scan.plan.summary.dataFiles, 2);
    assert.equal(scan.plan.summary.dataFilesSkipped, 1);
    assert.deepEqual(
      await ids(scan.sql),
      all.filter((id) => id % 3 !== 2 && (n(id) ?? -1) > 1),
    );
  });

  it('a negated predicate skips nulls, as SQL does', async () => {
    const scan = await scanTable(await catalog.loadTable(identifier), { filter: notEq('n', 0) });
    assert.deepEqual(
      await ids(scan.sql),
      all.filter((id) => n(id) !== null && n(id) !== 0),
    );
  });

  it('on a merge-on-read snapshot the filter and the deletes both apply', async () => {
    const table = await catalog.loadTable(identifier);
    const deletes = await deleteRows(table, { engine, filter: or(eq('id', 3), eq('id', 6), eq('id', 7)), workDirectory: root });
    await commitChange(catalog, identifier, deletes.change!);
    const scan = await scanTable(await catalog.loadTable(identifier), { columns: ['id'], filter: eq('kind', 'a') });
    assert.equal(scan.plan.mode, 'merge-on-read');
    assert.equal(scan.plan.summary.dataFiles, 1);
    assert.deepEqual(
      await ids(scan.sql),
      all.filter((id) => id % 3 === 0 && id !== 3 && id !== 6),
    );
  });
});
