// Columns read and written in a chunk's memory give what node-api's vectors give: random values and
// nulls of every fixed-width type, chunks of a full vector and of a few rows, a BIGINT read as
// Number(value) even beyond 2^53, and values written then appended read back the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DuckDBDataChunk, DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { chunkColumnReader, chunkColumnWriter, copyChunkColumn } from '../../../engine/chunk-columns.js';

const COLUMNS = [
  { name: 'b', type: 'BOOLEAN', value: fc.boolean() },
  { name: 't', type: 'TINYINT', value: fc.integer({ min: -128, max: 127 }) },
  { name: 's', type: 'SMALLINT', value: fc.integer({ min: -32768, max: 32767 }) },
  { name: 'i', type: 'INTEGER', value: fc.integer() },
  { name: 'l', type: 'BIGINT', value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { name: 'f', type: 'FLOAT', value: fc.float({ noNaN: true }) },
  { name: 'd', type: 'DOUBLE', value: fc.double({ noNaN: true }) },
] as const;

type Cell = boolean | number | bigint | null;

async function withConnection(work: (connection: DuckDBConnection) => Promise<void>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function literal(value: Cell, type: string): string {
  if (value === null) return `NULL::${type}`;
  if (typeof value === 'number' && Object.is(value, -0)) return `'-0.0'::${type}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `'${value > 0 ? 'inf' : '-inf'}'::${type}`;
  // Parenthesized: -32768::SMALLINT casts 32768 before negating it.
  return `(${String(value)})::${type}`;
}

const rows = fc.array(fc.tuple(...COLUMNS.map((column) => fc.option(column.value as fc.Arbitrary<Cell>, { freq: 4 }))), {
  minLength: 1,
  maxLength: 3000,
});

test('chunk columns read, copy and write what the vectors hold', async () => {
  await withConnection(async (connection) => {
    await fc.assert(
      fc.asyncProperty(rows, async (table) => {
        await connection.run(`CREATE OR REPLACE TABLE t (${COLUMNS.map((column) => `${column.name} ${column.type}`).join(', ')})`);
        const values = table
          .map((row) => `(${row.map((value, index) => literal(value as Cell, COLUMNS[index]!.type)).join(', ')})`)
          .join(', ');
        await connection.run(`INSERT INTO t VALUES ${values}`);
        await connection.run(`CREATE OR REPLACE TABLE copy AS SELECT * FROM t LIMIT 0`);
        const appender = await connection.createAppender('copy');
        const result = await connection.run('SELECT * FROM t');
        const types = result.columnTypes();
        for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          const output = DuckDBDataChunk.create(types, chunk.rowCount);
          COLUMNS.forEach((column, index) => {
            const typeId = types[index]!.typeId;
            const read = chunkColumnReader(chunk, index, typeId)!;
            const vector = chunk.getColumnVector(index);
            const writer = index % 2 === 0 ? chunkColumnWriter(output, index, typeId)! : undefined;
            for (let row = 0; row < chunk.rowCount; row++) {
              const held = vector.getItem(row) as Cell;
              const expected = typeof held === 'bigint' ? Number(held) : held;
              assert.ok(Object.is(read(row), expected), `${column.name} row ${row}: ${String(read(row))} ≠ ${String(expected)}`);
              writer?.write(row, held);
            }
            if (writer) writer.finish();
            else copyChunkColumn(chunk, index, output, index, typeId);
          });
          appender.appendDataChunk(output);
        }
        appender.flushSync();
        appender.closeSync();
        const differing = await connection.runAndReadAll(
          `SELECT count(*) FROM (SELECT *, row_number() OVER () FROM t EXCEPT ALL SELECT *, row_number() OVER () FROM copy)`,
        );
        assert.equal(differing.getRows()[0]![0], 0n, 'written rows read back as the source rows');
      }),
      { numRuns: 25 },
    );
  });
});

test('a column of another type has no chunk reader or writer', async () => {
  await withConnection(async (connection) => {
    const result = await connection.run(`SELECT 'x' AS v`);
    const chunk = (await result.fetchChunk())!;
    assert.equal(chunkColumnReader(chunk, 0, DuckDBTypeId.VARCHAR), undefined);
    assert.equal(chunkColumnWriter(chunk, 0, DuckDBTypeId.VARCHAR), undefined);
  });
});
