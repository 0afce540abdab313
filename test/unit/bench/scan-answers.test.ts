// bench scan reports no time for a reader whose answer differs from the floor's. On a format v3
// table a Python peer that fails or reads other rows (its version does not apply deletion vectors)
// is reported as not comparable, with the reason; on v2 the same fails the run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agree, comparableAnswer, peerResult, type Answer } from '../../../bench/_iceberg/scan-answers.js';
import { formatVersionOf } from '../../../bench/scan.js';

const floor: Answer = { count: 90n, idSum: 4500n, valueSum: 112.25 };
const undeleted: Answer = { count: 100n, idSum: 4950n, valueSum: 123.75 };
const fails = (): Promise<never> =>
  Promise.reject(new Error('duckdb_iceberg_scan.py failed (exit 1):\nTraceback …\nduckdb.NotImplementedException: deletion vectors'));

describe('peerResult', () => {
  it('passes a peer that reads what the floor reads, on v2 and v3', async () => {
    for (const version of [2, 3] as const) {
      assert.deepEqual(await peerResult(version, floor, () => Promise.resolve({ ms: 12, answer: floor })), { ms: 12, answer: floor });
    }
  });

  it('on v3, a peer that fails is not comparable, with the last line of its error', async () => {
    const result = await peerResult(3, floor, fails);
    assert.deepEqual(result, { notComparable: 'it failed on the v3 table: duckdb.NotImplementedException: deletion vectors' });
    assert.deepEqual(comparableAnswer('duckdb_iceberg', result), {});
  });

  it('on v3, a peer that reads the deleted rows too is not comparable', async () => {
    const result = await peerResult(3, floor, () => Promise.resolve({ ms: 12, answer: undeleted }));
    assert.ok('notComparable' in result);
    assert.match(result.notComparable, /count 100, .* where the floor read count 90, .*does not apply the deletion vectors/);
  });

  it('on v2, a failing peer fails the run, and a wrong answer fails the agreement check', async () => {
    await assert.rejects(peerResult(2, floor, fails), /NotImplementedException/);
    const wrong = await peerResult(2, floor, () => Promise.resolve({ ms: 12, answer: undeleted }));
    assert.throws(
      () => agree('the current snapshot', floor, { floe: floor, ...comparableAnswer('pyiceberg', wrong) }),
      /pyiceberg read count 100, sum\(id\) 4950, sum\(value\) 123.75; the hand-written floor read count 90/,
    );
  });
});

describe('formatVersionOf', () => {
  it('is 2 unless --format-version says 3', () => {
    assert.equal(formatVersionOf([]), 2);
    assert.equal(formatVersionOf(['--format-version', '3']), 3);
    assert.equal(formatVersionOf(['--format-version=3']), 3);
    assert.equal(formatVersionOf(['--format-version', '2']), 2);
  });

  it('refuses another version, naming the option', () => {
    assert.throws(() => formatVersionOf(['--format-version', '4']), /--format-version takes 2 or 3 .*got "4"/);
    assert.throws(() => formatVersionOf(['--format-version']), /--format-version takes 2 or 3 .*got ""/);
  });
});
