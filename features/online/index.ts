/** Online reads: the latest feature values of entity keys from the views' online Iceberg tables. */
export { OnlineStore, DEFAULT_MAX_CACHED_ROWS, DEFAULT_REFRESH_INTERVAL_MS } from './online-store.js';
export type { OnlineFeaturesRequest, OnlineStoreOptions } from './online-store.js';
export type { ViewFreshness } from './freshness.js';
export { resolveFeatureRefs, resolveFeatureService, resolveSelection } from '../selection.js';
export type { FeatureSelection, ViewProjection } from '../selection.js';
export { isoMicros, presentValue, responseRows } from './response.js';
export type { FeatureStatus, FeatureVector, OnlineFeaturesResponse, OnlineValue, ViewRead } from './response.js';
export { describeOnlineDataGap, onlineDataGaps } from './online-data-gaps.js';
export type { OnlineDataGap } from './online-data-gaps.js';
