import type { HistoricalFeaturesRequest } from '../historical/get-historical-features.js';

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
}

/** Table property naming the run (its key) that created a training set's output table. */
export const TRAINING_SET_KEY_PROPERTY = 'floe.training-set.key';
export const DEFAULT_CHUNK_ROWS = 100_000;

/** The historical retrieval a training set runs over these entity files (none: only the features are checked, or the result's shape found). */
export function historicalRequest(request: TrainingSetRequest, entities: { parquet: readonly string[] }): HistoricalFeaturesRequest {
  return {
    entities,
    ...(request.features === undefined ? {} : { features: request.features }),
    ...(request.featureService === undefined ? {} : { featureService: request.featureService }),
    ...(request.fullFeatureNames === undefined ? {} : { fullFeatureNames: request.fullFeatureNames }),
    ...(request.timestampColumn === undefined ? {} : { timestampColumn: request.timestampColumn }),
  };
}
