/**
 * May a data file hold rows that match a filter, judging by its column metrics (value, null and
 * NaN counts, lower and upper bounds)? Java's InclusiveMetricsEvaluator, with its cautions:
 * missing metrics never prune; string and binary bounds may be truncated (a lower bound is then a
 * prefix of the minimum, an upper bound a value above the maximum), so they are only used as
 * bounds, never as values; NaN is never a bound. Unlike Java, a file that may hold NaN is kept for
 * `>` and `>=`, because the engine (DuckDB) sorts NaN above every number.
 */
import type { DataFile } from '../spec/manifest.js';
import type { BoundExpression, BoundPredicate } from './bound.js';
import { toValuePredicate } from './bound.js';
import { decodeBound, isFloating, rangeMightMatch } from './value-range.js';
import type { ValueRange } from './value-range.js';
import { evaluator } from './visitor.js';

export type MetricsEvaluator = (file: DataFile) => boolean;

export function metricsEvaluator(filter: BoundExpression): MetricsEvaluator {
  const matches = evaluator<BoundPredicate, DataFile>(filter, (predicate) => {
    const valuePredicate = toValuePredicate(predicate);
    return (file) => rangeMightMatch(predicate.term.type, valuePredicate, metricsRange(predicate, file));
  });
  return (file) => {
    if (file.recordCount === 0) return false;
    // Some old writers recorded -1 for an unknown count.
    if (file.recordCount < 0) return true;
    return matches(file);
  };
}

/** What a file's metrics say of one column; counts include nulls and NaN (spec: value_counts). */
export function metricsRange(predicate: BoundPredicate, file: DataFile): ValueRange {
  const { fieldId, type } = predicate.term;
  const floating = isFloating(type);
  const values = file.valueCounts?.get(fieldId);
  const nulls = file.nullValueCounts?.get(fieldId);
  const nans = floating ? file.nanValueCounts?.get(fieldId) : 0;
  const lower = decodeBound(type, file.lowerBounds?.get(fieldId));
  const upper = decodeBound(type, file.upperBounds?.get(fieldId));

  if (values !== undefined && (values === nulls || values === nans)) {
    // Only nulls, or only NaN.
    return {
      hasNull: values === nulls && values > 0,
      hasNaN: values === nans && values > 0,
      hasValue: false,
      lower: undefined,
      upper: undefined,
    };
  }
  const rest = values !== undefined && nulls !== undefined && nans !== undefined ? values - nulls - nans : undefined;
  return {
    hasNull: nulls === undefined ? undefined : nulls > 0,
    hasNaN: nans === undefined ? undefined : nans > 0,
    hasValue: rest !== undefined ? rest > 0 : lower !== undefined || upper !== undefined ? true : undefined,
    lower,
    upper,
  };
}
