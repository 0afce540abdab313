// `bench pit` and `bench aggregate` take their scales as fractions of the full one, the way
// (`--scale 10x`) or as plain numbers; anything else stops the bench with the accepted form. Each
// scale's counts and data folder follow from its fraction.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { perRowGrowth, scaled, scaleFractionsArgument } from '../../../bench/_scale.js';

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

describe('scaled', () => {
  it('multiplies every count, rounded, and names the data folder by the fraction', () => {
    const full = { entityRows: 1_000_000, keys: 100_000 };
    assert.deepEqual(scaled(full, 1), { entityRows: 1_000_000, keys: 100_000, name: 'full', fraction: 1 });
    assert.deepEqual(scaled(full, 0.1), { entityRows: 100_000, keys: 10_000, name: 'quick', fraction: 0.1 });
    assert.deepEqual(scaled(full, 10), { entityRows: 10_000_000, keys: 1_000_000, name: 'x10', fraction: 10 });
    assert.deepEqual(scaled({ keys: 5 }, 0.3), { keys: 2, name: 'x0.3', fraction: 0.3 });
  });
});

describe('perRowGrowth', () => {
  it('is time per entity row at the largest scale ÷ at the smallest, null with one scale or a time missing', () => {
    const scales = [{ entity_rows: 1_000 }, { entity_rows: 10_000 }];
    assert.equal(
      perRowGrowth(scales, (index) => [2, 27.2][index]!),
      1.36,
    );
    assert.equal(
      perRowGrowth(scales.slice(0, 1), () => 2),
      null,
    );
    assert.equal(
      perRowGrowth(scales, (index) => [2, null][index]!),
      null,
    );
  });
});
