import type { StreamStatus } from '../../features/stream/stream-status.js';
import type { TopicEndOffsets } from '../../features/stream/topic-end-offsets.js';

/** A partition of a stream source on the freshness page: where its table is, and how far behind the topic's end (longs as text). */
export interface PartitionLag {
  readonly partition: number;
  /** The next offset the table has not taken; null when it took none of the partition. */
  readonly nextOffset: string | null;
  /** The partition's end (the offset of its next message), null when the broker could not be asked. */
  readonly endOffset: string | null;
  /** endOffset − nextOffset (from 0 for a partition not taken yet); null with the end unknown. */
  readonly lag: string | null;
}

export interface StreamLagStatus extends Omit<StreamStatus, 'partitions'> {
  readonly partitions: readonly PartitionLag[];
  /** Why the lag is unknown (the broker could not be reached, or has no such topic); null when it is known. */
  readonly lagUnknown: string | null;
}

/** A stream's status with each partition's lag behind the broker's end offsets, or the reason they could not be read. */
export function withLag(status: StreamStatus, ends: TopicEndOffsets | Error): StreamLagStatus {
  const taken = new Map(status.partitions.map((entry) => [entry.partition, BigInt(entry.nextOffset)]));
  if (ends instanceof Error)
    return {
      ...status,
      partitions: status.partitions.map(({ partition, nextOffset }) => ({ partition, nextOffset, endOffset: null, lag: null })),
      lagUnknown: ends.message,
    };
  const partitions = [...new Set([...taken.keys(), ...ends.keys()])].sort((a, b) => a - b);
  return {
    ...status,
    partitions: partitions.map((partition) => {
      const next = taken.get(partition);
      const end = ends.get(partition);
      return {
        partition,
        nextOffset: next === undefined ? null : next.toString(),
        endOffset: end === undefined ? null : end.toString(),
        lag: end === undefined ? null : (end - (next ?? 0n)).toString(),
      };
    }),
    lagUnknown: null,
  };
}
