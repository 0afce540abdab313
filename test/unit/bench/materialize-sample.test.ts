// bench materialize refuses to report a time when a Feast store and Floe's online table disagree:
// the comparison of sampled online values must catch a changed value, a missing or extra entity,
// and must not confuse 0 with null.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differingRows } from '../../../bench/_materialize/feast.js';

const sample = [0, 1, 2, 3];
const floe = [[0.5, 0.25, 7], [0, 0, 0], [0.999, null, 499], null];

describe('differingRows', () => {
  it('finds nothing when every sampled row is the same', () => {
    assert.deepEqual(
      differingRows(
        sample,
        floe,
        floe.map((row) => (row === null ? null : [...row])),
      ),
      { count: 0, examples: [] },
    );
  });

  it('counts a changed value, a missing entity, an extra entity and a 0 read as null', () => {
    const feast = [[0.5, 0.25, 8], null, [0.999, 0, 499], [1, 1, 1]];
    const found = differingRows(sample, floe, feast);
    assert.equal(found.count, 4);
    assert.equal(found.examples.length, 3);
    assert.match(found.examples[0]!, /^driver_id 0: \[0\.5,0\.25,7\] vs \[0\.5,0\.25,8\]$/);
  });

  it('counts rows a store left out at the end of the sample', () => {
    assert.equal(differingRows(sample, floe, floe.slice(0, 2)).count, 1);
  });
});
