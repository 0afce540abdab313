import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeParquet } from '../../../engine/write/parquet-writer.js';
import { registerIcebergBucket } from '../../../engine/scalar-functions.js';
import type { BucketHash } from '../../../engine/scalar-functions.js';
import type { PrimitiveValue } from '../../../iceberg/spec/types.js';
import { APPENDIX_B, expectedBucket } from '../../support/engine/appendix-b.js';
import { tuples, withEngine } from '../../support/engine/duckdb.js';
import { schema } from '../../support/engine/plans.js';

/**
 * A test double of iceberg/spec/transforms.ts `bucketHash` that knows only the spec's Appendix B
 * vectors, keyed by the exact Iceberg type and in-memory value it must receive. Anything else
 * fails the test, so these prove that the UDF hands over the right type and value form
 * (days, µs, ns, unscaled decimals, canonical uuid text, bytes).
 */
const specVectors: BucketHash = (value, type) => {
  const text = value instanceof Uint8Array ? Buffer.from(value).toString('hex') : String(value);
  const hash = APPENDIX_B[`${type}|${text}`];
  if (hash === undefined) throw new Error(`test double has no vector for ${type} ${text}`);
  return hash;
};

describe('iceberg_bucket', () => {
  it('equals Iceberg’s bucket transform on the spec’s Appendix B vectors', async () => {
    await withEngine(
      async (engine) => {
        const cases: [string, number][] = [
          ['34', APPENDIX_B['int|34']!],
          ['34::BIGINT', APPENDIX_B['long|34']!],
          ['34::SMALLINT', APPENDIX_B['int|34']!],
          [`'14.20'::DECIMAL(9, 2)`, APPENDIX_B['decimal(9, 2)|1420']!],
          [`DATE '2017-11-16'`, APPENDIX_B['date|17486']!],
          [`TIME '22:31:08'`, APPENDIX_B['time|81068000000']!],
          [`TIMESTAMP '2017-11-16 22:31:08'`, APPENDIX_B['timestamp|1510871468000000']!],
          [`TIMESTAMP '2017-11-16 22:31:08.000001'`, APPENDIX_B['timestamp|1510871468000001']!],
          [`TIMESTAMP_MS '2017-11-16 22:31:08'`, APPENDIX_B['timestamp|1510871468000000']!],
          [`TIMESTAMPTZ '2017-11-16 14:31:08-08:00'`, APPENDIX_B['timestamptz|1510871468000000']!],
          [`TIMESTAMPTZ '2017-11-16 14:31:08.000001-08:00'`, APPENDIX_B['timestamptz|1510871468000001']!],
          [`'2017-11-16 22:31:08.000001001'::TIMESTAMP_NS`, APPENDIX_B['timestamp_ns|1510871468000001001']!],
          [`'iceberg'`, APPENDIX_B['string|iceberg']!],
          [`'34'`, APPENDIX_B['string|34']!],
          [`'f79c3e09-677c-4bbd-a479-3f349cb785e7'::UUID`, APPENDIX_B['uuid|f79c3e09-677c-4bbd-a479-3f349cb785e7']!],
          [`from_hex('00010203')`, APPENDIX_B['binary|00010203']!],
        ];
        await engine.withConnection(async (connection) => {
          for (const [expression, hash] of cases) {
            for (const buckets of [1, 7, 16, 100, 2147483647]) {
              const [[bucket]] = (await tuples(connection, `SELECT iceberg_bucket(${buckets}, ${expression})`)) as [[number]];
              assert.equal(bucket, expectedBucket(hash, buckets), `${expression} into ${buckets}`);
            }
          }
          // A published example (Velox's Iceberg functions): bucket(100, 34L) = 79.
          assert.deepEqual(await tuples(connection, `SELECT iceberg_bucket(100, 34::BIGINT)`), [[79]]);
        });
      },
      { setup: (connection) => registerIcebergBucket(connection, specVectors) },
    );
  });

  it('maps every row of a multi-chunk column, nulls to null, on any connection', async () => {
    const seen: PrimitiveValue[] = [];
    const arithmetic: BucketHash = (value) => {
      seen.push(value);
      return Number(BigInt.asIntN(32, BigInt(value as bigint) * 2654435761n));
    };
    await withEngine(
      async (engine) => {
        const result = await engine.withConnection((connection) =>
          tuples(connection, `SELECT i, iceberg_bucket(13, CASE WHEN i % 10 = 0 THEN NULL ELSE i END) FROM range(5000) t(i) ORDER BY i`),
        );
        assert.equal(result.length, 5000);
        for (const [i, bucket] of result as [bigint, number | null][]) {
          if (i % 10n === 0n) assert.equal(bucket, null);
          else assert.equal(bucket, expectedBucket(Number(BigInt.asIntN(32, i * 2654435761n)), 13));
        }
        assert.equal(seen.length, 4500);
        assert.deepEqual(
          await engine.withConnection((connection) =>
            tuples(connection, `SELECT iceberg_bucket(NULL, 5::BIGINT), iceberg_bucket(4, NULL::BIGINT)`),
          ),
          [[null, null]],
        );
      },
      { setup: (connection) => registerIcebergBucket(connection, arithmetic) },
    );
  });

  it('fails the query for a bad bucket count or a type Iceberg does not bucket', async () => {
    await withEngine(
      async (engine) => {
        await engine.withConnection(async (connection) => {
          await assert.rejects(connection.run(`SELECT iceberg_bucket(0, 34)`), /positive bucket count/);
          await assert.rejects(connection.run(`SELECT iceberg_bucket(-3, 34)`), /positive bucket count/);
          await assert.rejects(connection.run(`SELECT iceberg_bucket(4, 1.5::DOUBLE)`), /cannot bucket values of type DOUBLE/);
          await assert.rejects(connection.run(`SELECT iceberg_bucket(4, true)`), /cannot bucket values of type BOOLEAN/);
        });
      },
      { setup: (connection) => registerIcebergBucket(connection, specVectors) },
    );
  });

  it('computes a partition column the Parquet writer splits files by', async () => {
    await withEngine(
      async (engine, dir) => {
        const files = await engine.withConnection((connection) =>
          writeParquet(connection, {
            query: `SELECT k, iceberg_bucket(4, k) AS "__bucket" FROM (VALUES ('iceberg'), ('iceberg'), ('other')) t(k)`,
            schema: schema({ id: 1, name: 'k', required: true, type: 'string' }),
            directory: dir,
            partitionColumns: [{ name: '__bucket', type: 'int' }],
          }),
        );
        const byBucket = new Map(files.map((written) => [written.partition[0], written.recordCount]));
        assert.equal(byBucket.get(expectedBucket(APPENDIX_B['string|iceberg']!, 4)), 2);
        assert.equal(byBucket.get(expectedBucket(42, 4)), 1);
      },
      {
        setup: (connection) => registerIcebergBucket(connection, (value, type) => (value === 'other' ? 42 : specVectors(value, type))),
      },
    );
  });
});
