import { isoMillis } from '../../contracts/instants.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { ancestorsOf, snapshotForRef } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { Snapshot } from '../../iceberg/spec/snapshot.js';
import { FloeError } from '../../core/errors.js';
import type { Registry } from '../registry.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import { deadLetterIdentifier } from './dead-letters.js';
import { recordedOffsets, streamOffsetsProperty } from '../online-table/stream-offsets.js';

/** Where a stream source stands, from its tables' metadata alone (Kafka is not asked). */
export interface StreamStatus {
  readonly stream: string;
  readonly topic: string;
  /** The batch source's table, which every message's row goes to. */
  readonly table: string;
  readonly deadLetterTable: string;
  /** Per Kafka partition, the next offset the table has not taken (a long, as text so it stays exact). */
  readonly partitions: readonly { readonly partition: number; readonly nextOffset: string }[];
  /** When the table last took messages of the stream (UTC ISO): its newest snapshot that moved the stream's offsets; null before the first. */
  readonly lastCommit: string | null;
  /**
   * Rows per second the stream landed in the table over its last batches (up to RATE_BATCHES): the
   * rows the later batches added (their snapshots' `added-records`) over the time from the first
   * batch's commit to the last's; null with fewer than two batches.
   */
  readonly rowsPerSecond: number | null;
  /** Messages the dead-letter table holds (its head snapshot's total-records); 0 before it exists. */
  readonly deadLetters: number;
}

/** How many of the stream's latest batches its rate is measured over. */
export const RATE_BATCHES = 20;

export async function streamStatus(catalog: Catalog, registry: Registry, stream: StreamSourceDefinition): Promise<StreamStatus> {
  const table = registry.batchSourceOf(registry.pushSourceOf(stream)).table;
  const deadLetters = deadLetterIdentifier(stream, table);
  const [metadata, deadLetterMetadata] = await Promise.all([
    metadataOf(catalog, parseTableIdentifier(table)),
    metadataOf(catalog, deadLetters),
  ]);
  const offsets = metadata === null ? new Map<number, bigint>() : recordedOffsets(metadata, stream.name);
  const batches = metadata === null ? [] : streamBatches(metadata, stream.name, RATE_BATCHES);
  const total = deadLetterMetadata === null ? undefined : snapshotForRef(deadLetterMetadata, MAIN_BRANCH)?.summary['total-records'];
  return {
    stream: stream.name,
    topic: stream.kafka.topic,
    table,
    deadLetterTable: formatTableIdentifier(deadLetters),
    partitions: [...offsets].sort(([a], [b]) => a - b).map(([partition, next]) => ({ partition, nextOffset: next.toString() })),
    lastCommit: batches[0] === undefined ? null : isoMillis(batches[0].timestampMs),
    rowsPerSecond: rateOf(batches),
    deadLetters: total === undefined ? 0 : Number(total),
  };
}

/**
 * The table's latest `count` snapshots that took messages of the stream, newest first: those whose
 * record of the stream differs from their parent's (Floe's other commits carry the record unchanged).
 */
function streamBatches(metadata: TableMetadata, stream: string, count: number): Snapshot[] {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return [];
  const property = streamOffsetsProperty(stream);
  const history = [...ancestorsOf(metadata, head.snapshotId)];
  const batches: Snapshot[] = [];
  for (const [index, snapshot] of history.entries()) {
    const record = snapshot.summary[property];
    if (record !== undefined && record !== history[index + 1]?.summary[property]) batches.push(snapshot);
    if (batches.length === count) break;
  }
  return batches;
}

/** Rows per second over batches (newest first): what all but the oldest added, over the time since the oldest's commit. */
function rateOf(batches: readonly Snapshot[]): number | null {
  const newest = batches[0];
  const oldest = batches.at(-1);
  if (newest === undefined || oldest === undefined || newest.timestampMs <= oldest.timestampMs) return null;
  const rows = batches.slice(0, -1).reduce((sum, batch) => sum + Number(batch.summary['added-records'] ?? 0), 0);
  return rows / ((newest.timestampMs - oldest.timestampMs) / 1000);
}

async function metadataOf(catalog: Catalog, identifier: TableIdentifier): Promise<TableMetadata | null> {
  try {
    return (await catalog.loadTable(identifier)).metadata;
  } catch (error) {
    if (FloeError.is(error, 'not-found')) return null;
    throw error;
  }
}
