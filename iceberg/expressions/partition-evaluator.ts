/**
 * May a data file's partition hold rows that match a filter? Its partition tuple is exact, so the
 * filter's inclusive projection onto the file's spec is evaluated on the values themselves.
 */
import type { PartitionSpec, PartitionValues } from '../spec/partition.js';
import type { BoundExpression } from './bound.js';
import { evaluateProjected, projectInclusive } from './projection.js';
import type { ProjectedExpression } from './projection.js';
import { valueMightMatch } from './value-range.js';

export type PartitionEvaluator = (specId: number, partition: PartitionValues) => boolean;

export function partitionEvaluator(filter: BoundExpression, specs: readonly PartitionSpec[]): PartitionEvaluator {
  const projections = new Map<number, ProjectedExpression | null>();
  const projectionFor = (specId: number): ProjectedExpression | null => {
    let projection = projections.get(specId);
    if (projection === undefined) {
      const spec = specs.find((candidate) => candidate.specId === specId);
      projection = spec ? projectInclusive(filter, spec) : null;
      projections.set(specId, projection);
    }
    return projection;
  };
  return (specId, partition) => {
    const projection = projectionFor(specId);
    if (!projection) return true;
    return evaluateProjected(projection, ({ position, type, predicate }) => {
      // A tuple shorter than its spec is not ours to judge: keep the file.
      if (position >= partition.length) return true;
      return valueMightMatch(type, predicate, partition[position] ?? null);
    });
  };
}
