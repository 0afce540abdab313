import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compare } from '../../../../engine/write/parquet-stats.js';
import type { ColumnStats } from '../../../../engine/write/parquet-stats.js';
import { writeParquet } from '../../../../engine/write/parquet-writer.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import type { PrimitiveType, PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { withConnection } from '../../../support/engine/duckdb.js';
import { schema } from '../../../support/engine/plans.js';
import { defined } from '../../../../contracts/defined.js';

/**
 * Stats read back from parquet_metadata() against min / max / null / NaN counts computed in JS
 * from the very values written: one generator per Iceberg primitive type, values in Floe's
 * in-memory form, written through SQL literals.
 */
interface TypeCase {
  readonly type: PrimitiveType;
  readonly arbitrary: fc.Arbitrary<PrimitiveValue>;
  readonly literal: (value: PrimitiveValue) => string;
}

const MICROS_RANGE = { min: -2_208_988_800_000_000n, max: 4_102_444_800_000_000n }; // 1900 .. 2100

function decimalLiteral(unscaled: bigint, precision: number, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `'${negative ? '-' : ''}${text}'::DECIMAL(${precision}, ${scale})`;
}

function decimalCase(precision: number, scale: number): TypeCase {
  const limit = 10n ** BigInt(precision) - 1n;
  return {
    type: `decimal(${precision}, ${scale})`,
    arbitrary: fc.bigInt({ min: -limit, max: limit }),
    literal: (value) => decimalLiteral(value as bigint, precision, scale),
  };
}

const finiteFloat = fc.float({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0));
const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0));

const cases: TypeCase[] = [
  { type: 'boolean', arbitrary: fc.boolean(), literal: (value) => String(value) },
  { type: 'int', arbitrary: fc.integer(), literal: (value) => `(${String(value)})::INTEGER` },
  { type: 'long', arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), literal: (value) => `(${String(value)})::BIGINT` },
  { type: 'float', arbitrary: finiteFloat, literal: (value) => `'${String(value)}'::FLOAT` },
  { type: 'double', arbitrary: finiteDouble, literal: (value) => `'${String(value)}'::DOUBLE` },
  { type: 'date', arbitrary: fc.integer({ min: -25567, max: 47482 }), literal: (value) => `(DATE '1970-01-01' + (${String(value)}))` },
  {
    type: 'time',
    arbitrary: fc.bigInt({ min: 0n, max: 86_399_999_999n }),
    literal: (value) => `(TIME '00:00:00' + to_microseconds((${String(value)})::BIGINT))`,
  },
  { type: 'timestamp', arbitrary: fc.bigInt(MICROS_RANGE), literal: (value) => `make_timestamp((${String(value)})::BIGINT)` },
  {
    type: 'timestamptz',
    arbitrary: fc.bigInt(MICROS_RANGE),
    literal: (value) => `make_timestamp((${String(value)})::BIGINT)::TIMESTAMPTZ`,
  },
  {
    type: 'timestamp_ns',
    arbitrary: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
    literal: (value) => `make_timestamp_ns((${String(value)})::BIGINT)`,
  },
  // Full Unicode, NUL included (spelled chr(0): no SQL literal may hold it).
  {
    type: 'string',
    arbitrary: fc.string({ unit: 'binary', maxLength: 40 }),
    literal: (value) => `(${(value as string).split('\0').map(quoteLiteral).join(' || chr(0) || ')})`,
  },
  { type: 'uuid', arbitrary: fc.uuid(), literal: (value) => `${quoteLiteral(value as string)}::UUID` },
  {
    type: 'binary',
    arbitrary: fc.uint8Array({ maxLength: 12 }),
    literal: (value) => `from_hex(${quoteLiteral(Buffer.from(value as Uint8Array).toString('hex'))})`,
  },
  decimalCase(9, 2),
  decimalCase(18, 4),
  decimalCase(38, 10),
];

function expectedStats(values: readonly (PrimitiveValue | null)[], fieldId: number): Omit<ColumnStats, 'sizeBytes'> {
  const present = values.filter((value): value is PrimitiveValue => value !== null);
  const ordered = present.filter((value) => !(typeof value === 'number' && Number.isNaN(value))).sort(compare);
  const base = { fieldId, valueCount: values.length, nullCount: values.length - present.length };
  return {
    ...base,
    ...(ordered.length > 0 ? { min: ordered[0], max: ordered[ordered.length - 1] } : {}),
  };
}

function withoutSize(stats: ColumnStats | undefined): Omit<ColumnStats, 'sizeBytes'> | undefined {
  if (!stats) return undefined;
  const { sizeBytes: _size, nanCount: _nan, ...rest } = stats;
  return rest;
}

async function writeValues(connection: DuckDBConnection, dir: string, type: PrimitiveType, literals: string[], rowGroupSize?: number) {
  const rows =
    literals.length === 0
      ? `SELECT NULL AS c WHERE false`
      : `SELECT * FROM (VALUES ${literals.map((literal) => `(${literal})`).join(', ')}) t(c)`;
  return writeParquet(connection, {
    query: rows,
    schema: schema({ id: 7, name: 'c', required: false, type }),
    directory: dir,
    ...defined({ rowGroupSize }),
  });
}

