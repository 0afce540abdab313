/**
 * readsByName says a file reads the same by column name as by field id only when it does: its
 * top-level columns carry the fields' names and ids, and DuckDB reads them by name as the types the
 * field-id read casts to. Files written by DuckDB with FIELD_IDS, as Floe writes them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fieldIdColumn, parquetSchemaArgument, readsByName } from '../../../../engine/read/parquet-schema-map.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { tuples, withConnection } from '../../../support/engine/duckdb.js';

const fields: NestedField[] = [
  { id: 1, name: 'k', required: true, type: 'long' },
  { id: 2, name: 'v', required: false, type: 'double' },
];

describe('readsByName', () => {
  it('accepts a file whose columns carry the fields’ names, ids and types, and reads the same rows both ways', async () => {
    await withConnection(async (connection, dir) => {
      const path = join(dir, 'same.parquet');
      await connection.run(
        `COPY (SELECT 7::BIGINT AS k, 0.5::DOUBLE AS v, {'k': 1}::STRUCT(k INTEGER) AS s) TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS {k: 1, v: 2, s: {__duckdb_field_id: 3, k: 4}})`,
      );
      assert.equal(await readsByName(connection, path, fields), true);
      const byId = parquetSchemaArgument(fields.map((field) => fieldIdColumn(field, field.name)));
      assert.deepEqual(
        await tuples(connection, `SELECT k, v FROM read_parquet(${quoteLiteral(path)})`),
        await tuples(connection, `SELECT k, v FROM read_parquet(${quoteLiteral(path)}, ${byId})`),
      );
    });
  });

  it('refuses a file written before a rename, under other ids, with a type the field-id read casts, or without ids', async () => {
    await withConnection(async (connection, dir) => {
      const cases: [name: string, select: string, fieldIds: string][] = [
        ['renamed', '7::BIGINT AS key, 0.5::DOUBLE AS v', '{key: 1, v: 2}'],
        ['other ids', '7::BIGINT AS k, 0.5::DOUBLE AS v', '{k: 1, v: 5}'],
        ['int before a promotion to long', '7::INTEGER AS k, 0.5::DOUBLE AS v', '{k: 1, v: 2}'],
        ['float before a promotion to double', '7::BIGINT AS k, 0.5::FLOAT AS v', '{k: 1, v: 2}'],
        ['a name only nested', "7::BIGINT AS k, {'v': 0.5::DOUBLE} AS s", '{k: 1, s: {__duckdb_field_id: 3, v: 2}}'],
      ];
      for (const [name, select, fieldIds] of cases) {
        const path = join(dir, `${name.replaceAll(' ', '_')}.parquet`);
        await connection.run(`COPY (SELECT ${select}) TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS ${fieldIds})`);
        assert.equal(await readsByName(connection, path, fields), false, name);
      }
      const noIds = join(dir, 'no_ids.parquet');
      await connection.run(`COPY (SELECT 7::BIGINT AS k, 0.5::DOUBLE AS v) TO ${quoteLiteral(noIds)} (FORMAT parquet)`);
      assert.equal(await readsByName(connection, noIds, fields), false, 'no field ids');
    });
  });
});
