import type { SourceReadFigures } from '../../contracts/training-set.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { currentSchema, defaultSpec } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { parseTransform } from '../../iceberg/spec/transforms.js';
import type { FeatureContext } from '../context.js';
import { resolveHistoricalFeatures } from '../historical/feature-selection.js';
import { loadSourceTable, sourceColumns } from '../source.js';
import type { TrainingSetRequest } from './request.js';

export interface SourceLayout {
  /** One pass over every asked view's source: all the data files of its current snapshot. */
  readonly onePass: SourceReadFigures;
  /**
   * The join key to cut chunks by, when a view's source is partitioned by `bucket[N]` of its one
   * int or long join key (of several such views, the one with the most rows), with that N.
   */
  readonly keyBuckets: { readonly column: string; readonly sourceBuckets: number } | null;
}

/** What the views' sources hold, from their manifests (no data file is read). */
export async function sourceLayout(context: FeatureContext, request: TrainingSetRequest): Promise<SourceLayout> {
  const { projections } = resolveHistoricalFeatures(context.registry, request);
  let onePass: SourceReadFigures = { dataFiles: 0, rows: 0, bytes: 0 };
  let best: { column: string; sourceBuckets: number; rows: number } | null = null;
  for (const { view } of projections) {
    const source = context.registry.sourceOf(view);
    const table = await loadSourceTable(context.catalog, view, source);
    const plan = await planScan(table);
    const rows = plan.summary.dataRecords;
    onePass = {
      dataFiles: onePass.dataFiles + plan.tasks.length,
      rows: onePass.rows + rows,
      bytes: onePass.bytes + plan.tasks.reduce((sum, task) => sum + task.dataFile.fileSizeInBytes, 0),
    };
    const keys = context.registry.joinKeysOf(view);
    if (keys.length !== 1 || (keys[0]!.type !== 'long' && keys[0]!.type !== 'int')) continue;
    const sourceBuckets = keyBucketCount(table.metadata, sourceColumns(source)(keys[0]!.name));
    if (sourceBuckets !== null && (best === null || rows > best.rows)) best = { column: keys[0]!.name, sourceBuckets, rows };
  }
  return { onePass, keyBuckets: best === null ? null : { column: best.column, sourceBuckets: best.sourceBuckets } };
}

/** N of the current partition spec's `bucket[N]` field of the column, if it has one. */
function keyBucketCount(metadata: TableMetadata, column: string): number | null {
  const field = currentSchema(metadata).fields.find((candidate) => candidate.name === column);
  if (!field) return null;
  for (const partitionField of defaultSpec(metadata).fields) {
    if (partitionField.sourceId !== field.id) continue;
    const transform = parseTransform(partitionField.transform);
    if (transform.kind === 'bucket' && transform.parameter !== undefined) return transform.parameter;
  }
  return null;
}
