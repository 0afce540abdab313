// services: python
/**
 * Tables written by pyiceberg (an independent implementation) read by Floe — scanTable → DuckDB —
 * give exactly pyiceberg's rows: one table per partition transform over a wide set of types, at
 * every snapshot; a table whose schema (rename, add, drop, int→long) and partition spec evolve;
 * time travel by snapshot id, tag, branch and timestamp; and filtered reads.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../../engine/duckdb.js';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import type { Catalog, LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { FloeError } from '../../../core/errors.js';
import { and, gtEq, isIn, lt, or, type Expression } from '../../../iceberg/expressions/expression.js';
import { parseTransform } from '../../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../../iceberg/spec/types.js';
import { readFloeRows, sortOracleRows, type OracleRow } from '../../support/oracle-rows.js';
import { sqliteCatalog, type OracleCatalog } from '../../support/pyiceberg.js';
import { py, pyBatch, type PyRows, type PySnapshots, type PyStep } from '../../support/interop/pyiceberg-interop.js';
import {
  partitionSpecJson,
  TRANSFORM_CASES,
  WIDE_COLUMNS,
  wideRows,
  wideSchemaJson,
  type WideColumn,
} from '../../support/interop/wide-rows.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { isoToMicros } from '../../support/iso-micros.js';

const dir = scratchFolder('interop-py');
let oracle: OracleCatalog;
let catalog: Catalog;
let engine: Engine;

before(async () => {
  oracle = sqliteCatalog(dir);
  engine = await Engine.create({ threads: 2 });
});
after(async () => {
  await catalog?.close();
  engine?.close();
});

async function openFloeCatalog(): Promise<Catalog> {
  catalog ??= await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  return catalog;
}

async function loadFloe(identifier: string): Promise<LoadedTable> {
  const [namespace, name] = identifier.split('.') as [string, string];
  return (await openFloeCatalog()).loadTable({ namespace: [namespace], name });
}

const byId = (rows: readonly OracleRow[]): OracleRow[] => sortOracleRows(rows, ['id']);

describe('pyiceberg writes, Floe reads', () => {
  const snapshotsOf: Record<string, PySnapshots> = {};

  before(async () => {
    const steps: PyStep[] = [];
    for (const [transform, fields] of Object.entries(TRANSFORM_CASES)) {
      const identifier = `py.t_${transform}`;
      steps.push(
        {
          command: 'create_table',
          catalog: oracle,
          identifier,
          schema: wideSchemaJson(),
          partition_spec: partitionSpecJson(fields),
          format_version: 2,
        },
        { command: 'append', catalog: oracle, identifier, columns: WIDE_COLUMNS, rows: wideRows(0, 12) },
        { command: 'append', catalog: oracle, identifier, columns: WIDE_COLUMNS, rows: wideRows(12, 30) },
        { command: 'snapshots', catalog: oracle, identifier },
      );
    }
    const results = await pyBatch(steps);
    Object.keys(TRANSFORM_CASES).forEach((transform, index) => {
      snapshotsOf[transform] = results[index * 4 + 3] as PySnapshots;
    });
  });

  for (const transform of Object.keys(TRANSFORM_CASES)) {
    test(`${transform}: every snapshot reads as pyiceberg reads it`, async () => {
      const identifier = `py.t_${transform}`;
      const snapshots = snapshotsOf[transform]!.snapshots;
      assert.equal(snapshots.length, 2);
      const reads = (await pyBatch([
        { command: 'read', catalog: oracle, identifier },
        ...snapshots.map((snapshot): PyStep => ({ command: 'read', catalog: oracle, identifier, snapshot_id: snapshot.snapshot_id })),
      ])) as PyRows[];
      const table = await loadFloe(identifier);
      const current = await readFloeRows(engine, table);
      assert.deepEqual(byId(current.rows), byId(reads[0]!.rows), 'current snapshot');
      assert.equal(current.rows.length, 30);
      for (const [index, snapshot] of snapshots.entries()) {
        const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshot_id) });
        assert.deepEqual(byId(floe.rows), byId(reads[index + 1]!.rows), `snapshot ${snapshot.snapshot_id}`);
      }
      // Not a tautology: pyiceberg prints back the values the test wrote.
      assert.deepEqual(
        byId(reads[0]!.rows).map((row) => [row.id, row.big, row.price, row.d]),
        wideRows(0, 30).map((row) => [row.id, row.big, row.price, row.d]),
      );
    });

    test(`${transform}: every data file's partition is Floe's transform of its rows`, async () => {
      const table = await loadFloe(`py.t_${transform}`);
      const { scan } = await readFloeRows(engine, table);
      const spec = table.metadata.partitionSpecs.find((candidate) => candidate.specId === table.metadata.defaultSpecId)!;
      const rowsById = new Map(wideRows(0, 30).map((row) => [String(row.id), row]));
      let checked = 0;
      for (const task of scan.plan.tasks) {
        const fileRows = await engine.withConnection(async (connection) => {
          const reader = await connection.runAndReadAll(
            `SELECT CAST(${q('id')} AS VARCHAR) AS id FROM read_parquet(${quoteLiteral(task.dataFile.filePath.replace(/^file:\/\//, ''))})`,
          );
          return reader.getRows().map((row) => String(row[0]));
        });
        assert.ok(fileRows.length > 0);
        for (const [index, field] of spec.fields.entries()) {
          const column = Object.keys(WIDE_COLUMNS)[field.sourceId - 1] as WideColumn;
          const bound = parseTransform(field.transform).bind(WIDE_COLUMNS[column] as PrimitiveType);
          for (const id of fileRows) {
            const raw = rowsById.get(id)![column];
            const expected = raw === null || raw === undefined ? null : bound.apply(sourceValue(column, raw));
            assert.deepEqual(
              task.dataFile.partition[index] ?? null,
              expected,
              `${transform}: row ${id} in ${task.dataFile.filePath}, field ${field.name}`,
            );
            checked += 1;
          }
        }
      }
      if (transform !== 'void') assert.ok(checked >= 30);
    });
  }
});

/** A wideRows JSON cell as Floe's in-memory value of the column's type (for transforms). */
function sourceValue(column: WideColumn, raw: unknown): PrimitiveValue {
  switch (WIDE_COLUMNS[column]) {
    case 'long':
      return BigInt(String(raw));
    case 'int':
      return Number(raw);
    case 'string':
      return String(raw);
    case 'date':
      return Math.round(Date.parse(`${String(raw)}T00:00:00Z`) / 86_400_000);
    case 'timestamp':
    case 'timestamptz':
      return isoToMicros(String(raw));
    default:
      throw new Error(`no transform source handling for ${column}`);
  }
}

