// services: none
// A table's default sort order, `write.parquet.row-group-limit`,
// `write.parquet.compression-codec`, `write.parquet.compression-level` and `write.parquet.page-version` shape the files Floe writes into it: each file's rows in that order (checked against a sort of the same rows in JS), its
// data files carrying the order's id, and row groups of at most the limit. A partition of at most
// one row group is written unsorted with the other small ones, and says so (no order id), as do
// files of a sort order Floe cannot apply as written (a transform).
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { COMPRESSION_CODEC, COMPRESSION_LEVEL, PAGE_VERSION, ROW_GROUP_LIMIT } from '../../../engine/write/table-writer.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import type { SortOrder } from '../../../iceberg/spec/sort-order.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

const scratch = scratchFolder('write-order');
let catalog: Catalog;
let engine: Engine;
before(async () => {
  catalog = await loadCatalog({
    type: 'sql',
    uri: `sqlite:///${path.join(scratch, 'catalog.db')}`,
    create: true,
    warehouse: `file://${path.join(scratch, 'warehouse')}`,
  });
  engine = await Engine.create({ threads: 2, memoryLimit: '1GB', setup: registerIcebergFunctions });
  await catalog.createNamespace(['w']);
});
after(async () => {
  engine?.close();
  await catalog?.close();
});

const ROWS = 20_000;

/**
 * Writes ROWS shuffled rows (id, a part it is partitioned by: `i % 4` unless told, a name that is
 * NULL on every 7th row) into a new table.
 */
async function writeTable(name: string, sortOrder: SortOrder | undefined, properties: Record<string, string>, part = 'i % 4') {
  const identifier = { namespace: ['w'], name };
  await catalog.createTable(identifier, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'part', type: 'int', required: true },
        { id: 3, name: 'name', type: 'string', required: false },
      ],
    },
    partitionSpec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'part', transform: 'identity' }] },
    ...defined({ sortOrder }),
    properties: { 'format-version': '2', ...properties },
  });
  await appendQuery({
    catalog,
    engine,
    workDirectory: path.join(scratch, 'work'),
    identifier,
    query:
      `SELECT i::BIGINT AS id, (${part})::INTEGER AS part, CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || (i % 13)::VARCHAR END AS name ` +
      `FROM range(${ROWS}) AS r(i) ORDER BY hash(i)`,
  });
  const table = await catalog.loadTable(identifier);
  const plan = await planScan(table);
  return { table, tasks: plan.tasks };
}

