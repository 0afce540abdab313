import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, retryPolicyFrom } from '../../../iceberg/commit/retry-policy.js';
import { backoffMs } from '../../../iceberg/util/backoff.js';
import { FloeError } from '../../../core/errors.js';

describe('commit retry policy', () => {
  it('defaults to waits capped at 2 s and 60 s in all, so a commit fits in its activity timeout', () => {
    assert.deepEqual(retryPolicyFrom({}), { numRetries: 4, minWaitMs: 100, maxWaitMs: 2_000, totalTimeoutMs: 60_000 });
  });

  it('reads the table properties, and explicit overrides win over them', () => {
    const properties = {
      'commit.retry.num-retries': '7',
      'commit.retry.min-wait-ms': '50',
      'commit.retry.max-wait-ms': '400',
      'commit.retry.total-timeout-ms': '9000',
    };
    assert.deepEqual(retryPolicyFrom(properties), { numRetries: 7, minWaitMs: 50, maxWaitMs: 400, totalTimeoutMs: 9000 });
    assert.equal(retryPolicyFrom(properties, { numRetries: 1 }).numRetries, 1);
  });

  it('names a bad property value', () => {
    assert.throws(
      () => retryPolicyFrom({ 'commit.retry.num-retries': 'many' }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /commit.retry.num-retries/.test(error.message),
    );
    assert.throws(
      () => retryPolicyFrom({ 'commit.retry.min-wait-ms': '-1' }),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
  });

  it('backs off exponentially from min-wait, capped at max-wait, with half of each wait random', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, minWaitMs: 100, maxWaitMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((retry) => backoffMs(retry, policy, () => 0)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((retry) => backoffMs(retry, policy, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });
});
