/**
 * May a manifest hold rows that match a filter? Decided from the manifest list's partition
 * summaries (contains_null, contains_nan, lower and upper bound per partition field) with the
 * filter's inclusive projection onto the manifest's own partition spec: a table can have several
 * specs over time and each manifest belongs to exactly one.
 */
import type { FieldSummary, ManifestFile } from '../spec/manifest.js';
import type { PartitionSpec } from '../spec/partition.js';
import type { PrimitiveType } from '../spec/types.js';
import type { BoundExpression } from './bound.js';
import { projectionEvaluators } from './projection.js';
import { decodeBound, isFloating, rangeMightMatch } from './value-range.js';
import type { ValueRange } from './value-range.js';

export type ManifestEvaluator = (manifest: ManifestFile) => boolean;

/** An evaluator for the manifests of a table with these specs; projections are made once per spec. */
export function manifestEvaluator(filter: BoundExpression, specs: readonly PartitionSpec[]): ManifestEvaluator {
  const evaluatorFor = projectionEvaluators<ManifestFile>(filter, specs, ({ position, type, predicate }) => (manifest) => {
    const summary = manifest.partitions?.[position];
    if (!summary) return true; // v1 manifest lists may have no summaries
    return rangeMightMatch(type, predicate, summaryRange(type, summary));
  });
  return (manifest) => {
    const matches = evaluatorFor(manifest.partitionSpecId);
    // A spec the metadata does not know: reading the manifest will say so; do not hide it here.
    return matches ? matches(manifest) : true;
  };
}

/**
 * The spec: a summary's bounds cover the values that are neither null nor NaN, and are null when
 * there are none. contains_nan may be null (v1 writers): unknown.
 */
export function summaryRange(type: PrimitiveType, summary: FieldSummary): ValueRange {
  return {
    hasNull: summary.containsNull,
    hasNaN: isFloating(type) ? (summary.containsNan ?? undefined) : false,
    hasValue: summary.lowerBound !== null || summary.upperBound !== null,
    lower: decodeBound(type, summary.lowerBound),
    upper: decodeBound(type, summary.upperBound),
  };
}
