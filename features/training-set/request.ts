import type { HistoricalFeaturesRequest } from '../historical/get-historical-features.js';

/** Entity rows: an Iceberg table (read at one snapshot) or Parquet files (read in the order given). */
export type TrainingSetEntities = { readonly table: string; readonly snapshotId?: string } | { readonly parquet: readonly string[] };

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
