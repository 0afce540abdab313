import type { SourceReadFigures } from '../../contracts/training-set.js';
import { decodeBound } from '../../iceberg/expressions/value-range.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { currentSchema, defaultSpec } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { parseTransform } from '../../iceberg/spec/transforms.js';
import type { FeatureContext } from '../context.js';
import { resolveHistoricalFeatures } from '../selection.js';
import { loadSourceTable, sourceColumns } from '../source.js';
import type { TrainingSetRequest } from './request.js';

export interface SourceLayout {
  /** One pass over every asked view's source: all the data files of its current snapshot. */
  readonly onePass: SourceReadFigures;
  /**
   * How to cut chunks so each needs few of a source's files, judged on the source with the most
   * rows among the views with one int or long join key: by the buckets of the key when it is
   * partitioned by `bucket[N]` of it, by ranges of the key when its files hold narrow key ranges
   * (written sorted by the key); null when neither.
   */
  readonly cutBy:
    | { readonly kind: 'bucket'; readonly column: string; readonly sourceBuckets: number }
    | { readonly kind: 'range'; readonly column: string; readonly fileStarts: readonly bigint[] }
    | null;
  /**
   * What chunks are cut by when the exchange step runs instead: the join key of the source with the
   * most rows among the views with one int, long or string join key (a string's position is by MD5).
   */
  readonly exchangeKey: { readonly column: string; readonly hash?: 'md5' } | null;
}

/** What the views' sources hold, from their manifests (no data file is read). */
export async function sourceLayout(context: FeatureContext, request: TrainingSetRequest): Promise<SourceLayout> {
  const { projections } = resolveHistoricalFeatures(context.registry, request);
  let onePass: SourceReadFigures = { dataFiles: 0, rows: 0, bytes: 0 };
  let largest: { rows: number; cutBy: SourceLayout['cutBy'] } = { rows: -1, cutBy: null };
  let exchangeKey: { rows: number; key: SourceLayout['exchangeKey'] } = { rows: -1, key: null };
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
    if (keys.length === 1 && ['long', 'int', 'string'].includes(keys[0]!.type) && rows > exchangeKey.rows)
      exchangeKey = { rows, key: { column: keys[0]!.name, ...(keys[0]!.type === 'string' ? { hash: 'md5' as const } : {}) } };
    if (keys.length !== 1 || (keys[0]!.type !== 'long' && keys[0]!.type !== 'int') || rows <= largest.rows) continue;
    const column = keys[0]!.name;
    const field = currentSchema(table.metadata).fields.find((candidate) => candidate.name === sourceColumns(source)(column));
    if (field === undefined || (field.type !== 'long' && field.type !== 'int')) continue;
    const sourceBuckets = keyBucketCount(table.metadata, field.id);
    largest = {
      rows,
      cutBy:
        sourceBuckets !== null
          ? { kind: 'bucket', column, sourceBuckets }
          : narrowKeyRanges(plan, field.id, field.type)
            ? { kind: 'range', column, fileStarts: fileStarts(plan, field.id, field.type) }
            : null,
    };
  }
  return { onePass, cutBy: largest.cutBy, exchangeKey: exchangeKey.key };
}

/** N of the current partition spec's `bucket[N]` field of the column, if it has one. */
function keyBucketCount(metadata: TableMetadata, fieldId: number): number | null {
  for (const partitionField of defaultSpec(metadata).fields) {
    if (partitionField.sourceId !== fieldId) continue;
    const transform = parseTransform(partitionField.transform);
    if (transform.kind === 'bucket' && transform.parameter !== undefined) return transform.parameter;
  }
  return null;
}

/**
 * Whether the files' key bounds are narrow: a key value lies, on average, within the bounds of at
 * most a quarter of the files (1.5 for a few files), as when the files were written sorted by the
 * key. Files without bounds count as spanning every key.
 */
function narrowKeyRanges(plan: ScanPlan, fieldId: number, type: 'int' | 'long'): boolean {
  if (plan.tasks.length < 2) return false;
  const ranges = plan.tasks.map((task) => {
    const lower = decodeBound(type, task.dataFile.lowerBounds?.get(fieldId));
    const upper = decodeBound(type, task.dataFile.upperBounds?.get(fieldId));
    return lower === undefined || upper === undefined ? null : { lower: Number(lower), upper: Number(upper) };
  });
  const known = ranges.filter((range) => range !== null);
  if (known.length === 0) return false;
  const span = Math.max(...known.map((range) => range.upper)) - Math.min(...known.map((range) => range.lower)) + 1;
  const covered = ranges.reduce((sum, range) => sum + (range === null ? span : range.upper - range.lower + 1), 0);
  return covered / span <= Math.max(1.5, plan.tasks.length / 4);
}

/** The files' distinct key lower bounds, ascending: where a chunk's key range can start without sharing a file. */
function fileStarts(plan: ScanPlan, fieldId: number, type: 'int' | 'long'): bigint[] {
  const starts = new Set<bigint>();
  for (const task of plan.tasks) {
    const lower = decodeBound(type, task.dataFile.lowerBounds?.get(fieldId));
    if (lower !== undefined) starts.add(BigInt(lower as number | bigint));
  }
  return [...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
