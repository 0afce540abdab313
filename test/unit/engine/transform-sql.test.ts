import type { DuckDBConnection } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nativeBucketSql } from '../../../engine/transform-sql.js';
import { partitionColumnsSql, withPartitionColumns } from '../../../engine/write/partition-sql.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { parseTransform } from '../../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../../iceberg/spec/types.js';
import { APPENDIX_B, expectedBucket } from '../../support/engine/appendix-b.js';
import { tuples, withConnection } from '../../support/engine/duckdb.js';
import { schema } from '../../support/engine/plans.js';

interface TypeCase {
  readonly type: PrimitiveType;
  readonly arbitrary: fc.Arbitrary<PrimitiveValue>;
  readonly literal: (value: PrimitiveValue) => string;
}

const LONG = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const MICROS = { min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }; // years 1 .. 9999

/** Each type in Floe's in-memory form (iceberg/spec/types.ts) and as a DuckDB literal of it. */
const cases: TypeCase[] = [
  { type: 'int', arbitrary: fc.integer(), literal: (value) => `(${String(value)})::INTEGER` },
  { type: 'long', arbitrary: fc.bigInt(LONG), literal: (value) => `(${String(value)})::BIGINT` },
  {
    type: 'date',
    arbitrary: fc.integer({ min: -719_162, max: 2_932_896 }),
    literal: (value) => `(DATE '1970-01-01' + (${String(value)}))`,
  },
  {
    type: 'time',
    arbitrary: fc.bigInt({ min: 0n, max: 86_399_999_999n }),
    literal: (value) => `(TIME '00:00:00' + to_microseconds((${String(value)})::BIGINT))`,
  },
  { type: 'timestamp', arbitrary: fc.bigInt(MICROS), literal: (value) => `make_timestamp((${String(value)})::BIGINT)` },
  { type: 'timestamptz', arbitrary: fc.bigInt(MICROS), literal: (value) => `make_timestamp((${String(value)})::BIGINT)::TIMESTAMPTZ` },
  // Types that hash as bytes go through iceberg_bucket; they are here to keep that path checked too.
  { type: 'string', arbitrary: fc.string({ maxLength: 12 }), literal: (value) => quoteLiteral(value as string) },
  {
    type: 'timestamp_ns',
    arbitrary: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
    literal: (value) => `make_timestamp_ns((${String(value)})::BIGINT)`,
  },
];

const bucketCounts = fc.constantFrom(1, 2, 7, 16, 1000, 2_147_483_647);

/**
 * The rows [i, v, partition value] of a partition column of `transform` on a column `v` of `type`
 * over `values` (day as its day number), checking that the column's steps do not stay in the rows.
 */
async function partitionValues(
  connection: DuckDBConnection,
  transform: string,
  { type, literal }: TypeCase,
  values: readonly (PrimitiveValue | null)[],
): Promise<unknown[][]> {
  const spec = { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'v_part', transform }] };
  const [column] = partitionColumnsSql(spec, schema({ id: 1, name: 'v', required: false, type }));
  const rowsSql = values.map((value, index) => `(${index}, ${value === null ? 'NULL' : literal(value)})`).join(', ');
  const query = withPartitionColumns(`SELECT i, v FROM (VALUES ${rowsSql}) AS t(i, v)`, [column!]);
  const rows = (await tuples(connection, `SELECT * FROM (${query}) ORDER BY i`)) as unknown[][];
  assert.deepEqual(
    rows.map((row) => row.length),
    values.map(() => 3),
    `${transform} of ${type}: only the partition column is added`,
  );
  if (transform !== 'day') return rows;
  const days = (await tuples(connection, `SELECT CAST(p - DATE '1970-01-01' AS INTEGER) FROM (${query}) AS t(i, v, p) ORDER BY i`)) as [
    number | null,
  ][];
  return rows.map((row, index) => [row[0], row[1], days[index]![0]]);
}

const someValues = (arbitrary: fc.Arbitrary<PrimitiveValue>) =>
  fc.array(fc.option(arbitrary, { nil: null }), { minLength: 1, maxLength: 40 });

describe('partition columns', () => {
  it('bucket like Iceberg (iceberg/spec/transforms.ts) for every type, null as null', async () => {
    await withConnection(
      async (connection) => {
        for (const typeCase of cases) {
          await fc.assert(
            fc.asyncProperty(someValues(typeCase.arbitrary), bucketCounts, async (values, buckets) => {
              const transform = `bucket[${buckets}]`;
              const apply = parseTransform(transform).bind(typeCase.type).apply;
              assert.deepEqual(
                (await partitionValues(connection, transform, typeCase, values)).map((row) => row[2]),
                values.map((value) => apply(value)),
                `${typeCase.type} into ${buckets}`,
              );
            }),
            { numRuns: 40 },
          );
        }
      },
      { setup: registerIcebergFunctions },
    );
  });

  it('take years, months, days and hours like Iceberg, before 1970 too, null as null', async () => {
    await withConnection(
      async (connection) => {
        for (const typeCase of cases.filter(({ type }) => ['date', 'timestamp', 'timestamptz', 'timestamp_ns'].includes(type))) {
          const transforms = typeCase.type === 'date' ? ['year', 'month', 'day'] : ['year', 'month', 'day', 'hour'];
          await fc.assert(
            fc.asyncProperty(someValues(typeCase.arbitrary), fc.constantFrom(...transforms), async (values, transform) => {
              const apply = parseTransform(transform).bind(typeCase.type).apply;
              assert.deepEqual(
                (await partitionValues(connection, transform, typeCase, values)).map((row) => row[2]),
                values.map((value) => apply(value)),
                `${transform} of ${typeCase.type}`,
              );
            }),
            { numRuns: 60 },
          );
        }
      },
      { setup: registerIcebergFunctions },
    );
  });

  it('are DuckDB arithmetic for the types that hash as a long, on the spec’s Appendix B vectors', async () => {
    const vectors: [PrimitiveType, string, number][] = [
      ['int', '34::INTEGER', APPENDIX_B['int|34']!],
      ['long', '34::BIGINT', APPENDIX_B['long|34']!],
      ['date', `DATE '2017-11-16'`, APPENDIX_B['date|17486']!],
      ['time', `TIME '22:31:08'`, APPENDIX_B['time|81068000000']!],
      ['timestamp', `TIMESTAMP '2017-11-16 22:31:08'`, APPENDIX_B['timestamp|1510871468000000']!],
      ['timestamptz', `TIMESTAMPTZ '2017-11-16 22:31:08.000001+00'`, APPENDIX_B['timestamptz|1510871468000001']!],
    ];
    await withConnection(async (connection) => {
      for (const [type, literal, hash] of vectors) {
        for (const buckets of [1, 7, 100, 2_147_483_647]) {
          const native = nativeBucketSql('v', type, buckets, '__floe_test');
          assert.ok(native, `${type} is bucketed natively`);
          const query = withPartitionColumns(`SELECT ${literal} AS v`, [{ name: 'b', type: 'int', ...native }]);
          const [[bucket]] = (await tuples(connection, `SELECT b FROM (${query})`)) as [[number]];
          assert.equal(bucket, expectedBucket(hash, buckets), `${literal} into ${buckets}`);
        }
      }
      // Strings hash their UTF-8 bytes: iceberg_bucket's job.
      assert.equal(nativeBucketSql('v', 'string', 100, '__floe_test'), undefined);
    });
  });
});