describe('pyiceberg evolves a table, Floe reads every version of it', () => {
  const identifier = 'py.evolving';
  let history: PySnapshots;

  before(async () => {
    const schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'count', type: 'int', required: false },
        { id: 3, name: 'label', type: 'string', required: false },
        { id: 4, name: 'gone', type: 'double', required: false },
        { id: 5, name: 'at', type: 'timestamptz', required: false },
      ],
    };
    const at = (n: number): string => `2024-0${1 + (n % 3)}-1${n % 10}T0${n % 10}:00:00.000001Z`;
    const results = await pyBatch([
      {
        command: 'create_table',
        catalog: oracle,
        identifier,
        schema,
        partition_spec: { 'spec-id': 0, fields: [{ 'source-id': 3, 'field-id': 1000, transform: 'identity', name: 'label' }] },
      },
      {
        command: 'append',
        catalog: oracle,
        identifier,
        columns: { id: 'long', count: 'int', label: 'string', gone: 'double', at: 'timestamptz' },
        rows: [1, 2, 3, 4].map((n) => ({ id: n, count: n * 10, label: `l${n % 2}`, gone: n / 2, at: at(n) })),
      },
      { command: 'rename_column', catalog: oracle, identifier, from: 'label', to: 'tag' },
      { command: 'add_column', catalog: oracle, identifier, name: 'extra', type: 'string' },
      { command: 'drop_column', catalog: oracle, identifier, name: 'gone' },
      { command: 'update_column', catalog: oracle, identifier, name: 'count', type: 'long' },
      {
        command: 'append',
        catalog: oracle,
        identifier,
        columns: { id: 'long', count: 'long', tag: 'string', at: 'timestamptz', extra: 'string' },
        rows: [5, 6, 7].map((n) => ({ id: n, count: String(2n ** 40n + BigInt(n)), tag: `l${n % 2}`, at: at(n), extra: `x${n}` })),
      },
      { command: 'add_partition_field', catalog: oracle, identifier, source: 'at', transform: 'day', name: 'at_day' },
      {
        command: 'append',
        catalog: oracle,
        identifier,
        columns: { id: 'long', count: 'long', tag: 'string', at: 'timestamptz', extra: 'string' },
        rows: [8, 9].map((n) => ({ id: n, count: n, tag: 'l2', at: at(n), extra: null })),
      },
      { command: 'remove_partition_field', catalog: oracle, identifier, name: 'label' },
      {
        command: 'append',
        catalog: oracle,
        identifier,
        columns: { id: 'long', count: 'long', tag: 'string', at: 'timestamptz', extra: 'string' },
        rows: [{ id: 10, count: null, tag: null, at: null, extra: 'last' }],
      },
      { command: 'snapshots', catalog: oracle, identifier },
    ]);
    history = results.at(-1) as PySnapshots;
    assert.equal(history.snapshots.length, 4);
    const [first, second] = history.snapshots;
    await pyBatch([
      { command: 'create_tag', catalog: oracle, identifier, name: 'first', snapshot_id: first!.snapshot_id },
      { command: 'create_branch', catalog: oracle, identifier, name: 'audit', snapshot_id: second!.snapshot_id },
    ]);
  });

  test('the table went through four schemas and three partition specs', async () => {
    const table = await loadFloe(identifier);
    assert.equal(table.metadata.schemas.length, 5, 'rename, add, drop and promote each made a schema');
    assert.equal(table.metadata.partitionSpecs.length, 3);
    assert.deepEqual(
      table.metadata.schemas.at(-1)!.fields.map((field) => [field.id, field.name, field.type]),
      [
        [1, 'id', 'long'],
        [2, 'count', 'long'],
        [3, 'tag', 'string'],
        [5, 'at', 'timestamptz'],
        [6, 'extra', 'string'],
      ],
    );
  });

  test('current and every snapshot by id: the same rows and columns as pyiceberg', async () => {
    const table = await loadFloe(identifier);
    const reads = (await pyBatch([
      { command: 'read', catalog: oracle, identifier },
      ...history.snapshots.map((snapshot): PyStep => ({ command: 'read', catalog: oracle, identifier, snapshot_id: snapshot.snapshot_id })),
    ])) as PyRows[];
    const current = await readFloeRows(engine, table);
    assert.deepEqual(
      current.scan.plan.schema.fields.map((field) => field.name),
      reads[0]!.columns,
    );
    assert.deepEqual(byId(current.rows), byId(reads[0]!.rows));
    // The promoted column reads as long from files written as int; the dropped one is gone.
    assert.deepEqual(byId(current.rows)[0], { id: '1', count: '10', tag: 'l1', at: '2024-02-11T01:00:00.000001Z', extra: null });
    for (const [index, snapshot] of history.snapshots.entries()) {
      const floe = await readFloeRows(engine, table, { snapshotId: BigInt(snapshot.snapshot_id) });
      assert.deepEqual(
        floe.scan.plan.schema.fields.map((field) => field.name),
        reads[index + 1]!.columns,
        `columns at snapshot ${index}`,
      );
      assert.deepEqual(byId(floe.rows), byId(reads[index + 1]!.rows), `rows at snapshot ${index}`);
    }
  });

  test('time travel by tag, branch and timestamp resolves to the snapshot pyiceberg resolves', async () => {
    const table = await loadFloe(identifier);
    const requests: { floe: { ref?: string; asOfTimestampMs?: number }; py: Record<string, unknown> }[] = [
      { floe: { ref: 'first' }, py: { ref: 'first' } },
      { floe: { ref: 'audit' }, py: { ref: 'audit' } },
      { floe: { ref: 'main' }, py: { ref: 'main' } },
      ...history.snapshots.flatMap((snapshot) => [
        { floe: { asOfTimestampMs: snapshot.timestamp_ms }, py: { as_of_ms: snapshot.timestamp_ms } },
        { floe: { asOfTimestampMs: snapshot.timestamp_ms + 1 }, py: { as_of_ms: snapshot.timestamp_ms + 1 } },
      ]),
    ];
    const reads = (await pyBatch(
      requests.map((request): PyStep => ({ command: 'read_at', catalog: oracle, identifier, ...request.py })),
    )) as PyRows[];
    for (const [index, request] of requests.entries()) {
      const floe = await readFloeRows(engine, table, request.floe);
      assert.equal(String(floe.scan.plan.snapshotId), reads[index]!.snapshot_id, `snapshot for ${JSON.stringify(request.floe)}`);
      assert.deepEqual(byId(floe.rows), byId(reads[index]!.rows), `rows for ${JSON.stringify(request.floe)}`);
    }
  });

  test('a time before the first snapshot is a clear not-found error', async () => {
    const table = await loadFloe(identifier);
    const first = history.snapshots[0]!;
    await assert.rejects(
      readFloeRows(engine, table, { asOfTimestampMs: first.timestamp_ms - 1 }),
      (error: unknown) => FloeError.is(error, 'not-found') && /no snapshot as of/.test(error.message),
    );
  });
});

