import type { TransformKind } from '../iceberg/spec/transforms.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import { quoteIdentifier as q } from './sql.js';

/** A column a nested SELECT adds, computed from the row and the steps before it. */
export type SqlStep = readonly [name: string, sql: string];

export interface BucketSql {
  /** Columns to add first, in order. */
  readonly steps: readonly SqlStep[];
  /** The bucket, an INTEGER, from the row and the steps. */
  readonly sql: string;
}

const U32 = '4294967295';

/** What each type hashes as (spec Appendix B): ints and dates widen to a long, times and timestamps are microseconds. */
function hashedLongSql(value: string, type: PrimitiveType): string | undefined {
  switch (type) {
    case 'int':
    case 'long':
      return `CAST(${value} AS BIGINT)`;
    case 'date':
      return `CAST(${value} - DATE '1970-01-01' AS BIGINT)`;
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return `epoch_us(${value})`;
    default:
      return undefined;
  }
}

/**
 * Iceberg's `bucket[n]` of `value` (a column of Iceberg type `type`) in DuckDB's own arithmetic,
 * for the types that hash as a long: murmur3_x86_32 with seed 0 over the long's two little-endian
 * 32-bit blocks, on UBIGINTs masked to 32 bits, then `(hash & Integer.MAX_VALUE) % n`. The
 * `iceberg_bucket` function (scalar-functions.ts) computes the same in JavaScript, a call per
 * chunk on Node's one main thread; bucketing every row of an online table's write there kept
 * DuckDB's threads waiting (3M longs: 850 ms through the function, 110 ms here). Intermediate
 * values that the hash reads twice are steps of their own, so no expression is repeated.
 * Undefined for types that hash as bytes (strings, binary, uuid, decimals, nanosecond timestamps).
 */
export function nativeBucketSql(value: string, type: PrimitiveType, buckets: number, stepPrefix: string): BucketSql | undefined {
  const long = hashedLongSql(value, type);
  if (long === undefined) return undefined;
  const steps: SqlStep[] = [];
  const step = (sql: string): string => {
    const name = q(`${stepPrefix}_${steps.length}`);
    steps.push([name, sql]);
    return name;
  };
  const rotateLeft = (x: string, bits: number): string => `(((${x} << ${bits}) | (${x} >> ${32 - bits})) & ${U32})`;

  const mixedBlock = (block: string): string => {
    const k = step(`(CAST(${block} AS UBIGINT) * 3432918353) & ${U32}`);
    return step(`(${rotateLeft(k, 15)} * 461845907) & ${U32}`);
  };
  const absorbed = (combined: string): string => step(`(${rotateLeft(combined, 13)} * 5 + 3864292196) & ${U32}`);

  const input = step(long);
  // With seed 0 the first block's xor into the hash is the block itself.
  const low = absorbed(mixedBlock(`${input} & ${U32}`));
  const hash = absorbed(step(`xor(${low}, ${mixedBlock(`(${input} >> 32) & ${U32}`)})`));
  let final = step(`xor(${hash}, 8)`);
  final = step(`(xor(${final}, ${final} >> 16) * 2246822507) & ${U32}`);
  final = step(`(xor(${final}, ${final} >> 13) * 3266489909) & ${U32}`);
  return { steps, sql: `CAST((xor(${final}, ${final} >> 16) & 2147483647) % ${buckets} AS INTEGER)` };
}

export type TimeTransform = Extract<TransformKind, 'year' | 'month' | 'day' | 'hour'>;

/**
 * Iceberg's `year`, `month`, `day` and `hour` of `value` (a column of Iceberg type `type`) as
 * DuckDB's `date_diff` from the epoch, an INTEGER: it counts the calendar boundaries crossed, which
 * is the spec's floor for values before 1970. A timestamptz is taken at UTC whatever the session's
 * time zone. Undefined for nanosecond timestamps, which the spec floors to microseconds and
 * DuckDB's casts truncate; `iceberg_transform_int` computes those.
 */
export function nativeTimeTransformSql(transform: TimeTransform, value: string, type: PrimitiveType): string | undefined {
  const fromEpoch = (calendar: string): string => `CAST(date_diff('${transform}', TIMESTAMP '1970-01-01', ${calendar}) AS INTEGER)`;
  switch (type) {
    case 'date':
    case 'timestamp':
      return fromEpoch(value);
    case 'timestamptz':
      return fromEpoch(`make_timestamp(epoch_us(${value}))`);
    default:
      return undefined;
  }
}
