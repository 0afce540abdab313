import type { RetryPolicy } from '@temporalio/workflow';

/**
 * Activity failures that retrying cannot fix (bad input, a missing table, corrupt metadata). The
 * activities already mark these non-retryable (activities/activity-support.ts); the retry policies
 * say so too, so a failure raised outside that mapping is not retried either.
 */
export const NON_RETRYABLE_FLOE_ERRORS: readonly string[] = ['FloeError:invalid-input', 'FloeError:not-found', 'FloeError:unsupported', 'FloeError:corrupt', 'FloeError:internal'];

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
