// `npm run bench -- online --scale a,b` runs those scales alone, in the benchmark's order; without it the
// default run keeps 100M out (its table build is long), and MinIO starts only for a scale on S3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectedScales, services } from '../../../bench/online.js';

const names = (args: string[], quick = false): string[] => selectedScales({ quick, args }).map((scale) => scale.key);

test('the default run is 20k, 1M and 10M (local and on S3), without 100M; quick is 20k', () => {
  assert.deepEqual(names([]), ['20k', '1m', '1m_s3', '10m', '10m_s3']);
  assert.deepEqual(names([], true), ['20k']);
});

test('--scale takes keys or names, comma-separated, run in the benchmark order', () => {
  assert.deepEqual(names(['--scale', '100m_s3,10m']), ['10m', '100m_s3']);
  assert.deepEqual(names(['--scale', 's3_10m']), ['10m_s3']);
  assert.deepEqual(names(['--entity-factor', '0.01', '--scale', '10m']), ['10m']);
});

test('--scale refuses an unknown or missing scale', () => {
  assert.throws(() => names(['--scale', '10M']), /--scale "10M" is none of 20k, 1m, 1m_s3, 10m, 10m_s3, 100m_s3/);
  assert.throws(() => names(['--scale']), /--scale needs one or more of/);
});

test('MinIO and the REST catalog start only for a scale on S3', () => {
  assert.deepEqual(services({ quick: false, args: ['--scale', '10m'] }), ['python', 'redis']);
  assert.deepEqual(services({ quick: false, args: ['--scale', '10m,100m_s3'] }), ['python', 'redis', 'rest-catalog']);
  assert.deepEqual(services({ quick: true, args: [] }), ['python', 'redis']);
});
