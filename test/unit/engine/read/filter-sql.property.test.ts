/**
 * The engine applies a plan's bound filter to every row exactly as the independent row oracle says
 * SQL does (test/support/iceberg/row-oracle.ts, 'sql' semantics), for random filters
 * over edge-case values of each primitive type: through readPlanSql on a copy-on-write plan, and on
 * a merge-on-read plan (position deletes, so row positions must survive the pushed-down filter)
 * that does not project the filter's column. The values written are read back and compared with
 * what the oracle is given, so the test does not rely on the literal rendering it checks.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Engine } from '../../../../engine/duckdb.js';
import { literalSql } from '../../../../engine/read/filter-sql.js';
import { writeParquet, writePositionDeletes } from '../../../../engine/write/parquet-writer.js';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { quoteIdentifier as q, quoteLiteral } from '../../../../engine/sql.js';
import { toPrimitiveValue } from '../../../../engine/values.js';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { describeBound } from '../../../../iceberg/expressions/bound.js';
import type { Expression, FilterLiteral, PredicateOp } from '../../../../iceberg/expressions/expression.js';
import type { ScanPlan } from '../../../../iceberg/scan/plan.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { PrimitiveType, PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { formatDecimal } from '../../../../iceberg/spec/value-json.js';
import { matches } from '../../../support/iceberg/row-oracle.js';
import type { OracleFilter } from '../../../support/iceberg/row-oracle.js';
import { file, plan, schema as schemaOf, task } from '../../../support/engine/plans.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

interface TypeCase {
  readonly type: PrimitiveType;
  readonly values: readonly PrimitiveValue[];
  /** Literals beyond the values, so filters also compare with values no row holds. */
  readonly extraLiterals: readonly PrimitiveValue[];
  readonly ops: readonly PredicateOp[];
  readonly toLiteral?: (value: PrimitiveValue) => FilterLiteral;
}

const ORDERED: readonly PredicateOp[] = ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull'];
const EQUALITY: readonly PredicateOp[] = ['eq', 'notEq', 'in', 'notIn', 'isNull', 'notNull'];
const DAY_US = 86_400_000_000n;

const CASES: readonly TypeCase[] = [
  { type: 'int', values: [0, 1, -1, 7, 2 ** 31 - 1, -(2 ** 31)], extraLiterals: [3, -100], ops: ORDERED },
  { type: 'long', values: [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 9_007_199_254_740_993n], extraLiterals: [5n], ops: ORDERED },
  {
    type: 'float',
    values: [0, -0, 1.5, -2.25, Math.fround(0.1), Infinity, -Infinity, Number.NaN],
    extraLiterals: [0.1, 1e-40, 3.4e38],
    ops: [...ORDERED, 'isNaN', 'notNaN'],
  },
  {
    type: 'double',
    values: [0, -0, 0.1, -1e300, Number.MIN_VALUE, Infinity, -Infinity, Number.NaN, 2.5],
    extraLiterals: [0.2, 1e300],
    ops: [...ORDERED, 'isNaN', 'notNaN'],
  },
  {
    type: 'string',
    values: ['', 'a', 'ab', 'b', "it's", 'é', '😀', '\uffff', 'a\0b', 'a\0'],
    extraLiterals: ['a\0', 'aa', '"'],
    ops: [...ORDERED, 'startsWith', 'notStartsWith'],
  },
  { type: 'boolean', values: [true, false], extraLiterals: [], ops: ORDERED },
  { type: 'date', values: [0, -1, 19_000, -719_162, 2_932_896], extraLiterals: [1, 18_999], ops: ORDERED },
  { type: 'time', values: [0n, 1n, 43_200_000_000n, DAY_US - 1n], extraLiterals: [2n], ops: ORDERED },
  {
    type: 'timestamp',
    values: [0n, -1n, 1n, 1_706_700_000_000_001n, -62_135_596_800_000_000n],
    extraLiterals: [1_706_700_000_000_000n],
    ops: ORDERED,
  },
  {
    type: 'timestamptz',
    values: [0n, -1n, 1n, 1_706_700_000_000_001n, -86_400_000_000n],
    extraLiterals: [1_706_700_000_000_000n],
    ops: ORDERED,
  },
  { type: 'timestamp_ns', values: [0n, -1n, 1n, 1_706_700_000_000_000_001n], extraLiterals: [1_706_700_000_000_000_000n], ops: ORDERED },
  {
    type: 'decimal(9, 2)',
    values: [0n, 1n, -1n, 12_345n, 999_999_999n, -999_999_999n],
    extraLiterals: [100n],
    ops: ORDERED,
    toLiteral: (value) => formatDecimal(value as bigint, 2),
  },
  {
    type: 'uuid',
    values: ['00000000-0000-0000-0000-000000000000', 'f79c3e09-677c-4b0b-8d9c-1b2f9e1c2b3a', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    extraLiterals: ['12345678-1234-1234-1234-123456789abc'],
    ops: EQUALITY,
  },
  {
    type: 'binary',
    values: [new Uint8Array([]), new Uint8Array([0]), new Uint8Array([0, 255]), new Uint8Array([1])],
    extraLiterals: [new Uint8Array([255])],
    ops: ORDERED,
  },
];

/** Each row: the value at index i % values.length, null on every fifth row. */
function rowValues(typeCase: TypeCase): (PrimitiveValue | null)[] {
  return Array.from({ length: typeCase.values.length * 3 }, (_, i) => (i % 5 === 4 ? null : typeCase.values[i % typeCase.values.length]!));
}

function valueSql(type: PrimitiveType, value: PrimitiveValue | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && Number.isNaN(value)) return "CAST('nan' AS DOUBLE)";
  return literalSql(type, value);
}

