// `bench pit` and `bench aggregate` take their scales as fractions of the full one, the way
// (`--scale 10x`) or as plain numbers; anything else stops the bench with the accepted form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scaleFractionsArgument } from '../../../bench/_args.js';

describe('scaleFractionsArgument', () => {
  it('reads fractions with or without an x, smallest first, each once', () => {
    assert.deepEqual(scaleFractionsArgument(['--scale', '10x,1x'], [1]), [1, 10]);
    assert.deepEqual(scaleFractionsArgument(['--scale=0.3,0.1,0.3'], [1]), [0.1, 0.3]);
    assert.deepEqual(scaleFractionsArgument(['--scale', '10×'], [1]), [10]);
  });

  it('falls back when there is no --scale', () => {
    assert.deepEqual(scaleFractionsArgument(['--on-demand'], [0.03, 0.1]), [0.03, 0.1]);
  });

  it('refuses what is not a fraction up to 10, naming the accepted form', () => {
    for (const given of [['--scale'], ['--scale', '11x'], ['--scale', '0'], ['--scale', '1y'], ['--scale', '']])
      assert.throws(() => scaleFractionsArgument(given, [1]), /--scale takes fractions of the full scale \(at most 10\).*1x,10x; got/);
  });
});
