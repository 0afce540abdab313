// services: java-oracle
/**
 * Format v3 columns written by Java Iceberg 1.10.1, read by Floe equal to Java's own reads at every
 * snapshot: nanosecond timestamps, an `unknown` column (always null), columns added later with
 * initial-default (what files written before them read) and a different write-default, and the row
 * lineage metadata columns `_row_id` and `_last_updated_sequence_number` across appends and an
 * overwrite that carries some rows' lineage over (copied rows keep both values, an updated row keeps
 * its `_row_id` only, a new row has neither), so the sequence number differs from row to row, and
 * a deletion vector that leaves the remaining rows' positions, and so their row ids, as they were.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import { LAST_UPDATED_SEQUENCE_NUMBER_COLUMN, ROW_ID_COLUMN } from '../../../engine/read/row-lineage.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import type { Catalog, LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import { LAST_UPDATED_SEQUENCE_NUMBER_FIELD, ROW_ID_FIELD } from '../../../iceberg/spec/row-lineage-fields.js';
import { javaSqliteCatalog, openJavaOracle, type JavaCatalog, type JavaOracleSession } from '../../support/java-oracle.js';
import { oracleRow, readFloeRows, sortOracleRows, type OracleRow } from '../../support/oracle-rows.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const IDENTIFIER = 'v3.columns';
let dir: string;
let javaCatalog: JavaCatalog;
let java: JavaOracleSession;
let catalog: Catalog;
let engine: Engine;
/** What Java reads at each snapshot, oldest first, with and without the lineage columns. */
const javaSnapshots: { snapshotId: string; rows: OracleRow[]; lineage: OracleRow[] }[] = [];

const field = (id: number, name: string, type: string, required = false) => ({ id, name, type, required });

before(async () => {
  dir = scratchFolder('interop-v3-columns');
  javaCatalog = javaSqliteCatalog(dir);
  java = openJavaOracle();
  const run = { catalog: javaCatalog, identifier: IDENTIFIER };
  await java.run('create_table', {
    ...run,
    schema: {
      type: 'struct',
      'schema-id': 0,
      fields: [field(1, 'id', 'long', true), field(2, 'event_ts', 'timestamp_ns'), field(3, 'placeholder', 'unknown')],
    },
    properties: { 'format-version': '3' },
  });
  // Snapshot 1 (sequence number 1): ids 1-4 in file A, row ids 0-3.
  const a = await java.run('append', {
    ...run,
    rows: [1, 2, 3, 4].map((id) => ({ id: String(id), event_ts: `2024-07-0${id}T00:00:00.12345678${id}` })),
  });
  // Columns added after A: A's rows read their initial-default; clicks' write-default differs from it.
  await java.run('add_column_with_default', { ...run, name: 'clicks', type: 'int', initial_default: 7, write_default: 9 });
  await java.run('add_column_with_default', { ...run, name: 'label', type: 'string', initial_default: "n/a, it's old" });
  await java.run('add_column_with_default', { ...run, name: 'day', type: 'date', initial_default: '2024-02-29' });
  await java.run('add_column_with_default', { ...run, name: 'price', type: 'decimal(9, 2)', initial_default: '14.20' });
  await java.run('add_column_with_default', {
    ...run,
    name: 'seen',
    type: 'timestamptz',
    initial_default: '2024-05-01T10:00:00.000001+00:00',
  });
  // Snapshot 2: ids 5-6 in file B, row ids 4-5; a null written is null, not the default.
  const b = await java.run('append', {
    ...run,
    rows: [
      { id: '5', event_ts: '2024-07-05T00:00:00.000000005', clicks: 1, label: 'five', day: '2024-07-05', price: '5.50', seen: null },
      { id: '6', event_ts: null, clicks: null, label: null, day: null, price: null, seen: '2024-07-06T00:00:00.000006Z' },
    ],
  });
  const before = await java.run('read_with_lineage', run);
  const lineageOf = (id: string): { _row_id: unknown; _last_updated_sequence_number: unknown } => {
    const row = before.rows.find((candidate) => candidate.id === id)!;
    return { _row_id: row._row_id, _last_updated_sequence_number: row._last_updated_sequence_number };
  };
  // Snapshot 3: an overwrite replaces A by C: id 1 copied (keeps both), id 2 updated (keeps its
  // _row_id, sequence number inherited), id 3 deleted, id 10 new (neither: row id first_row_id + 2).
  const kept = { clicks: 7, label: "n/a, it's old", day: '2024-02-29', price: '14.20', seen: '2024-05-01T10:00:00.000001Z' };
  await java.run('rewrite_with_lineage', {
    ...run,
    remove: [a.data_files[0]!.file_path],
    rows: [
      { id: '1', event_ts: '2024-07-01T00:00:00.123456781', ...kept, ...lineageOf('1') },
      { id: '2', event_ts: '2024-07-02T00:00:00.123456782', ...kept, clicks: 20, _row_id: lineageOf('2')._row_id },
      { id: '10', event_ts: '2024-07-10T00:00:00.000000010', clicks: 10, label: 'ten', day: null, price: null, seen: null },
    ],
  });
  // Snapshot 4: one more append after the overwrite.
  await java.run('append', { ...run, rows: [{ id: '11', event_ts: '2024-07-11T00:00:00.000000011', clicks: 11 }] });

  // Snapshot 5: a deletion vector removes id 5 (B position 0); id 6 keeps row id 5 (positions count deleted rows).
  await java.run('delete_positions', { ...run, file_path: b.data_files[0]!.file_path, positions: [0] });

  const inspect = await java.run('inspect', run);
  for (const snapshot of inspect.snapshots) {
    const at = { ...run, snapshot_id: snapshot.snapshot_id };
    const rows = (await java.run('read', at)).rows;
    const lineage = (await java.run('read_with_lineage', at)).rows;
    javaSnapshots.push({ snapshotId: snapshot.snapshot_id, rows: sortOracleRows(rows, ['id']), lineage: sortOracleRows(lineage, ['id']) });
  }
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  engine = await Engine.create({ threads: 2 });
});

