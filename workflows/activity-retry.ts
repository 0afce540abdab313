import type { RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_FLOE_ERRORS } from '../contracts/error-kinds.js';

/**
 * Short catalog, planning and commit steps: retried after 1 s, doubling, capped at 5 s, so once a
 * restarted catalog or store answers again the step runs within seconds.
 */
export function quickStepRetry(nonRetryable: readonly string[] = NON_RETRYABLE_FLOE_ERRORS): RetryPolicy {
  return { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', nonRetryableErrorTypes: [...nonRetryable] };
}

/** Long DuckDB and storage steps: a little more room between attempts, still capped at 10 s. */
export function dataStepRetry(nonRetryable: readonly string[] = NON_RETRYABLE_FLOE_ERRORS): RetryPolicy {
  return { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: [...nonRetryable] };
}
