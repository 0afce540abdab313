// Which of the Temporal SDK core's own lines a process shows: none in `floe dev` (every reload shuts a
// worker down and core warns of it), WARN in `floe worker`, and FLOE_TEMPORAL_LOG_LEVEL over both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { temporalCoreLogFilter } from '../../../workers/worker-runtime.js';

test('floe dev shows none of core’s lines by default', () => {
  assert.equal(temporalCoreLogFilter({}, { quiet: true }), 'OFF,temporalio_sdk_core=OFF,temporalio_client=OFF,temporalio_common=OFF');
});

test('a worker shows core’s warnings by default, and other libraries’ errors', () => {
  assert.equal(temporalCoreLogFilter({}, { quiet: false }), 'ERROR,temporalio_sdk_core=WARN,temporalio_client=WARN,temporalio_common=WARN');
});

test('FLOE_TEMPORAL_LOG_LEVEL turns them on in floe dev, or sets their level, in any case', () => {
  assert.equal(
    temporalCoreLogFilter({ FLOE_TEMPORAL_LOG_LEVEL: 'warn' }, { quiet: true }),
    'ERROR,temporalio_sdk_core=WARN,temporalio_client=WARN,temporalio_common=WARN',
  );
  assert.equal(
    temporalCoreLogFilter({ FLOE_TEMPORAL_LOG_LEVEL: 'OFF' }, { quiet: false }),
    'OFF,temporalio_sdk_core=OFF,temporalio_client=OFF,temporalio_common=OFF',
  );
  assert.equal(temporalCoreLogFilter({ FLOE_TEMPORAL_LOG_LEVEL: '' }, { quiet: true }), temporalCoreLogFilter({}, { quiet: true }));
});

test('another value is refused naming the variable and the levels', () => {
  assert.throws(
    () => temporalCoreLogFilter({ FLOE_TEMPORAL_LOG_LEVEL: 'loud' }, { quiet: true }),
    (error: unknown) =>
      FloeError.is(error, 'invalid-input') &&
      /FLOE_TEMPORAL_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, got "loud"/.test(error.message),
  );
});
