import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRelation } from '../../../engine/describe.js';
import { duckdbType, schemaFromColumns } from '../../../engine/types.js';
import { FloeError } from '../../../core/errors.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import type { IcebergType } from '../../../iceberg/spec/types.js';
import { withConnection } from '../../support/engine/duckdb.js';

describe('Iceberg → DuckDB types', () => {
  it('maps every primitive type', () => {
    const expected: [IcebergType, string][] = [
      ['boolean', 'BOOLEAN'],
      ['int', 'INTEGER'],
      ['long', 'BIGINT'],
      ['float', 'FLOAT'],
      ['double', 'DOUBLE'],
      ['date', 'DATE'],
      ['time', 'TIME'],
      ['timestamp', 'TIMESTAMP'],
      ['timestamptz', 'TIMESTAMPTZ'],
      ['timestamp_ns', 'TIMESTAMP_NS'],
      ['timestamptz_ns', 'TIMESTAMP_NS'],
      ['string', 'VARCHAR'],
      ['uuid', 'UUID'],
      ['binary', 'BLOB'],
      ['fixed[16]', 'BLOB'],
      ['decimal(9, 2)', 'DECIMAL(9, 2)'],
      ['decimal(38, 10)', 'DECIMAL(38, 10)'],
      ['unknown', '"NULL"'],
    ];
    for (const [iceberg, duck] of expected) assert.equal(duckdbType(iceberg), duck, iceberg as string);
  });

  it('maps nested types, quoting struct field names', () => {
    const type: IcebergType = {
      type: 'struct',
      fields: [
        { id: 2, name: 'a "quoted"; name', required: false, type: { type: 'list', elementId: 3, element: 'long', elementRequired: false } },
        {
          id: 4,
          name: 'm',
          required: true,
          type: { type: 'map', keyId: 5, key: 'string', valueId: 6, value: 'decimal(10, 3)', valueRequired: false },
        },
      ],
    };
    assert.equal(duckdbType(type), 'STRUCT("a ""quoted""; name" BIGINT[], "m" MAP(VARCHAR, DECIMAL(10, 3)))');
  });

  it('gives types DuckDB accepts and reads back as themselves', async () => {
    await withConnection(async (connection) => {
      const schema: Schema = {
        schemaId: 0,
        identifierFieldIds: [],
        fields: [
          { id: 1, name: 'b', required: false, type: 'boolean' },
          { id: 2, name: 'i', required: false, type: 'int' },
          { id: 3, name: 'l', required: false, type: 'long' },
          { id: 4, name: 'f', required: false, type: 'float' },
          { id: 5, name: 'd', required: false, type: 'double' },
          { id: 6, name: 'dt', required: false, type: 'date' },
          { id: 7, name: 't', required: false, type: 'time' },
          { id: 8, name: 'ts', required: false, type: 'timestamp' },
          { id: 9, name: 'tstz', required: false, type: 'timestamptz' },
          { id: 10, name: 'tsns', required: false, type: 'timestamp_ns' },
          { id: 11, name: 's', required: false, type: 'string' },
          { id: 12, name: 'u', required: false, type: 'uuid' },
          { id: 13, name: 'bin', required: false, type: 'binary' },
          { id: 14, name: 'dec', required: false, type: 'decimal(18, 4)' },
          {
            id: 15,
            name: 'st',
            required: false,
            type: {
              type: 'struct',
              fields: [
                { id: 18, name: 'x', required: false, type: 'int' },
                { id: 19, name: 'tags', required: false, type: { type: 'list', elementId: 20, element: 'string', elementRequired: false } },
              ],
            },
          },
          { id: 16, name: 'lst', required: false, type: { type: 'list', elementId: 21, element: 'double', elementRequired: false } },
          {
            id: 17,
            name: 'mp',
            required: false,
            type: { type: 'map', keyId: 22, key: 'string', valueId: 23, value: 'long', valueRequired: false },
          },
        ],
      };
      const columns = schema.fields.map((field) => `CAST(NULL AS ${duckdbType(field.type)}) AS "${field.name}"`).join(', ');
      const shapes = await describeRelation(connection, `SELECT ${columns}`);
      // Fresh ids from the shape are the ones this schema already has (top level first, then breadth-first).
      assert.deepEqual(schemaFromColumns(shapes), schema);
    });
  });

  it('numbers fields like Iceberg: top level 1..n, then each struct level before its children', async () => {
    await withConnection(async (connection) => {
      const shapes = await describeRelation(
        connection,
        `SELECT 1::INTEGER AS a, {'x': {'y': 1::BIGINT}, 'z': [1.5::DOUBLE]} AS s, 'q' AS c`,
      );
      const schema = schemaFromColumns(shapes, { identifierColumns: ['a'], requiredColumns: ['c'] });
      assert.deepEqual(schema, {
        schemaId: 0,
        identifierFieldIds: [1],
        fields: [
          { id: 1, name: 'a', required: true, type: 'int' },
          {
            id: 2,
            name: 's',
            required: false,
            type: {
              type: 'struct',
              fields: [
                {
                  id: 4,
                  name: 'x',
                  required: false,
                  type: { type: 'struct', fields: [{ id: 6, name: 'y', required: false, type: 'long' }] },
                },
                { id: 5, name: 'z', required: false, type: { type: 'list', elementId: 7, element: 'double', elementRequired: false } },
              ],
            },
          },
          { id: 3, name: 'c', required: true, type: 'string' },
        ],
      });
    });
  });

  it('widens DuckDB-only types to the Iceberg type that holds them exactly', async () => {
    await withConnection(async (connection) => {
      const shapes = await describeRelation(
        connection,
        `SELECT 1::TINYINT a, 1::SMALLINT b, 1::UTINYINT c, 1::USMALLINT d, 1::UINTEGER e, TIMESTAMP_S '2020-01-01' f, TIMESTAMP_MS '2020-01-01' g, 'x'::ENUM('x', 'y') h, [1, 2]::INTEGER[2] i`,
      );
      const types = schemaFromColumns(shapes).fields.map((field) => field.type);
      assert.deepEqual(types, [
        'int',
        'int',
        'int',
        'int',
        'long',
        'timestamp',
        'timestamp',
        'string',
        { type: 'list', elementId: 10, element: 'int', elementRequired: false },
      ]);
    });
  });

  it('refuses types no Iceberg type holds, naming the column', async () => {
    await withConnection(async (connection) => {
      const cases: [string, string][] = [
        ['1::HUGEINT', 'HUGEINT'],
        ['1::UBIGINT', 'UBIGINT'],
        [`INTERVAL 1 DAY`, 'INTERVAL'],
        [`TIMETZ '01:02:03+01'`, 'TIME WITH TIME ZONE'],
        [`[{'k': 1::HUGEINT}]`, 'HUGEINT'],
      ];
      for (const [expression, type] of cases) {
        const shapes = await describeRelation(connection, `SELECT ${expression} AS "odd col"`);
        assert.throws(
          () => schemaFromColumns(shapes, { source: 'feature view "v"' }),
          (error: unknown) =>
            FloeError.is(error, 'unsupported') &&
            error.message.includes('feature view "v" column "odd col"') &&
            error.message.includes(type),
          expression,
        );
      }
    });
  });

  it('refuses duplicate names and unknown required columns', async () => {
    await withConnection(async (connection) => {
      const shapes = await describeRelation(connection, `SELECT 1 AS a, 2 AS b`);
      assert.throws(
        () => schemaFromColumns([...shapes, ...shapes]),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /"a" appears twice/.test(error.message),
      );
      assert.throws(
        () => schemaFromColumns(shapes, { identifierColumns: ['nope'] }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /"nope"/.test(error.message),
      );
    });
  });
});
