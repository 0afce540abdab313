import { ANY, DuckDBScalarFunction, INTEGER } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PrimitiveType, PrimitiveValue } from '../iceberg/spec/types.js';
import { primitiveTypeOf } from './types.js';
import { toPrimitiveValue } from './values.js';

/**
 * Iceberg's 32-bit bucket hash of a value (spec Appendix B: murmur3_x86_32, seed 0), before the
 * `& Integer.MAX_VALUE` and modulo: `bucketHash` in iceberg/spec/transforms.ts. Values arrive in
 * Floe's in-memory form (`PrimitiveValue`) with the Iceberg type they have in DuckDB.
 */
export type BucketHash = (value: PrimitiveValue, type: PrimitiveType) => number;

/** Types the spec allows a bucket transform on. */
const BUCKETABLE = /^(int|long|date|time|timestamp|timestamptz|timestamp_ns|timestamptz_ns|string|uuid|binary|decimal\(.*\)|fixed\[.*\])$/;

/** Iceberg's bucket transform on one hash: `(hash & Integer.MAX_VALUE) % n`. */
export function bucketOf(hash: number, buckets: number): number {
  return (hash & 0x7fffffff) % buckets;
}

/**
 * Registers `iceberg_bucket(n INTEGER, value ANY) → INTEGER`, equal to Iceberg's `bucket[n]`
 * transform of `value`: what lets DuckDB compute an online table's partition column. Registered
 * on one connection, the function is visible to every connection of the database.
 * NULL in either argument gives NULL; n ≤ 0 or a type the spec does not bucket fails the query.
 */
export function registerIcebergBucket(connection: DuckDBConnection, bucketHash: BucketHash): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'iceberg_bucket',
      returnType: INTEGER,
      parameterTypes: [INTEGER, ANY],
      mainFunction: (info, input, output) => {
        try {
          const counts = input.getColumnVector(0);
          const values = input.getColumnVector(1);
          const type = primitiveTypeOf(values.type);
          if (type === undefined || !BUCKETABLE.test(type)) {
            throw new Error(
              `iceberg_bucket cannot bucket values of type ${values.type.toString()}: Iceberg buckets int, long, decimal, date, time, timestamps, string, uuid and binary`,
            );
          }
          // rowCount is read once: each read calls into the native chunk.
          for (let row = 0, rows = input.rowCount; row < rows; row++) {
            const count = counts.getItem(row);
            const value = toPrimitiveValue(values.getItem(row), type);
            if (count === null || value === null) {
              output.setItem(row, null);
              continue;
            }
            if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0)
              throw new Error(`iceberg_bucket needs a positive bucket count, got ${String(count)}`);
            output.setItem(row, bucketOf(bucketHash(value, type), count));
          }
          output.flush();
        } catch (error) {
          info.setError(error instanceof Error ? error.message : String(error));
        }
      },
    }),
  );
}
