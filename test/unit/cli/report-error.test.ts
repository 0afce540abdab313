// reportError: the exit code and the one line a failed command prints, for errors as the client
// receives them from a failed workflow (wrapped by Temporal) and as the CLI throws them.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { EXIT_BAD_INPUT, EXIT_FAILURE, reportError } from '../../../cli/output.js';
import { FloeError } from '../../../core/errors.js';
import { Redactor } from '../../../core/redaction.js';

const redactor = new Redactor();
const report = (error: unknown): number => reportError(error, redactor);

let printed: string[];
const original = console.error;

beforeEach(() => {
  printed = [];
  console.error = (...parts: unknown[]) => printed.push(parts.join(' '));
});
afterEach(() => {
  console.error = original;
});

/** A workflow failure as the client sees it: workflow ← activity ← the activity's failure ← its cause. */
function failedWorkflow(failure: ApplicationFailure): WorkflowFailedError {
  const activity = new ActivityFailure(
    'Activity task failed',
    'materializeWindow',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker',
    failure,
  );
  return new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
}

describe('reportError', () => {
  test('a FloeError an activity raised keeps its kind when it wraps a cause (the cause arrives kind-less)', () => {
    const cause = new ApplicationFailure('Column "x" does not exist (table=rides.driver_stats, column=x)', 'FloeError');
    const outer = new ApplicationFailure(
      'Feature view v, source table rides.driver_stats: Column "x" does not exist (table=rides.driver_stats, column=x, featureView=v)',
      'FloeError:invalid-input',
      true,
      [],
      cause,
    );
    assert.equal(report(failedWorkflow(outer)), EXIT_BAD_INPUT);
    assert.deepEqual(printed, [`floe: ${outer.message}`]);
  });

  test('not-found is bad input too; other kinds and foreign errors are failures', () => {
    assert.equal(report(failedWorkflow(new ApplicationFailure('No table rides.x', 'FloeError:not-found'))), EXIT_BAD_INPUT);
    assert.equal(report(failedWorkflow(new ApplicationFailure('S3 said 503', 'FloeError:io'))), EXIT_FAILURE);
    assert.equal(report(failedWorkflow(new ApplicationFailure('boom', 'Error'))), EXIT_FAILURE);
    assert.deepEqual(printed, ['floe: No table rides.x', 'floe: S3 said 503', 'floe: boom']);
  });

  test('a FloeError thrown by the CLI itself', () => {
    assert.equal(report(new FloeError('invalid-input', '--end must be after --start', { cause: new Error('inner') })), EXIT_BAD_INPUT);
    assert.equal(report(new FloeError('io', 'Cannot reach the Temporal server at 127.0.0.1:1')), EXIT_FAILURE);
    assert.deepEqual(printed, ['floe: --end must be after --start', 'floe: Cannot reach the Temporal server at 127.0.0.1:1']);
  });
});
