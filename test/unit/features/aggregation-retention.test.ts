// online.retention bounds the aggregation windows an online table can answer: a longer window is
// refused when the view is defined (and by `floe apply`, which checks every view the same way).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { defineFeatureView, windowBeyondRetention } from '../../../features/definitions.js';
import { FloeError } from '../../../core/errors.js';

const base = { name: 'trips', entities: ['driver'], source: 'trips' };
const aggregations = [{ column: 'amount', functions: ['sum' as const], windows: ['1h', '7d'] }];

it('a window longer than online.retention is refused, naming the view, the window and the setting', () => {
  assert.throws(
    () => defineFeatureView({ ...base, aggregations, online: { retention: { days: 3 } } }),
    (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'));
      assert.match(
        error.detail,
        /feature view trips: window 7d of feature amount_sum_7d is longer than online\.retention \(259200 seconds\)/,
      );
      assert.equal(error.context?.field, 'online.retention');
      return true;
    },
  );
});

it('windows up to the retention, or no retention, are accepted', () => {
  const view = defineFeatureView({ ...base, aggregations, online: { retention: { days: 7 } } });
  assert.equal(windowBeyondRetention(view), null);
  assert.equal(windowBeyondRetention(defineFeatureView({ ...base, aggregations })), null);
  assert.match(windowBeyondRetention({ ...view, online: { ...view.online, retention: { hours: 2 } } }) ?? '', /window 7d/);
});
