// services: java-oracle
/**
 * Compaction of a v3 table moves rows into new files without changing them, so each row keeps its
 * `_row_id` and `_last_updated_sequence_number` (spec: "Row Lineage"): read with the lineage
 * columns, every row has the same values before and after, although its file changed. Java 1.10
 * reads the compacted table (whose files now store the two reserved columns) with the same rows, and
 * loads its metadata.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import { compactTable } from '../../../features/compaction/index.js';
import { Registry } from '../../../features/registry.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { javaSqliteCatalog, openJavaOracle, type JavaOracleSession } from '../../support/java-oracle.js';
import type { OracleRow } from '../../support/oracle-rows.js';
import { scratchFolder } from '../../support/scratch-folder.js';

let dir: string;
let catalog: SqlCatalog;
let engine: Engine;
let java: JavaOracleSession;
const identifier = { namespace: ['floe'], name: 'lineage' };

before(async () => {
  dir = scratchFolder('v3-lineage');
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  engine = await Engine.create({ threads: 2 });
  java = openJavaOracle();
  await catalog.createNamespace(['floe']);
});
after(async () => {
  await java?.close();
  await catalog?.close();
  engine?.close();
});

async function lineage(): Promise<Map<number, string>> {
  const scan = await scanTable(await catalog.loadTable(identifier), { rowLineage: true, readFiles: engine.readFiles });
  const rows = await engine.withConnection(async (connection) =>
    (await connection.runAndReadAll(`SELECT id, _row_id, _last_updated_sequence_number FROM (${scan.sql})`)).getRowsJS(),
  );
  return new Map(rows.map(([id, rowId, sequence]) => [Number(id), `${String(rowId)}@${String(sequence)}`]));
}

test('compacting a v3 table keeps every row its _row_id and _last_updated_sequence_number', async () => {
  await catalog.createTable(identifier, {
    schema: { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
    formatVersion: 3,
  });
  for (const [from, to] of [
    [0, 5],
    [5, 12],
    [12, 15],
  ] as const) {
    await appendQuery({
      catalog,
      engine,
      identifier,
      query: `SELECT range AS id FROM range(${from}, ${to})`,
      workDirectory: join(dir, 'work'),
    });
  }
  const before = await lineage();
  assert.deepEqual([before.get(0), before.get(5), before.get(14)], ['0@1', '5@2', '14@3'], 'row ids and sequence numbers by inheritance');

  const context = { registry: new Registry([]), catalog, engine, workDirectory: join(dir, 'work') };
  const summary = await compactTable(context, { table: 'floe.lineage' }, { minFiles: 1, skipCleanup: true });
  assert.deepEqual([summary.dataFilesBefore, summary.dataFilesAfter], [3, 1], JSON.stringify(summary));
  const table = await catalog.loadTable(identifier);
  assert.equal((await planScan(table)).tasks.length, 1);
  assert.deepEqual(await lineage(), before, 'each row keeps its row id and last-updated sequence number');

  const fromJava = await java.run('read', { catalog: javaSqliteCatalog(dir), identifier: 'floe.lineage' });
  assert.deepEqual(
    (fromJava.rows as OracleRow[]).map((row) => Number(row.id)).sort((a, b) => a - b),
    Array.from({ length: 15 }, (_, index) => index),
  );
  const { metadata } = await java.run('load_metadata', { catalog: javaSqliteCatalog(dir), identifier: 'floe.lineage' });
  assert.equal(metadata['next-row-id'], Number(table.metadata.nextRowId));
});
