import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { commitChange } from '../../iceberg/commit/commit.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { fastAppend } from '../../iceberg/write/fast-append.js';
import type { FeatureContext } from '../context.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import { carriedSummary } from '../online-table/table-state.js';
import { deleteWritten, writeStagedRows, writtenFiles } from '../push/push-commit.js';
import type { StagedBatch, TableTarget } from '../push/push-commit.js';
import { carriedStreamOffsets, offsetsSummary, recordedOffsets, sameOffsets } from '../online-table/stream-offsets.js';
import type { PartitionOffsets } from '../online-table/stream-offsets.js';

/** Where a staged request (one message) came from. */
export interface MessagePosition {
  readonly partition: number;
  readonly offset: bigint;
}

/** What one table took of a batch: the rows it appended (0 when it held them all already) and its snapshot. */
export interface StreamTableCommit {
  readonly table: string;
  readonly rows: number;
  readonly snapshotId?: string;
}

/** Catalog conflicts of a busy table: retried soon and long, as pushes are. */
const STREAM_COMMIT_RETRY = { numRetries: 100, minWaitMs: 10, maxWaitMs: 500, totalTimeoutMs: 60_000 };

/**
 * Appends a batch's messages to one table exactly once: the table's snapshots record per partition
 * the offset after the last message it took, so only the messages at or past it are written, and
 * the commit records the batch's ends. Each attempt of the commit checks that the table's record
 * is still the one the rows were chosen by; when another writer moved it (a consumer this one
 * replaces, or one it is being replaced by), the rows are chosen again from the table as it is.
 */
export async function commitStreamBatch(
  context: FeatureContext,
  options: {
    stream: string;
    batchId: string;
    staged: StagedBatch;
    /** Per staged request, the message it is. */
    positions: readonly MessagePosition[];
    /** Per partition, the offset after the batch's last message (of every kind: good and bad). */
    ends: PartitionOffsets;
    target: TableTarget;
    directory: string;
  },
): Promise<StreamTableCommit> {
  const { target, stream } = options;
  const name = formatTableIdentifier(target.identifier);
  for (let attempt = 1; ; attempt++) {
    const table = await target.load();
    const recorded = recordedOffsets(table.metadata, stream);
    const remaining = options.positions.flatMap((position, index) =>
      position.offset >= (recorded.get(position.partition) ?? -1n) ? [index] : [],
    );
    // Everything here is held already; a table ahead of this batch is never moved back.
    if (remaining.length === 0) return { table: name, rows: 0 };
    const written = await writeStagedRows(context, table, {
      ...options,
      prefix: `stream-${options.batchId}-${attempt}`,
      requestIndexes: remaining,
    });
    try {
      const result = await commitChange(
        context.catalog,
        target.identifier,
        streamAppend(written.manifest, {
          idempotencyKey: `stream/${stream}/${options.batchId}/${name}`,
          summary: offsetsSummary(stream, recorded, options.ends),
          online: target.online,
          stream,
          stillAt: (base) => sameOffsets(recordedOffsets(base.metadata, stream), recorded),
        }),
        { retry: STREAM_COMMIT_RETRY, loaded: table, ownedFiles: writtenFiles(written) },
      );
      return { table: name, rows: remaining.length, snapshotId: String(result.snapshotId) };
    } catch (error) {
      if (!(error instanceof OffsetsMoved)) throw error;
      await deleteWritten(table, written);
    }
  }
}

/** Another writer committed messages of this stream to the table since its rows were chosen. */
class OffsetsMoved extends FloeError {
  constructor(table: string, stream: string) {
    super('commit-conflict', `Another consumer of stream source ${stream} committed to ${table} meanwhile`, { retryable: true });
  }
}

function streamAppend(
  manifest: Parameters<typeof fastAppend>[0][number],
  options: {
    idempotencyKey: string;
    summary: Record<string, string>;
    online: boolean;
    stream: string;
    stillAt: (base: LoadedTable) => boolean;
  },
): TableChange {
  return {
    description: `stream append of ${manifest.addedFilesCount} data file(s)`,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      if (!options.stillAt(base)) throw new OffsetsMoved(formatTableIdentifier(base.identifier), options.stream);
      // Carried first: this commit's own record replaces the base's.
      const carried = options.online ? carriedSummary(base.metadata) : carriedStreamOffsets(base.metadata);
      const summary = { ...carried, ...options.summary };
      return fastAppend([manifest], { idempotencyKey: options.idempotencyKey, summary }).prepare(base);
    },
  };
}

/** A batch's rows that could not land in a table, named by stream, topic and the offsets of each partition. */
export function batchFailure(
  stream: StreamSourceDefinition,
  target: TableTarget,
  cause: unknown,
  batch: ReadonlyMap<number, { readonly first: bigint; readonly next: bigint }>,
): FloeError {
  const ranges = [...batch].map(([partition, { first, next }]) => `partition ${partition} offsets ${first}..${next - 1n}`).join(', ');
  const detail = FloeError.is(cause) ? cause.detail : String(cause);
  return new FloeError(
    FloeError.is(cause) ? cause.kind : 'io',
    `Stream source ${stream.name} (topic ${stream.kafka.topic}): the batch of ${ranges} did not land in ${formatTableIdentifier(target.identifier)}: ${detail}; a restart resumes from the tables`,
    {
      context: { stream: stream.name, topic: stream.kafka.topic, table: formatTableIdentifier(target.identifier) },
      cause,
      retryable: FloeError.is(cause) && cause.retryable,
    },
  );
}
