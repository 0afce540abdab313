/** How long the commit loop keeps retrying, from the table's `commit.retry.*` properties. */
import { FloeError } from '../../core/errors.js';
import type { BackoffWindow } from '../util/backoff.js';

export interface RetryPolicy extends BackoffWindow {
  readonly numRetries: number;
  readonly totalTimeoutMs: number;
}

export const RETRY_PROPERTIES = {
  numRetries: 'commit.retry.num-retries',
  minWaitMs: 'commit.retry.min-wait-ms',
  maxWaitMs: 'commit.retry.max-wait-ms',
  totalTimeoutMs: 'commit.retry.total-timeout-ms',
} as const;

/**
 * Java's names, Floe's defaults: Java waits up to 60 s between attempts and 30 min in all; Floe caps
 * a wait at 2 s and the loop at 60 s, so a commit fits well inside its Temporal activity's timeout
 * and a longer contention is left to the activity's own retries (the loop starts with a reload).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { numRetries: 4, minWaitMs: 100, maxWaitMs: 2_000, totalTimeoutMs: 60_000 };

/** Chasing an unknown commit outcome: reload within a second or two, for up to 30 s. */
export const UNKNOWN_OUTCOME_RETRY: RetryPolicy = {
  numRetries: Number.MAX_SAFE_INTEGER,
  minWaitMs: 250,
  maxWaitMs: 2_000,
  totalTimeoutMs: 30_000,
};

export function retryPolicyFrom(properties: Readonly<Record<string, string>>, overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const read = (key: keyof RetryPolicy): number => {
    const override = overrides[key];
    if (override !== undefined) return override;
    const text = properties[RETRY_PROPERTIES[key]];
    if (text === undefined) return DEFAULT_RETRY_POLICY[key];
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new FloeError(
        'invalid-input',
        `Table property ${RETRY_PROPERTIES[key]} must be a non-negative integer, got ${JSON.stringify(text)}`,
        {
          context: { property: RETRY_PROPERTIES[key] },
        },
      );
    }
    return value;
  };
  return {
    numRetries: read('numRetries'),
    minWaitMs: read('minWaitMs'),
    maxWaitMs: read('maxWaitMs'),
    totalTimeoutMs: read('totalTimeoutMs'),
  };
}
