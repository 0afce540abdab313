import { ANY, BIGINT, BLOB, DuckDBBlobValue, DuckDBScalarFunction, INTEGER, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { bucketHash, parseTransform } from '../../iceberg/spec/transforms.js';
import type { BoundTransform } from '../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { registerIcebergBucket } from '../scalar-functions.js';
import { primitiveTypeOf } from '../types.js';
import { toPrimitiveValue } from '../values.js';

/**
 * Registers the scalar functions that compute Iceberg partition values inside DuckDB, each backed
 * by the spec implementation in iceberg/spec/transforms.ts so SQL and manifests can never disagree:
 *
 * - `iceberg_bucket(n, value)`: bucket[n];
 * - `iceberg_transform_int(transform, value)`: any transform whose result is an int
 *   (`bucket[N]`, `year`, `month`, `day`, `hour`);
 * - `iceberg_truncate_int|long|string|binary(width, value)`: truncate[W] by result type.
 *
 * Registered on one connection, they are visible to every connection of the database. Each call
 * runs JavaScript on Node's main thread, so partition columns use them only where
 * transform-sql.ts has no DuckDB expression for the transform and type.
 */
export function registerIcebergFunctions(connection: DuckDBConnection): void {
  registerIcebergBucket(connection, bucketHash);
  registerTransform(connection, 'iceberg_transform_int', VARCHAR, INTEGER, (text) => String(text));
  const truncate = (width: DuckDBValue): string => `truncate[${String(width)}]`;
  registerTransform(connection, 'iceberg_truncate_int', INTEGER, INTEGER, truncate);
  registerTransform(connection, 'iceberg_truncate_long', INTEGER, BIGINT, truncate);
  registerTransform(connection, 'iceberg_truncate_string', INTEGER, VARCHAR, truncate);
  registerTransform(connection, 'iceberg_truncate_binary', INTEGER, BLOB, truncate);
}

function registerTransform(
  connection: DuckDBConnection,
  name: string,
  parameterType: DuckDBType,
  returnType: DuckDBType,
  transformText: (parameter: DuckDBValue) => string,
): void {
  const bound = new Map<string, BoundTransform>();
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name,
      returnType,
      parameterTypes: [parameterType, ANY],
      mainFunction: (info, input, output) => {
        try {
          const parameters = input.getColumnVector(0);
          const values = input.getColumnVector(1);
          const sourceType = primitiveTypeOf(values.type);
          if (sourceType === undefined) throw new Error(`${name} cannot transform values of type ${values.type.toString()}`);
          // The parameter is a constant in every query Floe writes: look its transform up once per run of it.
          let lastParameter: DuckDBValue | undefined;
          let transform: BoundTransform | undefined;
          // rowCount is read once: each read calls into the native chunk.
          for (let row = 0, rows = input.rowCount; row < rows; row++) {
            const parameter = parameters.getItem(row);
            const value = toPrimitiveValue(values.getItem(row), sourceType);
            if (parameter === null || value === null) {
              output.setItem(row, null);
              continue;
            }
            if (transform === undefined || parameter !== lastParameter) {
              const text = transformText(parameter);
              const key = `${text}|${sourceType}`;
              transform = bound.get(key) ?? parseTransform(text).bind(sourceType);
              bound.set(key, transform);
              lastParameter = parameter;
            }
            output.setItem(row, toDuckDB(transform.apply(value), transform.resultType));
          }
          output.flush();
        } catch (error) {
          info.setError(error instanceof Error ? error.message : String(error));
        }
      },
    }),
  );
}

function toDuckDB(value: PrimitiveValue | null, type: PrimitiveType): DuckDBValue {
  if (value === null) return null;
  if (value instanceof Uint8Array) return new DuckDBBlobValue(value);
  if (type === 'long' && typeof value === 'number') return BigInt(value);
  return value as DuckDBValue;
}