describe('filtered reads: Floe prunes with the filter and keeps exactly the rows pyiceberg row_filter keeps', () => {
  const cases: { table: string; filter: Expression; sql: string; pyFilter: string }[] = [
    {
      table: 'py.t_identity',
      filter: isIn('name', ['alpha', "o'quote; x"]),
      sql: `${q('name')} IN (${quoteLiteral('alpha')}, ${quoteLiteral("o'quote; x")})`,
      pyFilter: `name in ('alpha', 'o''quote; x')`,
    },
    {
      table: 'py.t_hour',
      filter: and(gtEq('tstz', '1970-01-01T00:00:00Z'), lt('tstz', '2024-03-10T02:00:00Z')),
      sql: `${q('tstz')} >= TIMESTAMPTZ '1970-01-01 00:00:00+00' AND ${q('tstz')} < TIMESTAMPTZ '2024-03-10 02:00:00+00'`,
      pyFilter: `tstz >= '1970-01-01T00:00:00+00:00' and tstz < '2024-03-10T02:00:00+00:00'`,
    },
    {
      table: 'py.t_bucket',
      filter: or(isIn('big', [9007199254740993n + 4n * 1_000_003n]), lt('id', 3)),
      sql: `${q('big')} IN (${String(9007199254740993n + 4n * 1_000_003n)}) OR ${q('id')} < 3`,
      pyFilter: `big in (${String(9007199254740993n + 4n * 1_000_003n)}) or id < 3`,
    },
    {
      table: 'py.t_year',
      filter: lt('d', '1970-01-01'),
      sql: `${q('d')} < DATE '1970-01-01'`,
      pyFilter: `d < '1970-01-01'`,
    },
  ];

  for (const testCase of cases) {
    test(`${testCase.table} where ${testCase.pyFilter}`, async () => {
      const table = await loadFloe(testCase.table);
      const pyRead = await py<PyRows>({ command: 'read', catalog: oracle, identifier: testCase.table, row_filter: testCase.pyFilter });
      const floe = await readFloeRows(engine, table, { filter: testCase.filter, rowFilter: testCase.sql });
      assert.ok(pyRead.rows.length > 0, 'the filter keeps some rows');
      assert.ok(pyRead.rows.length < 30, 'the filter drops some rows');
      assert.deepEqual(byId(floe.rows), byId(pyRead.rows));
      // Pruning alone (no row filter) never loses a matching row.
      const pruned = await readFloeRows(engine, table, { filter: testCase.filter });
      const kept = new Set(pruned.rows.map((row) => row.id));
      for (const row of pyRead.rows) assert.ok(kept.has(row.id), `pruning dropped row ${String(row.id)}`);
      if (testCase.table !== 'py.t_bucket') assert.ok(pruned.scan.plan.summary.dataFilesSkipped > 0, 'the filter pruned some files');
    });
  }
});