describe('Parquet stats by field id', () => {
  for (const testCase of cases) {
    it(`${testCase.type}: min, max and null count equal the values written`, async () => {
      await withConnection(async (connection, dir) => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.option(testCase.arbitrary, { nil: null, freq: 5 }), { minLength: 1, maxLength: 30 }),
            async (values) => {
              const literals = values.map((value) => (value === null ? 'NULL' : testCase.literal(value)));
              const files = await writeValues(connection, join(dir, `run-${run++}`), testCase.type, literals);
              assert.equal(files.length, 1);
              const [written] = files;
              assert.equal(written!.recordCount, values.length);
              const column = written!.columnStats.find((stats) => stats.fieldId === 7);
              assert.deepEqual(withoutSize(column), expectedStats(values, 7));
              assert.ok((column?.sizeBytes ?? 0) > 0);
            },
          ),
          { numRuns: 25 },
        );
      });
    });
  }

  it('keeps strings holding NUL characters exact in min and max', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeValues(connection, dir, 'string', [`chr(0)`, `'a' || chr(0) || 'b'`, `'a'`, `'b' || chr(0)`]);
      const stats = files[0]!.columnStats[0]!;
      assert.deepEqual([stats.min, stats.max], ['\0', 'b\0']);
    });
  });

  it('aggregates min and max over row groups', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT (i * 7919) % 100003 - 50000 AS c FROM range(10000) t(i)`,
        schema: schema({ id: 1, name: 'c', required: true, type: 'long' }),
        directory: dir,
        rowGroupSize: 2048,
      });
      const values = Array.from({ length: 10000 }, (_, i) => BigInt(((i * 7919) % 100003) - 50000));
      const stats = files[0]!.columnStats[0]!;
      assert.equal(
        stats.min,
        values.reduce((a, b) => (a < b ? a : b)),
      );
      assert.equal(
        stats.max,
        values.reduce((a, b) => (a > b ? a : b)),
      );
      assert.equal(stats.valueCount, 10000);
    });
  });

  it('counts NaNs for float and double; DuckDB then records no bounds, so none are given', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT * FROM (VALUES ('NaN'::FLOAT, 1.5::DOUBLE, 'NaN'::DOUBLE), (2.5, 'NaN', NULL), (NULL, 'NaN', NULL), (-1, 0.5, NULL)) t(f, d, n)`,
        schema: schema(
          { id: 1, name: 'f', required: false, type: 'float' },
          { id: 2, name: 'd', required: false, type: 'double' },
          { id: 3, name: 'n', required: false, type: 'double' },
        ),
        directory: dir,
      });
      const byId = new Map(files[0]!.columnStats.map((stats) => [stats.fieldId, stats]));
      assert.deepEqual([byId.get(1)?.nanCount, byId.get(1)?.nullCount, byId.get(1)?.min, byId.get(1)?.max], [1, 1, undefined, undefined]);
      assert.deepEqual([byId.get(2)?.nanCount, byId.get(2)?.nullCount, byId.get(2)?.min], [2, 0, undefined]);
      assert.deepEqual([byId.get(3)?.nanCount, byId.get(3)?.nullCount], [1, 3]);
      const clean = await writeParquet(connection, {
        query: `SELECT * FROM (VALUES (1.5::DOUBLE), (-2.25)) t(d)`,
        schema: schema({ id: 1, name: 'd', required: false, type: 'double' }),
        directory: join(dir, 'clean'),
      });
      assert.deepEqual(withoutSize(clean[0]!.columnStats[0]), { fieldId: 1, valueCount: 2, nullCount: 0, min: -2.25, max: 1.5 });
      assert.equal(clean[0]!.columnStats[0]!.nanCount, 0);
    });
  });

  it('gives nested struct fields full metrics and list/map fields counts only, by their own field ids', async () => {
    await withConnection(async (connection, dir) => {
      const nested = schema(
        {
          id: 1,
          name: 'st',
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 4, name: 'x', required: false, type: 'int' },
              { id: 5, name: 'y', required: false, type: 'double' },
            ],
          },
        },
        { id: 2, name: 'tags', required: false, type: { type: 'list', elementId: 6, element: 'string', elementRequired: false } },
        {
          id: 3,
          name: 'm',
          required: false,
          type: { type: 'map', keyId: 7, key: 'string', valueId: 8, value: 'long', valueRequired: false },
        },
        { id: 9, name: 'nothing', required: false, type: 'string' },
      );
      const files = await writeParquet(connection, {
        query: `SELECT * FROM (VALUES
          ({'x': 3, 'y': 'NaN'::DOUBLE}, ['b', 'a'], MAP {'k': 1::BIGINT}, NULL::VARCHAR),
          ({'x': -1, 'y': 2.0}, [], MAP {'k': 2, 'j': NULL}, NULL),
          (NULL, NULL, NULL, NULL)) t(st, tags, m, nothing)`,
        schema: nested,
        directory: dir,
      });
      const byId = new Map(files[0]!.columnStats.map((stats) => [stats.fieldId, withoutSize(stats)]));
      assert.deepEqual(
        [...byId.keys()].sort((a, b) => a - b),
        [4, 5, 6, 7, 8, 9],
      );
      assert.deepEqual(byId.get(4), { fieldId: 4, valueCount: 3, nullCount: 1, min: -1, max: 3 });
      assert.equal(files[0]!.columnStats.find((stats) => stats.fieldId === 5)?.nanCount, 1);
      // Inside lists and maps Iceberg keeps no bounds (Java's writer neither).
      assert.deepEqual(byId.get(6), { fieldId: 6, valueCount: 4, nullCount: 2 });
      assert.deepEqual(byId.get(8), { fieldId: 8, valueCount: 4, nullCount: 2 });
      assert.deepEqual(byId.get(9), { fieldId: 9, valueCount: 3, nullCount: 3 });
    });
  });
});