after(async () => {
  await java?.close();
  await catalog?.close();
  engine?.close();
});

async function load(): Promise<LoadedTable> {
  return catalog.loadTable({ namespace: ['v3'], name: 'columns' });
}

/** Floe's rows with the lineage columns, in the oracles' JSON form. */
async function floeLineageRows(table: LoadedTable, snapshotId: bigint): Promise<OracleRow[]> {
  const scan = await scanTable(table, { snapshotId, rowLineage: true });
  const rows = await engine.withConnection(async (connection) => (await connection.runAndReadAll(scan.sql)).getRowObjects());
  const schema = { ...scan.plan.schema, fields: [...scan.plan.schema.fields, ROW_ID_FIELD, LAST_UPDATED_SEQUENCE_NUMBER_FIELD] };
  return sortOracleRows(
    rows.map((row) => oracleRow(row, schema)),
    ['id'],
  );
}

describe('Java writes v3 columns, Floe reads them', () => {
  test('the table Java wrote has what the test is about', async () => {
    const table = await load();
    assert.equal(table.metadata.formatVersion, 3);
    const fields = currentSchema(table.metadata).fields;
    const clicks = fields.find((candidate) => candidate.name === 'clicks');
    assert.deepEqual([clicks?.initialDefault, clicks?.writeDefault], [7, 9]);
    assert.equal(fields.find((candidate) => candidate.name === 'placeholder')?.type, 'unknown');
    const current = javaSnapshots.at(-1)!;
    const sequences = new Set(current.lineage.map((row) => row[LAST_UPDATED_SEQUENCE_NUMBER_COLUMN]));
    assert.ok(sequences.size >= 3, `rows last updated at ${sequences.size} different sequence numbers`);
    assert.equal(javaSnapshots.length, 5);
  });

  test("Floe reads Java's rows at every snapshot: nanosecond timestamps, unknown as null, initial defaults", async () => {
    const table = await load();
    for (const snapshot of javaSnapshots) {
      const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshotId) });
      assert.deepEqual(sortOracleRows(floe.rows, ['id']), snapshot.rows, `snapshot ${snapshot.snapshotId}`);
    }
    // Snapshot 2 still has file A, written before the added columns.
    const second = javaSnapshots[1]!.rows;
    assert.equal(
      second.find((row) => row.id === '4')?.label,
      "n/a, it's old",
      'a file written before the column reads its initial-default',
    );
    assert.equal(second.find((row) => row.id === '6')?.clicks, null, 'a null written stays null');
    assert.ok(
      second.every((row) => row.placeholder === null),
      'unknown is always null',
    );
    assert.equal(second.find((row) => row.id === '5')?.event_ts, '2024-07-05T00:00:00.000000005Z', 'nanoseconds kept');
  });

  test(`Floe reads ${ROW_ID_COLUMN} and ${LAST_UPDATED_SEQUENCE_NUMBER_COLUMN} equal to Java's, at every snapshot`, async () => {
    const table = await load();
    for (const snapshot of javaSnapshots) {
      assert.deepEqual(await floeLineageRows(table, BigInt(snapshot.snapshotId)), snapshot.lineage, `snapshot ${snapshot.snapshotId}`);
    }
  });
});