function filterArbitrary(typeCase: TypeCase): fc.Arbitrary<OracleFilter> {
  const literal = fc.constantFrom(
    ...[...typeCase.values, ...typeCase.extraLiterals].filter((value) => !(typeof value === 'number' && Number.isNaN(value))),
  );
  const leaf: fc.Arbitrary<OracleFilter> = fc
    .record({
      op: fc.constantFrom(...typeCase.ops),
      value: literal,
      values: fc.array(literal, { maxLength: 3 }),
      column: fc.constantFrom('c', 'c', 's.x'),
    })
    .map(({ op, value, values, column }) => {
      if (column === 's.x') return op === 'isNull' || op === 'notNull' ? { op, column } : { op: 'gtEq' as const, column, value: 2 };
      if (op === 'in' || op === 'notIn') return { op, column, values };
      if (op === 'isNull' || op === 'notNull' || op === 'isNaN' || op === 'notNaN') return { op, column };
      return { op, column, value };
    });
  return fc.letrec<{ node: OracleFilter }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      leaf,
      fc.record({ op: fc.constant('not' as const), arg: tie('node') }),
      fc.record({ op: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    ),
  })).node;
}

const show = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint'
      ? `${v}n`
      : v instanceof Uint8Array
        ? `0x${Buffer.from(v).toString('hex')}`
        : typeof v === 'number' && !Number.isFinite(v)
          ? String(v)
          : v,
  );

let engine: Engine;
const dir = scratchFolder('filter-sql');
before(async () => {
  engine = await Engine.create({ threads: 2, memoryLimit: '1GB', tempDirectory: join(dir, 'spill') });
});
after(async () => {
  engine.close();
});

function toExpression(filter: OracleFilter, toLiteral: (column: string, value: PrimitiveValue) => FilterLiteral): Expression {
  switch (filter.op) {
    case 'true':
    case 'false':
      return { op: filter.op };
    case 'and':
    case 'or':
      return { op: filter.op, args: filter.args.map((arg) => toExpression(arg, toLiteral)) };
    case 'not':
      return { op: 'not', arg: toExpression(filter.arg, toLiteral) };
    default:
      if (filter.values)
        return { op: filter.op as 'in', column: filter.column, values: filter.values.map((v) => toLiteral(filter.column, v)) };
      if (filter.value !== undefined)
        return { op: filter.op as 'eq', column: filter.column, value: toLiteral(filter.column, filter.value) };
      return { op: filter.op as 'isNull', column: filter.column };
  }
}

