/**
 * What is left of a row filter for one data file once its column metrics have ruled: every
 * predicate the metrics prove true of all the file's rows becomes `true` (rangeMustMatch), and
 * the rest is kept as it is. A reader then filters that file's rows by the residual alone, and a
 * file whose residual is `true` is read without a filter, or without the columns only the filter
 * needed. The usual case is a time-range filter over day or hour partitions: every file inside the
 * range holds only matching rows. Iceberg's DELETE trusts the same metrics (StrictMetricsEvaluator)
 * to drop whole files.
 */
import type { DataFile } from '../spec/manifest.js';
import type { BoundExpression } from './bound.js';
import { TRUE, toValuePredicate } from './bound.js';
import { metricsRange } from './metrics-evaluator.js';
import { rangeMustMatch } from './value-range.js';
import { combine } from './visitor.js';

export function metricsResidual(filter: BoundExpression, file: DataFile): BoundExpression {
  switch (filter.op) {
    case 'true':
    case 'false':
      return filter;
    case 'and':
    case 'or':
      return combine(
        filter.op,
        filter.args.map((arg) => metricsResidual(arg, file)),
      );
    default:
      return rangeMustMatch(filter.term.type, toValuePredicate(filter), metricsRange(filter, file)) ? TRUE : filter;
  }
}
