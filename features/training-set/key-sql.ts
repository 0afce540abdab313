/** SQL that picks a chunk's entity rows by their key (ChunkKeyBuckets, ChunkKeyRange). */
import { quoteIdentifier as q } from '../../engine/sql.js';
import { nativeBucketSql } from '../../engine/transform-sql.js';
import type { ChunkKeyBuckets, ChunkKeyRange } from './chunks.js';

/** The column a relation's rows get with their key-bucket position (ChunkKeyBuckets). */
export const KEY_POSITION_COLUMN = '__floe_key_position';

/** At most this many positions: enough to cut a source bucket's entity rows into many chunks, few enough to count quickly. */
const MAX_POSITIONS = 4096;

/** The positions for a source of `sourceBuckets` buckets: a multiple of it, the largest power-of-two one up to MAX_POSITIONS. */
export function positionsFor(sourceBuckets: number): number {
  let buckets = sourceBuckets;
  while (buckets * 2 <= MAX_POSITIONS) buckets *= 2;
  return buckets;
}

/** `relation`'s rows with KEY_POSITION_COLUMN added: 0 for a null key (or, hashed as an integer, one that is no integer). */
export function withKeyPosition(relation: string, layout: Omit<ChunkKeyBuckets, 'from' | 'to'>): string {
  if (layout.hash === 'md5') {
    const key = q(layout.column);
    const position = `CASE WHEN ${key} IS NULL THEN 0 ELSE CAST(md5_number_lower(CAST(${key} AS VARCHAR)) % ${layout.buckets} AS INTEGER) END`;
    return `SELECT *, ${position} AS ${q(KEY_POSITION_COLUMN)} FROM (${relation})`;
  }
  const key = '__floe_key';
  const b = q('__floe_key_bucket');
  const bucket = nativeBucketSql(q(key), 'long', layout.buckets, '__floe_key_step')!;
  let sql = `SELECT *, ${integerKeySql(layout.column)} AS ${q(key)} FROM (${relation})`;
  for (const [name, step] of bucket.steps) sql = `SELECT *, ${step} AS ${name} FROM (${sql})`;
  const perSource = layout.buckets / layout.sourceBuckets;
  const position = `CASE WHEN ${q(key)} IS NULL THEN 0 ELSE (${b} % ${layout.sourceBuckets}) * ${perSource} + ${b} // ${layout.sourceBuckets} END`;
  const helpers = [q(key), ...bucket.steps.map(([name]) => name)].join(', ');
  return `SELECT * EXCLUDE (${helpers}, ${b}), ${position} AS ${q(KEY_POSITION_COLUMN)} FROM (SELECT *, ${bucket.sql} AS ${b} FROM (${sql}))`;
}

/** The rows of `relation` in the chunk's positions, its own columns only, in its order. */
export function rowsOfKeyBuckets(relation: string, keyBuckets: ChunkKeyBuckets): string {
  const position = q(KEY_POSITION_COLUMN);
  return `SELECT * EXCLUDE (${position}) FROM (${withKeyPosition(relation, keyBuckets)}) WHERE ${position} >= ${keyBuckets.from} AND ${position} < ${keyBuckets.to}`;
}

/** The key as a BIGINT: null for a null key or one that is no integer. */
export function integerKeySql(column: string): string {
  return `TRY_CAST(${q(column)} AS BIGINT)`;
}

/** The rows of `relation` whose key lies in the chunk's range, its own columns only, in its order. */
export function rowsOfKeyRange(relation: string, keyRange: ChunkKeyRange): string {
  const key = integerKeySql(keyRange.column);
  const conditions = [
    ...(keyRange.from === null ? [] : [`${key} >= ${BigInt(keyRange.from)}`]),
    ...(keyRange.to === null ? [] : [`${key} < ${BigInt(keyRange.to)}`]),
  ];
  const inRange = conditions.length === 0 ? 'true' : conditions.join(' AND ');
  // The first range also holds the rows without an integer key.
  return `SELECT * FROM (${relation}) WHERE ${keyRange.from === null ? `${key} IS NULL OR (${inRange})` : inRange}`;
}
