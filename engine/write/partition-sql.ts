import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DuckDBMapValue } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import type { PartitionSpec } from '../../iceberg/spec/partition.js';
import { findField } from '../../iceberg/spec/schema.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { parseTransform } from '../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { quoteIdentifier as q, quoteLiteral } from '../sql.js';
import { nativeBucketSql, nativeTimeTransformSql } from '../transform-sql.js';
import type { SqlStep } from '../transform-sql.js';
import { duckdbType } from '../types.js';
import { toPrimitiveValue } from '../values.js';

/** A column the query computes only to split files by (a bucket number, an hour): never written into them. */
export interface PartitionColumn {
  readonly name: string;
  /** The type of the partition value as Iceberg records it (e.g. `int` for bucket and hour). */
  readonly type: PrimitiveType;
}

export interface PartitionColumnSql extends PartitionColumn {
  /** The expression computing the partition value from the row's columns and `steps`. */
  readonly sql: string;
  /** Columns computed first, in order, for `sql` to read. */
  readonly steps?: readonly SqlStep[];
}

const TRUNCATE_FUNCTION: Partial<Record<string, string>> = {
  int: 'iceberg_truncate_int',
  long: 'iceberg_truncate_long',
  string: 'iceberg_truncate_string',
  binary: 'iceberg_truncate_binary',
};

const ROWS = q('__floe_rows');

/**
 * One computed column per partition field of `spec`, named `__floe_partition_<i>`, for the
 * Parquet writer to split files by; add them to a query with `withPartitionColumns`. Uses the
 * functions of partition-functions.ts.
 */
export function partitionColumnsSql(spec: PartitionSpec, schema: Schema): PartitionColumnSql[] {
  return spec.fields.map((field, index) => {
    const source = findField(schema, field.sourceId);
    if (!source || typeof source.type !== 'string') {
      throw new FloeError(
        'invalid-input',
        `Partition field ${field.name} refers to source field id ${field.sourceId}, which is not a primitive column of the schema`,
        {
          context: { field: field.name },
        },
      );
    }
    const sourceType = source.type;
    const transform = parseTransform(field.transform);
    const resultType = transform.resultType(sourceType) as PrimitiveType;
    const column = `${ROWS}.${q(source.name)}`;
    // As the field's Iceberg type, so a transform sees the value as it will be written.
    const typed = `CAST(${column} AS ${duckdbType(sourceType)})`;
    const name = `__floe_partition_${index}`;
    switch (transform.kind) {
      case 'identity':
        return { name, type: resultType, sql: column };
      case 'void':
        return { name, type: resultType, sql: `CAST(NULL AS ${duckdbType(resultType)})` };
      case 'bucket': {
        const buckets = transform.parameter!;
        const native = nativeBucketSql(typed, sourceType, buckets, `${name}_step`);
        return { name, type: resultType, ...(native ?? { sql: `iceberg_bucket(${buckets}, ${typed})` }) };
      }
      case 'truncate': {
        const fn = TRUNCATE_FUNCTION[sourceType];
        if (!fn)
          throw new FloeError('unsupported', `Writing truncate partitions of ${sourceType} columns is not supported yet`, {
            context: { field: field.name },
          });
        return { name, type: resultType, sql: `${fn}(${transform.parameter}, ${column})` };
      }
      default: {
        const transformed =
          nativeTimeTransformSql(transform.kind, typed, sourceType) ?? `iceberg_transform_int(${quoteLiteral(transform.name)}, ${typed})`;
        // Java and pyiceberg type day partitions as dates (days since the epoch, like the int they are).
        return { name, type: resultType, sql: resultType === 'date' ? `(DATE '1970-01-01' + ${transformed})` : transformed };
      }
    }
  });
}

/** The query with its partition columns appended (their steps computed on the way, then dropped). */
export function withPartitionColumns(query: string, columns: readonly PartitionColumnSql[]): string {
  if (columns.length === 0) return query;
  const steps = columns.flatMap((column) => column.steps ?? []);
  const stepped = steps.reduce((inner, [name, sql]) => `SELECT ${ROWS}.*, ${sql} AS ${name} FROM (${inner}) AS ${ROWS}`, query);
  const rows = steps.length === 0 ? `${ROWS}.*` : `${ROWS}.* EXCLUDE (${steps.map(([name]) => name).join(', ')})`;
  return `SELECT ${rows}, ${columns.map((column) => `${column.sql} AS ${q(column.name)}`).join(', ')} FROM (${stepped}) AS ${ROWS}`;
}

/** Partition values from COPY's RETURN_STATS (DuckDB's text for each value), cast back by DuckDB into their types. */
export async function partitionValues(
  connection: DuckDBConnection,
  keys: DuckDBValue,
  partitionColumns: readonly PartitionColumn[],
  file: string,
): Promise<(PrimitiveValue | null)[]> {
  if (partitionColumns.length === 0) return [];
  if (!(keys instanceof DuckDBMapValue))
    throw new FloeError('internal', 'DuckDB reported no partition values for a partitioned file', { context: { file } });
  const byName = new Map(keys.entries.map((entry) => [String(entry.key), entry.value === null ? null : String(entry.value)]));
  const casts = partitionColumns.map((column) => {
    if (!byName.has(column.name))
      throw new FloeError('internal', `DuckDB reported no value for partition column ${JSON.stringify(column.name)}`, {
        context: { file },
      });
    const text = byName.get(column.name) ?? null;
    // A string partition value is its own text (and may hold a NUL no SQL literal can).
    return text === null || column.type === 'string' ? 'NULL' : `CAST(${quoteLiteral(text)} AS ${duckdbType(column.type)})`;
  });
  const reader = await connection.runAndReadAll(`SELECT ${casts.join(', ')}`);
  const row = reader.getRows()[0] ?? [];
  return partitionColumns.map((column, index) =>
    column.type === 'string' ? (byName.get(column.name) ?? null) : toPrimitiveValue(row[index] ?? null, column.type),
  );
}
