/** Online/offline consistency: do online reads serve what training sets are computed from? */
export { checkConsistency, DEFAULT_CONSISTENCY_SAMPLE } from './check.js';
export type { ConsistencyCheckOptions } from './check.js';
export { appendConsistencyReport, DEFAULT_CONSISTENCY_TABLE, latestMismatchRates, mismatchRateHistory } from './report.js';
export type { MismatchRatePoint } from './report.js';
export type { LatestMismatchRate } from './report.js';
export type { ConsistencyReport, FeatureConsistency, MismatchExample } from '../../contracts/consistency.js';
export { comparisonOf, FLOATING_SUM_RELATIVE_TOLERANCE, sameFeatureValue } from './compare.js';