/** The codecs of a file's column chunks, as DuckDB names them. */
async function codecs(location: string): Promise<string[]> {
  const file = quoteLiteral(fileURLToPath(location));
  return engine.withConnection(async (connection) =>
    (await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata(${file}) ORDER BY ALL`))
      .getRows()
      .map(([codec]) => String(codec)),
  );
}

/** The encodings of a column's chunks in a file, as DuckDB names them. */
async function encodings(location: string, column: string): Promise<string[]> {
  const file = quoteLiteral(fileURLToPath(location));
  return engine.withConnection(async (connection) =>
    (
      await connection.runAndReadAll(
        `SELECT DISTINCT unnest(string_split(encodings, ', ')) FROM parquet_metadata(${file}) WHERE path_in_schema = ${quoteLiteral(column)} ORDER BY ALL`,
      )
    )
      .getRows()
      .map(([encoding]) => String(encoding)),
  );
}

/** Each file's rows in file order, and its row groups' sizes. */
async function fileContents(location: string): Promise<{ rows: { id: bigint; name: string | null }[]; rowGroups: number[] }> {
  const file = quoteLiteral(fileURLToPath(location));
  return engine.withConnection(async (connection) => {
    const rows = (
      await connection.runAndReadAll(`SELECT id, name FROM read_parquet(${file}, file_row_number = true) ORDER BY file_row_number`)
    )
      .getRows()
      .map(([id, name]) => ({ id: id as bigint, name: (name ?? null) as string | null }));
    const rowGroups = (
      await connection.runAndReadAll(
        `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${file}) ORDER BY row_group_id`,
      )
    )
      .getRows()
      .map(([, count]) => Number(count));
    return { rows, rowGroups };
  });
}

/** name ASC NULLS FIRST (DuckDB's default puts NULLs last), then id DESC, as a JS comparison. */
function byNameThenIdDesc(a: { id: bigint; name: string | null }, b: { id: bigint; name: string | null }): number {
  if (a.name !== b.name) {
    if (a.name === null) return -1;
    if (b.name === null) return 1;
    return a.name < b.name ? -1 : 1;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

test('files follow the table’s sort order (direction and NULL order per field), carry its id, and keep row groups within the limit', async () => {
  const { table, tasks } = await writeTable(
    'sorted',
    {
      orderId: 1,
      fields: [
        { sourceId: 3, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' },
        { sourceId: 1, transform: 'identity', direction: 'desc', nullOrder: 'nulls-last' },
      ],
    },
    { [ROW_GROUP_LIMIT]: '2048' },
  );
  assert.equal(tasks.length, 4);
  let rows = 0;
  for (const task of tasks) {
    assert.equal(task.dataFile.sortOrderId, table.metadata.defaultSortOrderId);
    const contents = await fileContents(task.dataFile.filePath);
    assert.deepEqual(contents.rows, [...contents.rows].sort(byNameThenIdDesc), task.dataFile.filePath);
    assert.ok(
      contents.rowGroups.length > 1 && contents.rowGroups.every((count) => count <= 2048),
      `row groups ${contents.rowGroups.join(', ')}`,
    );
    rows += contents.rows.length;
  }
  assert.equal(rows, ROWS);
});

test('partitions of one row group are written unsorted in one COPY and carry no order id; larger ones are sorted', async () => {
  // Part 0 holds 14,000 rows; parts 1–3 hold 2,000 each, within the 2,048-row limit.
  const { table, tasks } = await writeTable(
    'mixed',
    { orderId: 1, fields: [{ sourceId: 1, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }] },
    { [ROW_GROUP_LIMIT]: '2048' },
    'CASE WHEN i < 14000 THEN 0 ELSE 1 + i % 3 END',
  );
  assert.equal(tasks.length, 4);
  let rows = 0;
  for (const task of tasks) {
    const contents = await fileContents(task.dataFile.filePath);
    const ids = contents.rows.map((row) => row.id);
    const ascending = [...ids].sort((a, b) => (a < b ? -1 : 1));
    if (task.dataFile.partition[0] === 0) {
      assert.equal(task.dataFile.sortOrderId, table.metadata.defaultSortOrderId);
      assert.deepEqual(ids, ascending);
      assert.equal(contents.rowGroups.length, 7);
    } else {
      assert.equal(task.dataFile.sortOrderId ?? null, null, `partition ${String(task.dataFile.partition[0])}`);
      assert.deepEqual(contents.rowGroups, [2000]);
    }
    rows += ids.length;
  }
  assert.equal(rows, ROWS);
});

test('a sort order by a transform, or none, leaves files unsorted and without an order id', async () => {
  const bucketed = await writeTable(
    'bucketed',
    { orderId: 1, fields: [{ sourceId: 1, transform: 'bucket[8]', direction: 'asc', nullOrder: 'nulls-first' }] },
    {},
  );
  const unsorted = await writeTable('unsorted', undefined, {});
  for (const { tasks } of [bucketed, unsorted]) {
    assert.equal(tasks.length, 4);
    for (const task of tasks) assert.equal(task.dataFile.sortOrderId ?? null, null);
    const { rows } = await fileContents(tasks[0]!.dataFile.filePath);
    const ids = rows.map((row) => row.id);
    assert.notDeepEqual(
      ids,
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
      'written in the query’s shuffled order',
    );
  }
});

test('files use the table’s compression codec, and zstd when it names none or one DuckDB cannot write', async () => {
  const cases: [property: string | undefined, codec: string][] = [
    ['snappy', 'SNAPPY'],
    ['Gzip', 'GZIP'],
    ['uncompressed', 'UNCOMPRESSED'],
    [undefined, 'ZSTD'],
    ['lzo', 'ZSTD'],
  ];
  for (const [index, [property, codec]] of cases.entries()) {
    const { tasks } = await writeTable(`codec_${index}`, undefined, defined({ [COMPRESSION_CODEC]: property }));
    assert.deepEqual(await codecs(tasks[0]!.dataFile.filePath), [codec], String(property));
  }
});

test('zstd files use the table’s compression level; a level zstd has not fails the write, naming the table and property', async () => {
  const sizes = new Map<string, number>();
  for (const level of ['1', '19']) {
    const { tasks } = await writeTable(`level_${level}`, undefined, { [COMPRESSION_LEVEL]: level });
    assert.deepEqual(await codecs(tasks[0]!.dataFile.filePath), ['ZSTD']);
    sizes.set(
      level,
      tasks.reduce((total, task) => total + task.dataFile.fileSizeInBytes, 0),
    );
  }
  // The same rows in the same order: only the level can make the files differ (ignored, they would not).
  assert.notEqual(sizes.get('19'), sizes.get('1'), JSON.stringify(Object.fromEntries(sizes)));
  // Snappy takes no level: the property is ignored, as Java's writer ignores it.
  const { tasks } = await writeTable('level_snappy', undefined, { [COMPRESSION_CODEC]: 'snappy', [COMPRESSION_LEVEL]: '19' });
  assert.deepEqual(await codecs(tasks[0]!.dataFile.filePath), ['SNAPPY']);
  await assert.rejects(
    writeTable('level_bad', undefined, { [COMPRESSION_LEVEL]: 'max' }),
    /^FloeError: Table w\.level_bad: write\.parquet\.compression-level must be a whole number from -131072 to 22 for zstd, got "max"/,
  );
  const bad = await catalog.loadTable({ namespace: ['w'], name: 'level_bad' });
  assert.equal(bad.metadata.currentSnapshotId ?? null, null, 'the failed write committed nothing');
});

test('files use the table’s Parquet page version: delta-encoded v2 pages for 2, v1 pages otherwise; another value fails the write', async () => {
  const v1 = await writeTable('pages_v1', undefined, {});
  const v2 = await writeTable('pages_v2', undefined, { [PAGE_VERSION]: '2' });
  assert.deepEqual(await encodings(v1.tasks[0]!.dataFile.filePath, 'id'), ['PLAIN']);
  assert.deepEqual(await encodings(v2.tasks[0]!.dataFile.filePath, 'id'), ['DELTA_BINARY_PACKED']);
  const rows = async (tasks: typeof v1.tasks) =>
    (await Promise.all(tasks.map(async (task) => (await fileContents(task.dataFile.filePath)).rows))).flat();
  const byId = (list: { id: bigint }[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.deepEqual(byId(await rows(v2.tasks)), byId(await rows(v1.tasks)), 'the same rows either way');
  await assert.rejects(
    writeTable('pages_bad', undefined, { [PAGE_VERSION]: 'v2' }),
    /^FloeError: Table w\.pages_bad: write\.parquet\.page-version must be 1 or 2, got "v2"/,
  );
  const bad = await catalog.loadTable({ namespace: ['w'], name: 'pages_bad' });
  assert.equal(bad.metadata.currentSnapshotId ?? null, null, 'the failed write committed nothing');
});
