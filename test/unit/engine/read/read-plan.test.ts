import type { DuckDBConnection } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRelation } from '../../../../engine/describe.js';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { quoteIdentifier, quoteLiteral } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { lt } from '../../../../iceberg/expressions/expression.js';
import { dataFileMetrics } from '../../../../iceberg/spec/metrics.js';
import { tuples, withConnection } from '../../../support/engine/duckdb.js';
import { file, locations, plan, schema, task } from '../../../support/engine/plans.js';

/** Writes a Parquet file the way another engine would: plain COPY with explicit field ids. */
async function writeWithIds(connection: DuckDBConnection, path: string, select: string, fieldIds: string): Promise<void> {
  await connection.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS ${fieldIds})`);
}

async function columnTypes(connection: DuckDBConnection, sql: string): Promise<string[]> {
  return (await describeRelation(connection, sql)).map((column) => `${column.name} ${column.type.toString()}`);
}

describe('readPlanSql: columns by field id', () => {
  it('reads a renamed column by its id, even when two columns swap names', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('a.parquet')), `SELECT * FROM (VALUES (1, 'x'), (2, 'y')) t(a, b)`, `{a: 1, b: 2}`);
      // Schema evolution renamed 1 → b and 2 → a. Reading by name would give the wrong values.
      const evolved = schema({ id: 1, name: 'b', required: false, type: 'int' }, { id: 2, name: 'a', required: false, type: 'string' });
      const sql = readPlanSql(plan(evolved, [task(file(location('a.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, `${sql} ORDER BY 1`), [
        [1, 'x'],
        [2, 'y'],
      ]);
      assert.deepEqual(await columnTypes(connection, sql), ['b INTEGER', 'a VARCHAR']);
    });
  });

  it('reads a column added after the file was written as null, and leaves a dropped one out', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('old.parquet')), `SELECT 1 AS id, 'gone' AS dropped`, `{id: 1, dropped: 2}`);
      await writeWithIds(connection, localPath(location('new.parquet')), `SELECT 2 AS id, 3.5::DOUBLE AS added`, `{id: 1, added: 3}`);
      const current = schema({ id: 1, name: 'id', required: true, type: 'int' }, { id: 3, name: 'added', required: false, type: 'double' });
      const sql = readPlanSql(plan(current, [task(file(location('old.parquet')), 1), task(file(location('new.parquet')), 2)]), {
        localPath,
      });
      assert.deepEqual(await tuples(connection, `${sql} ORDER BY id`), [
        [1, null],
        [2, 3.5],
      ]);
      assert.deepEqual(await columnTypes(connection, sql), ['id INTEGER', 'added DOUBLE']);
    });
  });

  it('reads promoted types right: int → long, float → double, decimal(9,2) → decimal(18,2)', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(
        connection,
        localPath(location('p.parquet')),
        `SELECT * FROM (VALUES (2147483647::INTEGER, 1.5::FLOAT, 12.34::DECIMAL(9,2)), ((-2147483648)::INTEGER, 0.1::FLOAT, (-0.01)::DECIMAL(9,2))) t(i, f, d)`,
        `{i: 1, f: 2, d: 3}`,
      );
      const promoted = schema(
        { id: 1, name: 'i', required: false, type: 'long' },
        { id: 2, name: 'f', required: false, type: 'double' },
        { id: 3, name: 'd', required: false, type: 'decimal(18, 2)' },
      );
      const sql = readPlanSql(plan(promoted, [task(file(location('p.parquet')), 1)]), { localPath });
      assert.deepEqual(await columnTypes(connection, sql), ['i BIGINT', 'f DOUBLE', 'd DECIMAL(18,2)']);
      // Arithmetic past int range proves the values are BIGINT; the float keeps its float value.
      const result = await tuples(connection, `SELECT i + 1, f, d::VARCHAR FROM (${sql}) ORDER BY i`);
      assert.deepEqual(result, [
        [-2147483647n, Math.fround(0.1), '-0.01'],
        [2147483648n, 1.5, '12.34'],
      ]);
    });
  });

  it('follows the schema order, not the file order', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('o.parquet')), `SELECT 1 AS a, 2 AS b, 3 AS c`, `{a: 1, b: 2, c: 3}`);
      const reordered = schema({ id: 3, name: 'c', required: false, type: 'int' }, { id: 1, name: 'a', required: false, type: 'int' });
      const sql = readPlanSql(plan(reordered, [task(file(location('o.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, sql), [[3, 1]]);
    });
  });

  it('fills a v3 initial default into files written before the column existed', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('d.parquet')), `SELECT 1 AS id`, `{id: 1}`);
      const withDefaults = schema(
        { id: 1, name: 'id', required: false, type: 'int' },
        { id: 2, name: 'flag', required: false, type: 'boolean', initialDefault: true },
        { id: 3, name: 'day', required: false, type: 'date', initialDefault: '2024-02-29' },
        { id: 4, name: 'price', required: false, type: 'decimal(9, 2)', initialDefault: '14.20' },
        { id: 5, name: 'label', required: false, type: 'string', initialDefault: "it's" },
      );
      const sql = readPlanSql(plan(withDefaults, [task(file(location('d.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, `SELECT id, flag, day::VARCHAR, price::VARCHAR, label FROM (${sql})`), [
        [1, true, '2024-02-29', '14.20', "it's"],
      ]);
    });
  });

  it('handles hostile column names and a pushed-down row filter over them', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      const names = [`a"b`, `x'); DROP TABLE t; --`, 'with space', 'ünïcødé 🚀', 'file_row_number', 'filename'];
      await writeWithIds(
        connection,
        localPath(location(`it's [odd] file.parquet`)),
        `SELECT * FROM (VALUES (1, 'one', 10, 'é', 100, 'f1'), (2, 'two', 20, 'è', 200, 'f2')) t(c1, c2, c3, c4, c5, c6)`,
        `{c1: 1, c2: 2, c3: 3, c4: 4, c5: 5, c6: 6}`,
      );
      const hostile = schema(
        { id: 1, name: names[0]!, required: false, type: 'int' },
        { id: 2, name: names[1]!, required: false, type: 'string' },
        { id: 3, name: names[2]!, required: false, type: 'int' },
        { id: 4, name: names[3]!, required: false, type: 'string' },
        { id: 5, name: names[4]!, required: false, type: 'int' },
        { id: 6, name: names[5]!, required: false, type: 'string' },
      );
      const rowFilter = `${quoteIdentifier(names[1]!)} = ${quoteLiteral('two')} AND ${quoteIdentifier(names[3]!)} <> ${quoteLiteral("'")}`;
      const sql = readPlanSql(plan(hostile, [task(file(location(`it's [odd] file.parquet`)), 1)]), { localPath, rowFilter });
      assert.deepEqual(
        (await describeRelation(connection, sql)).map((column) => column.name),
        names,
      );
      assert.deepEqual(await tuples(connection, sql), [[2, 'two', 20, 'è', 200, 'f2']]);
    });
  });

  it('reads an empty plan as no rows with the schema’s columns', async () => {
    await withConnection(async (connection) => {
      const empty = schema(
        { id: 1, name: 'id', required: true, type: 'long' },
        { id: 2, name: 'ts', required: false, type: 'timestamptz' },
      );
      const sql = readPlanSql(plan(empty, []), { localPath: () => assert.fail('no file to localize') });
      assert.deepEqual(await tuples(connection, sql), []);
      assert.deepEqual(await columnTypes(connection, sql), ['id BIGINT', 'ts TIMESTAMP WITH TIME ZONE']);
    });
  });

  it('inside structs: promotes, adds and drops by name; a renamed struct field reads as null (DuckDB limit, recorded)', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(
        connection,
        localPath(location('s.parquet')),
        `SELECT {'a': 7::INTEGER, 'b': 'x'} AS st`,
        `{st: {__duckdb_field_id: 4, a: 5, b: 6}}`,
      );
      const evolved = schema({
        id: 4,
        name: 'st',
        required: false,
        type: {
          type: 'struct',
          fields: [
            { id: 5, name: 'a', required: false, type: 'long' },
            { id: 7, name: 'c', required: false, type: 'double' },
          ],
        },
      });
      const sql = readPlanSql(plan(evolved, [task(file(location('s.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, `SELECT st.a + 1, st.c FROM (${sql})`), [[8n, null]]);
      // read_parquet's schema map matches top-level columns by id but struct fields by name, so a
      // struct field renamed after the file was written is not found. Top-level renames are fine.
      // With no struct field left matching by name, DuckDB refuses the cast instead.
      const renamed = schema({
        id: 4,
        name: 'st',
        required: false,
        type: {
          type: 'struct',
          fields: [
            { id: 5, name: 'a2', required: false, type: 'int' },
            { id: 6, name: 'b', required: false, type: 'string' },
          ],
        },
      });
      const renamedSql = readPlanSql(plan(renamed, [task(file(location('s.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, `SELECT st.a2, st.b FROM (${renamedSql})`), [[null, 'x']]);
      const allRenamed = schema({
        id: 4,
        name: 'st',
        required: false,
        type: { type: 'struct', fields: [{ id: 5, name: 'a2', required: false, type: 'int' }] },
      });
      await assert.rejects(
        connection.run(readPlanSql(plan(allRenamed, [task(file(location('s.parquet')), 1)]), { localPath })),
        /at least one matching member/,
      );
    });
  });

  it('refuses what it cannot read with a FloeError naming the file', () => {
    const oneColumn = schema({ id: 1, name: 'id', required: true, type: 'long' });
    const avro = { ...file('s3://b/t/data/x.avro'), fileFormat: 'AVRO' as const };
    assert.throws(
      () => readPlanSql(plan(oneColumn, [task(avro, 1)]), { localPath: (path) => path }),
      (error: unknown) => FloeError.is(error, 'unsupported') && error.message.includes('s3://b/t/data/x.avro'),
    );
    assert.throws(
      () => readPlanSql(plan(schema(), [task(file('s3://b/t/data/a.parquet'), 1)]), { localPath: (path) => path }),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
    const twice = [
      task(file('s3://b/t/data/a.parquet'), 1, {
        position: [{ file: file('s3://b/t/data/d.parquet', 'position-deletes'), dataSequenceNumber: 2 }],
      }),
      task(file('s3://b/t/data/a.parquet'), 1),
    ];
    assert.throws(
      () => readPlanSql(plan(oneColumn, twice), { localPath: (path) => path }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /twice/.test(error.message),
    );
  });
});

describe('readPlanSql: a plan without deletes', () => {
  it('reads every file in one Parquet scan with the whole filter, also files whose metrics prove it', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      const valueSchema = schema({ id: 1, name: 'v', required: false, type: 'int' });
      const withValues = async (name: string, values: readonly number[]) => {
        await writeWithIds(
          connection,
          localPath(location(name)),
          `SELECT * FROM (VALUES ${values.map((v) => `(${v})`).join(', ')}) t(v)`,
          `{v: 1}`,
        );
        const stats = [{ fieldId: 1, valueCount: values.length, nullCount: 0, min: Math.min(...values), max: Math.max(...values) }];
        return task({ ...file(location(name)), recordCount: values.length, ...dataFileMetrics(valueSchema, stats, {}) }, 1);
      };
      // The first file's metrics prove v < 10 for every row, the second's do not: still one scan,
      // as DuckDB writes a UNION ALL of scans (CREATE TABLE AS, COPY) on one thread.
      const tasks = [await withValues('low.parquet', [1, 2]), await withValues('mixed.parquet', [3, 30])];
      const sql = readPlanSql({ ...plan(valueSchema, tasks), filter: bind(lt('v', 10), valueSchema) }, { localPath });
      assert.equal(sql.match(/read_parquet\(/g)?.length, 1, sql);
      assert.deepEqual(await tuples(connection, `${sql} ORDER BY 1`), [[1], [2], [3]]);
    });
  });
});
