/**
 * May a data file's partition hold rows that match a filter? Its partition tuple is exact, so the
 * filter's inclusive projection onto the file's spec is evaluated on the values themselves.
 */
import type { PartitionSpec, PartitionValues } from '../spec/partition.js';
import type { BoundExpression } from './bound.js';
import { projectionEvaluators } from './projection.js';
import { valueMightMatch } from './value-range.js';

export type PartitionEvaluator = (specId: number, partition: PartitionValues) => boolean;

export function partitionEvaluator(filter: BoundExpression, specs: readonly PartitionSpec[]): PartitionEvaluator {
  const evaluatorFor = projectionEvaluators<PartitionValues>(filter, specs, ({ position, type, predicate }) => (partition) => {
    // A tuple shorter than its spec is not ours to judge: keep the file.
    if (position >= partition.length) return true;
    return valueMightMatch(type, predicate, partition[position] ?? null);
  });
  return (specId, partition) => {
    const matches = evaluatorFor(specId);
    return matches ? matches(partition) : true;
  };
}
