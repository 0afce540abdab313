import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { ancestorsOf, snapshotForRef } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
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
  /** Messages the dead-letter table holds (its head snapshot's total-records); 0 before it exists. */
  readonly deadLetters: number;
}

export async function streamStatus(catalog: Catalog, registry: Registry, stream: StreamSourceDefinition): Promise<StreamStatus> {
  const table = registry.batchSourceOf(registry.pushSourceOf(stream)).table;
  const deadLetters = deadLetterIdentifier(stream, table);
  const [metadata, deadLetterMetadata] = await Promise.all([
    metadataOf(catalog, parseTableIdentifier(table)),
    metadataOf(catalog, deadLetters),
  ]);
  const offsets = metadata === null ? new Map<number, bigint>() : recordedOffsets(metadata, stream.name);
  const total = deadLetterMetadata === null ? undefined : snapshotForRef(deadLetterMetadata, MAIN_BRANCH)?.summary['total-records'];
  return {
    stream: stream.name,
    topic: stream.kafka.topic,
    table,
    deadLetterTable: formatTableIdentifier(deadLetters),
    partitions: [...offsets].sort(([a], [b]) => a - b).map(([partition, next]) => ({ partition, nextOffset: next.toString() })),
    lastCommit: metadata === null ? null : lastStreamCommit(metadata, stream.name),
    deadLetters: total === undefined ? 0 : Number(total),
  };
}

/** The newest snapshot whose record of the stream differs from its parent's: Floe's other commits carry the record unchanged. */
function lastStreamCommit(metadata: TableMetadata, stream: string): string | null {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return null;
  const property = streamOffsetsProperty(stream);
  const history = [...ancestorsOf(metadata, head.snapshotId)];
  const moved = history.find((snapshot, index) => {
    const record = snapshot.summary[property];
    return record !== undefined && record !== history[index + 1]?.summary[property];
  });
  return moved === undefined ? null : new Date(moved.timestampMs).toISOString();
}

async function metadataOf(catalog: Catalog, identifier: TableIdentifier): Promise<TableMetadata | null> {
  try {
    return (await catalog.loadTable(identifier)).metadata;
  } catch (error) {
    if (FloeError.is(error, 'not-found')) return null;
    throw error;
  }
}
