import { keyRequirements } from '../historical/get-historical-features.js';
import { resolveHistoricalFeatures } from '../selection.js';
import type { EntityKeyRequirement } from '../historical/entity-rows.js';
import { DEFAULT_ENTITY_TIMESTAMP } from '../historical/get-historical-features.js';
import { planSourceEntityRows, sourceEntityRowsSql } from '../historical/source-entity-rows.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { EntityFile, EntitySegment } from './chunks.js';
import type { SourceEntitiesRequest, TrainingSetRequest } from './request.js';

/**
 * Entity rows from a source (`entities: { from, start, end }`) in a training set: the source's data
 * files in range at one snapshot, each read whole by one chunk with the deletes that apply to it.
 */

/** The join keys the requested features need: the columns the source must give. */
function requestKeys(context: FeatureContext, request: TrainingSetRequest): EntityKeyRequirement[] {
  return keyRequirements(context.registry, resolveHistoricalFeatures(context.registry, request).projections);
}

/** The source's data files that may hold rows in range (with their row counts before the range and deletes), and the snapshot read. */
export async function sourceEntityFiles(
  context: FeatureContext,
  request: TrainingSetRequest & { readonly entities: SourceEntitiesRequest },
): Promise<{ files: EntityFile[]; snapshotId: string | null }> {
  const planned = await planSourceEntityRows(context, request.entities, requestKeys(context, request));
  return {
    files: planned.plan.tasks.map((task) => ({ file: task.dataFile.filePath, rows: Number(task.dataFile.recordCount) })),
    snapshotId: planned.plan.snapshotId?.toString() ?? null,
  };
}

/** SQL for the rows in range of the segments' files at the planned snapshot: keys and the event time as the entity timestamp, in file and row order. */
export async function sourceChunkEntitySql(
  context: FeatureContext,
  request: TrainingSetRequest & { readonly entities: SourceEntitiesRequest },
  segments: readonly EntitySegment[],
  snapshotId: string | null,
): Promise<string> {
  const keys = requestKeys(context, request);
  const planned = await planSourceEntityRows(context, request.entities, keys, snapshotId === null ? undefined : BigInt(snapshotId));
  return sourceEntityRowsSql(planned, {
    keys,
    readFiles: context.engine.readFiles,
    timestampColumn: request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
    files: [...new Set(segments.map((segment) => segment.file))],
    ...signalOf(context),
  });
}