async function ids(connection: DuckDBConnection, sql: string): Promise<number[]> {
  const reader = await connection.runAndReadAll(`SELECT ${q('rid')} FROM (${sql}) ORDER BY 1`);
  return reader.getRows().map((row) => Number(row[0]));
}

describe('plan filters in SQL agree with the row oracle (property)', () => {
  for (const typeCase of CASES) {
    it(typeCase.type, async () => {
      const tableSchema: Schema = schemaOf(
        { id: 1, name: 'rid', required: true, type: 'int' },
        { id: 2, name: 'c', required: false, type: typeCase.type },
        { id: 3, name: 's', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'x', required: false, type: 'int' }] } },
      );
      const values = rowValues(typeCase);
      const sx = (i: number): number | null => (i % 7 === 6 ? null : i % 4);
      const directory = join(dir, typeCase.type.replace(/[^a-z0-9]/g, '_'));
      await engine.withConnection(async (connection) => {
        const rowsSql = values
          .map((value, i) => `(${i}, ${valueSql(typeCase.type, value)}, ${sx(i) === null ? 'NULL' : `{'x': ${sx(i)}}`})`)
          .join(', ');
        const [written] = await writeParquet(connection, {
          query: `SELECT * FROM (VALUES ${rowsSql}) AS t(rid, c, s)`,
          schema: tableSchema,
          directory,
        });
        assert.ok(written);
        // What was written is what the oracle is told, read back by independent conversion code.
        const back = await connection.runAndReadAll(`SELECT c FROM read_parquet(${quoteLiteral(written.localPath)}) ORDER BY rid`);
        const readBack = back.getRows().map((row) => toPrimitiveValue(row[0] ?? null, typeCase.type));
        assert.equal(show(readBack), show(values), 'values written');

        // Merge-on-read: rows 1, 4, 5 deleted by position.
        const deleted = new Set([1, 4, 5]);
        const dataPath = 'file:///table/data/f.parquet';
        const [deletes] = await writePositionDeletes(connection, {
          query: `SELECT ${quoteLiteral(dataPath)} AS file_path, CAST(pos AS BIGINT) AS pos FROM (VALUES ${[...deleted].map((pos) => `(${pos})`).join(', ')}) AS d(pos)`,
          directory: join(directory, 'deletes'),
        });
        assert.ok(deletes);
        const localPath = (location: string): string => (location === dataPath ? written.localPath : deletes.localPath);
        const dataFile = file(dataPath);
        const cow = plan(tableSchema, [task(dataFile, 1)]);
        const mor = plan(schemaOf(tableSchema.fields[0]!), [
          task(dataFile, 1, { position: [{ file: file('file:///table/data/d.parquet', 'position-deletes'), dataSequenceNumber: 1 }] }),
        ]);

        const toLiteral = (column: string, value: PrimitiveValue): FilterLiteral =>
          column === 'c' && typeCase.toLiteral ? typeCase.toLiteral(value) : (value as FilterLiteral);
        let matchedSome = 0;
        await fc.assert(
          fc.asyncProperty(filterArbitrary(typeCase), async (filter) => {
            const bound = bind(toExpression(filter, toLiteral), tableSchema);
            const expected = values.map((value, i) => (matches(filter, { c: value, 's.x': sx(i) }, 'sql') ? i : -1)).filter((i) => i >= 0);
            if (expected.length > 0) matchedSome++;
            const withFilter = (scan: ScanPlan): ScanPlan => ({ ...scan, filter: bound });
            const context = `filter ${describeBound(bound)}`;
            assert.deepEqual(
              await ids(connection, readPlanSql(withFilter(cow), { localPath, tableSchema })),
              expected,
              `copy-on-write, ${context}`,
            );
            assert.deepEqual(
              await ids(connection, readPlanSql(withFilter(mor), { localPath, tableSchema })),
              expected.filter((i) => !deleted.has(i)),
              `merge-on-read, ${context}`,
            );
          }),
          { numRuns: 120 },
        );
        assert.ok(matchedSome > 10, 'the filters select some rows');
      });
    });
  }
});
