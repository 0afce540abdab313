// NON_RETRYABLE_FLOE_ERRORS is computed from the FloeError kinds; the oracle is the list the
// workers wrote by hand before, as recorded in the replay histories' activity retry policies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FLOE_ERROR_KINDS, NON_RETRYABLE_FLOE_ERRORS } from '../../../contracts/error-kinds.js';
import { FloeError } from '../../../core/errors.js';
import { HISTORIES_DIRECTORY } from '../../support/histories.js';

interface HistoryEvent {
  readonly activityTaskScheduledEventAttributes?: { readonly retryPolicy?: { readonly nonRetryableErrorTypes?: readonly string[] } };
}

function recordedNonRetryable(history: string): readonly string[] | undefined {
  const { events } = JSON.parse(readFileSync(path.join(HISTORIES_DIRECTORY, history), 'utf8')) as { events: HistoryEvent[] };
  return events.find((event) => event.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes?.retryPolicy
    ?.nonRetryableErrorTypes;
}

test('the computed non-retryable list is the one recorded materialize and compact runs used', () => {
  for (const history of ['materialize-sql.json', 'compact-online.json'])
    assert.deepEqual(NON_RETRYABLE_FLOE_ERRORS, recordedNonRetryable(history), history);
});

test('every kind a FloeError does not retry by default is non-retryable in workflows too, but catalog and already-exists', () => {
  const notRetriedByDefault = FLOE_ERROR_KINDS.filter(
    (kind) => !new FloeError(kind, 'probe').retryable && kind !== 'catalog' && kind !== 'already-exists',
  );
  assert.deepEqual([...NON_RETRYABLE_FLOE_ERRORS].sort(), notRetriedByDefault.map((kind) => `FloeError:${kind}`).sort());
});
