/** `--again` picks a new workflow id after the derived one; with --workflow-id it is refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWorkflowId } from '../../../cli/again-option.js';
import { FloeError } from '../../../core/errors.js';

const DERIVED = 'materialize-stats-20240502T000000Z-20240503T000000Z';
const NOW = new Date('2026-11-25T22:41:07.512Z');

test('the derived id, the one given, or with --again the derived one and the instant asked', () => {
  assert.equal(runWorkflowId({}, DERIVED, NOW), DERIVED);
  assert.equal(runWorkflowId({ workflowId: 'mine' }, DERIVED, NOW), 'mine');
  assert.equal(runWorkflowId({ again: true }, DERIVED, NOW), `${DERIVED}-again-20261125T224107Z`);
});

test('--again with --workflow-id is bad input naming --again', () => {
  assert.throws(
    () => runWorkflowId({ again: true, workflowId: 'mine' }, DERIVED, NOW),
    (error: unknown) => FloeError.is(error, 'invalid-input') && error.context['field'] === '--again' && /not both/.test(error.message),
  );
});
