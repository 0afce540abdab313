import type { DuckDBConnection } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { requireReadableColumns } from '../../../../engine/read/readable-columns.js';
import { LAST_UPDATED_SEQUENCE_NUMBER_COLUMN, ROW_ID_COLUMN } from '../../../../engine/read/row-lineage.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { tuples, withConnection } from '../../../support/engine/duckdb.js';
import { file, locations, plan, schema, task } from '../../../support/engine/plans.js';

async function writeWithIds(connection: DuckDBConnection, path: string, select: string, fieldIds: string): Promise<void> {
  await connection.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS ${fieldIds})`);
}

const id: NestedField = { id: 1, name: 'id', required: true, type: 'int' };

describe('v3 columns on read: initial defaults of every primitive type', () => {
  it('fills each type’s initial-default (the spec’s JSON single value) into a file written before the column', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('old.parquet')), `SELECT 1 AS id`, `{id: 1}`);
      const defaults: [NestedField['type'], unknown, string][] = [
        ['long', 9007199254740993n, '9007199254740993'],
        ['double', 'NaN', 'nan'],
        ['float', 1.5, '1.5'],
        ['time', '22:31:08.123456', '22:31:08.123456'],
        ['timestamp', '2017-11-16T22:31:08.123456', '2017-11-16 22:31:08.123456'],
        ['timestamptz', '2017-11-16T22:31:08.123456+00:00', '2017-11-16 22:31:08.123456+00'],
        ['timestamp_ns', '2017-11-16T22:31:08.123456789', '2017-11-16 22:31:08.123456789'],
        ['timestamptz_ns', '2017-11-16T22:31:08.123456789+00:00', '2017-11-16 22:31:08.123456789'],
        ['uuid', 'F79C3E09-677C-4BBD-A479-3F349CB785E7', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
        ['binary', '0A5C27FF', '\\x0A\\x5C\\x27\\xFF'],
        ['fixed[2]', 'CAFE', '\\xCA\\xFE'],
        ['decimal(38, 10)', '-1.0000000001', '-1.0000000001'],
      ];
      const fields = defaults.map(([type, initialDefault], index): NestedField => ({
        id: index + 2,
        name: `c${index}`,
        required: false,
        type,
        initialDefault,
      }));
      await connection.run(`SET TimeZone = 'UTC'`);
      const sql = readPlanSql(plan(schema(id, ...fields), [task(file(location('old.parquet')), 1)]), { localPath });
      const [row] = await tuples(connection, `SELECT ${fields.map((field) => `CAST(${field.name} AS VARCHAR)`).join(', ')} FROM (${sql})`);
      assert.deepEqual(
        row,
        defaults.map(([, , text]) => text),
      );
    });
  });

  it('refuses an initial-default that does not fit its type, naming the table and column', () => {
    const bad: NestedField = { id: 2, name: 'day', required: false, type: 'date', initialDefault: '2024-02-30' };
    assert.throws(
      () => requireReadableColumns([id, bad], 'db.events'),
      (error: unknown) =>
        FloeError.is(error, 'corrupt') &&
        /Column "day" of table db\.events has an initial-default that is not a date/.test(error.message) &&
        error.context.column === 'day',
    );
  });

  it('reads an unknown column as null, in files that never store it', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('u.parquet')), `SELECT 1 AS id`, `{id: 1}`);
      const unknown: NestedField = { id: 2, name: 'placeholder', required: false, type: 'unknown' };
      const sql = readPlanSql(plan(schema(id, unknown), [task(file(location('u.parquet')), 1)]), { localPath });
      assert.deepEqual(await tuples(connection, sql), [[1, null]]);
    });
  });
});

describe('v3 columns on read: types Floe cannot read', () => {
  for (const type of ['variant', 'geometry(srid:4326)', 'geography'] as const) {
    it(`a ${type} column is refused by table, column and type when a read asks for it, and is no obstacle otherwise`, async () => {
      await withConnection(async (connection, dir) => {
        const { location, localPath } = locations(dir);
        await writeWithIds(connection, localPath(location('v.parquet')), `SELECT 1 AS id`, `{id: 1}`);
        const shape: NestedField = { id: 2, name: 'shape', required: false, type };
        const nested: NestedField = {
          id: 3,
          name: 'meta',
          required: false,
          type: { type: 'list', elementId: 4, element: type, elementRequired: false },
        };
        for (const [column, holds] of [
          [shape, `has type ${type}`],
          [nested, `holds a field of type ${type}`],
        ] as const) {
          assert.throws(
            () => readPlanSql(plan(schema(id, column), [task(file(location('v.parquet')), 1)]), { localPath, table: 'geo.places' }),
            (error: unknown) =>
              FloeError.is(error, 'unsupported') &&
              error.message.includes(`Column "${column.name}" of table geo.places ${holds}, which Floe cannot read yet`) &&
              error.context.table === 'geo.places' &&
              error.context.type === type,
          );
        }
        const sql = readPlanSql(plan(schema(id), [task(file(location('v.parquet')), 1)]), { localPath, table: 'geo.places' });
        assert.deepEqual(await tuples(connection, sql), [[1]]);
      });
    });
  }
});

describe('v3 row lineage on read', () => {
  it('inherits null or missing values from the file: first_row_id + position, and its data sequence number', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      // A: written on append, no lineage columns. B: a rewrite that kept rows' lineage, some null.
      await writeWithIds(connection, localPath(location('a.parquet')), `SELECT * FROM range(10, 13) t(id)`, `{id: 1}`);
      await writeWithIds(
        connection,
        localPath(location('b.parquet')),
        `SELECT * FROM (VALUES (20, 5::BIGINT, 2::BIGINT), (21, 6::BIGINT, NULL), (22, NULL, NULL)) t(id, r, s)`,
        `{id: 1, r: 2147483540, s: 2147483539}`,
      );
      const long: NestedField = { id: 1, name: 'id', required: true, type: 'long' };
      const tasks = [
        task({ ...file(location('a.parquet')), firstRowId: 100n }, 3),
        task({ ...file(location('b.parquet')), firstRowId: 200n }, 7),
        task({ ...file(location('v2.parquet')), firstRowId: null }, 1),
      ];
      await writeWithIds(connection, localPath(tasks[2]!.dataFile.filePath), `SELECT 30 AS id`, `{id: 1}`);
      const sql = readPlanSql(plan(schema(long), tasks), { localPath, rowLineage: true });
      assert.deepEqual(
        await tuples(connection, `SELECT id, ${ROW_ID_COLUMN}, ${LAST_UPDATED_SEQUENCE_NUMBER_COLUMN} FROM (${sql}) ORDER BY id`),
        [
          [10n, 100n, 3n],
          [11n, 101n, 3n],
          [12n, 102n, 3n],
          [20n, 5n, 2n],
          [21n, 6n, 7n],
          [22n, 202n, 7n],
          [30n, null, 1n],
        ],
      );
    });
  });

  it('counts positions before deletes: a row keeps its _row_id when an earlier row of its file is deleted', async () => {
    await withConnection(async (connection, dir) => {
      const { location, localPath } = locations(dir);
      await writeWithIds(connection, localPath(location('d.parquet')), `SELECT * FROM range(0, 4) t(id)`, `{id: 1}`);
      await writeWithIds(
        connection,
        localPath(location('pos.parquet')),
        `SELECT ${quoteLiteral(location('d.parquet'))} AS file_path, 1::BIGINT AS pos`,
        `{file_path: 2147483546, pos: 2147483545}`,
      );
      const long: NestedField = { id: 1, name: 'id', required: true, type: 'long' };
      const deletes = { position: [{ file: file(location('pos.parquet'), 'position-deletes'), dataSequenceNumber: 2 }] };
      const sql = readPlanSql(plan(schema(long), [task({ ...file(location('d.parquet')), firstRowId: 40n }, 1, deletes)]), {
        localPath,
        rowLineage: true,
      });
      assert.deepEqual(await tuples(connection, `SELECT * FROM (${sql}) ORDER BY id`), [
        [0n, 40n, 1n],
        [2n, 42n, 1n],
        [3n, 43n, 1n],
      ]);
    });
  });

  it('an empty plan has the lineage columns too, and a table column under a lineage name is refused', async () => {
    await withConnection(async (connection) => {
      const long: NestedField = { id: 1, name: 'id', required: true, type: 'long' };
      const sql = readPlanSql(plan(schema(long), []), { localPath: (path) => path, rowLineage: true });
      assert.deepEqual(await tuples(connection, sql), []);
      const clash: NestedField = { id: 2, name: ROW_ID_COLUMN, required: false, type: 'long' };
      assert.throws(
        () => readPlanSql(plan(schema(long, clash), []), { localPath: (path) => path, rowLineage: true, table: 'db.t' }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && error.message.includes('_row_id'),
      );
    });
  });
});
