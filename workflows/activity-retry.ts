import type { RetryPolicy } from '@temporalio/workflow';

/**
 * Activity failures that retrying cannot fix (bad input, a missing table, corrupt metadata). The
 * activities already mark these non-retryable (activities/activity-support.ts); the retry policies
 * say so too, so a failure raised outside that mapping is not retried either.
 */
export const NON_RETRYABLE_FLOE_ERRORS: readonly string[] = ['FloeError:invalid-input', 'FloeError:not-found', 'FloeError:unsupported', 'FloeError:corrupt', 'FloeError:internal'];

/** Short catalog and planning steps: retried quickly. */
export function quickStepRetry(nonRetryable: readonly string[] = NON_RETRYABLE_FLOE_ERRORS): RetryPolicy {
  return { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [...nonRetryable] };
}

/** Long DuckDB and storage steps: retried with more room for a struggling store to recover. */
export function dataStepRetry(nonRetryable: readonly string[] = NON_RETRYABLE_FLOE_ERRORS): RetryPolicy {
  return { initialInterval: '5 seconds', maximumInterval: '5 minutes', nonRetryableErrorTypes: [...nonRetryable] };
}
