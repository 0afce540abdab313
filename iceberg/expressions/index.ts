/** Row filters: build them, bind them to a schema, and ask whether a manifest or file may match. */
export {
  alwaysFalse,
  alwaysTrue,
  and,
  describe,
  eq,
  gt,
  gtEq,
  isIn,
  isNaN,
  isNull,
  lt,
  ltEq,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from './expression.js';
export type { ComparisonOp, Expression, FilterLiteral, Predicate, PredicateOp, SetOp, UnaryOp } from './expression.js';
export { bind } from './bind.js';
export type { BindOptions } from './bind.js';
export { describeBound } from './bound.js';
export type { BoundExpression, BoundPredicate, BoundReference } from './bound.js';
export { manifestEvaluator } from './manifest-evaluator.js';
export type { ManifestEvaluator } from './manifest-evaluator.js';
export { partitionEvaluator } from './partition-evaluator.js';
export type { PartitionEvaluator } from './partition-evaluator.js';
export { metricsEvaluator } from './metrics-evaluator.js';
export type { MetricsEvaluator } from './metrics-evaluator.js';
