import { ancestorsOf, snapshotForRef } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { isRecord } from '../../core/is-record.js';

// What a table's snapshots record of a stream source: per Kafka partition, the offset after the
// last message the table has taken (its rows, or for the dead-letter table its bad messages). Every
// stream commit to the table writes the whole map, so the newest snapshot that has one is the
// table's position. Floe's other commits (materialization, push, compaction) carry every stream's
// record forward unchanged (carriedStreamOffsets), so expiring the snapshot that set it loses
// nothing; a commit of another engine has none and leaves it as it was. Written and read only here.

/** partition → the next offset the table has not taken. */
export type PartitionOffsets = ReadonlyMap<number, bigint>;

/** The summary property holding a stream source's offsets: `{"<partition>": "<next offset>"}`. */
export function streamOffsetsProperty(stream: string): string {
  return `floe.stream.${stream}.offsets`;
}

const STREAM_OFFSETS_PROPERTY = /^floe\.stream\..+\.offsets$/;

/** Every stream's record as of the main branch's head (each from the newest snapshot that has it), to carry into a new snapshot. */
export function carriedStreamOffsets(metadata: TableMetadata): Record<string, string> {
  const carried: Record<string, string> = {};
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return carried;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId))
    for (const [key, value] of Object.entries(snapshot.summary))
      if (STREAM_OFFSETS_PROPERTY.test(key) && !Object.hasOwn(carried, key)) carried[key] = value;
  return carried;
}

/** The offsets the newest snapshot of the main branch that records the stream holds (empty: the table took nothing yet). */
export function recordedOffsets(metadata: TableMetadata, stream: string): PartitionOffsets {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return new Map();
  const property = streamOffsetsProperty(stream);
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    const text = snapshot.summary[property];
    if (text !== undefined) return parseOffsets(text);
  }
  return new Map();
}

/** The summary properties of a commit that takes a table from `recorded` to the batch's ends. */
export function offsetsSummary(stream: string, recorded: PartitionOffsets, ends: PartitionOffsets): Record<string, string> {
  const merged = new Map(recorded);
  for (const [partition, next] of ends) if ((merged.get(partition) ?? -1n) < next) merged.set(partition, next);
  const sorted = [...merged].sort(([a], [b]) => a - b);
  return { [streamOffsetsProperty(stream)]: JSON.stringify(Object.fromEntries(sorted.map(([p, next]) => [p, next.toString()]))) };
}

export function sameOffsets(a: PartitionOffsets, b: PartitionOffsets): boolean {
  return a.size === b.size && [...a].every(([partition, next]) => b.get(partition) === next);
}

/** Where to read each partition from so that no table misses a message: the least next offset over the tables. */
export function resumeOffsets(tables: readonly PartitionOffsets[]): Map<number, bigint | undefined> {
  const partitions = new Set(tables.flatMap((offsets) => [...offsets.keys()]));
  const resume = new Map<number, bigint | undefined>();
  for (const partition of partitions) {
    const nexts = tables.map((offsets) => offsets.get(partition));
    // A table with no record of the partition has taken none of it: from the earliest offset.
    resume.set(partition, nexts.includes(undefined) ? undefined : nexts.reduce((least, next) => (next! < least! ? next : least)));
  }
  return resume;
}

/** A summary property written by hand that is not such JSON records nothing. */
function parseOffsets(text: string): PartitionOffsets {
  const offsets = new Map<number, bigint>();
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed)) return offsets;
    for (const [partition, next] of Object.entries(parsed))
      if (/^\d+$/.test(partition) && typeof next === 'string' && /^\d+$/.test(next)) offsets.set(Number(partition), BigInt(next));
  } catch {
    // Not JSON: nothing recorded.
  }
  return offsets;
}
