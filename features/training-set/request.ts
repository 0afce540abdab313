import type { HistoricalFeaturesRequest } from '../historical/get-historical-features.js';
import { defined } from '../../contracts/defined.js';

/** A source's (or a feature view's source's) own rows with start ≤ event time < end (ISO-8601 instants) as the entity rows. */
export interface SourceEntitiesRequest {
  readonly from: string;
  readonly start: string;
  readonly end: string;
}

/** Entity rows: an Iceberg table (read at one snapshot), Parquet files (read in the order given), or a source's rows in a range. */
export type TrainingSetEntities =
  { readonly table: string; readonly snapshotId?: string } | { readonly parquet: readonly string[] } | SourceEntitiesRequest;

export interface TrainingSetRequest {
  readonly entities: TrainingSetEntities;
  readonly features?: readonly string[];
  readonly featureService?: string;
  readonly fullFeatureNames?: boolean;
  readonly timestampColumn?: string;
  readonly output: { readonly table: string };
  /** Replace an output table that holds the training set of another request (otherwise that is refused). */
  readonly replace?: boolean;
}

/** Table property naming the run (its key) that created a training set's output table. */
export const TRAINING_SET_KEY_PROPERTY = 'floe.training-set.key';
/** Table property holding what a training set's output table was built from (requestIdentity), to refuse a different request. */
export const TRAINING_SET_REQUEST_PROPERTY = 'floe.training-set.request';
export const DEFAULT_CHUNK_ROWS = 100_000;

/** What makes two training set requests the same result, field by field. */
export function requestIdentity(request: TrainingSetRequest): Record<string, unknown> {
  return {
    entities: request.entities,
    features: request.features ?? null,
    featureService: request.featureService ?? null,
    fullFeatureNames: request.fullFeatureNames ?? false,
    timestampColumn: request.timestampColumn ?? null,
  };
}

/** The fields of `identity` that differ from the stored identity (JSON), each as "field: before, now". */
export function requestDifferences(stored: string, identity: Record<string, unknown>): string[] {
  let before: Record<string, unknown>;
  try {
    before = JSON.parse(stored) as Record<string, unknown>;
  } catch {
    return ['the stored request is unreadable'];
  }
  return Object.entries(identity)
    .filter(([field, value]) => JSON.stringify(before[field] ?? null) !== JSON.stringify(value))
    .map(([field, value]) => `${field} was ${JSON.stringify(before[field] ?? null)}, now ${JSON.stringify(value)}`);
}

/** The historical retrieval a training set runs over these entity files (none: only the features are checked, or the result's shape found). */
export function historicalRequest(request: TrainingSetRequest, entities: { parquet: readonly string[] }): HistoricalFeaturesRequest {
  return {
    entities,
    ...defined({
      features: request.features,
      featureService: request.featureService,
      fullFeatureNames: request.fullFeatureNames,
      timestampColumn: request.timestampColumn,
    }),
  };
}
