/**
 * The closing line CI reads comes from parsing the TAP output of the runner npm test uses. The
 * oracle is Node itself: scratch test files with known outcomes run under scripts/run-test-files.ts,
 * and the parsed counts must match what those files are known to contain.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTapSummary, summaryLine } from '../../../scripts/test-summary.js';
import { runScratchTests } from '../../support/scratch-test-run.js';

describe('parseTapSummary', () => {
  test('counts what Node reports for passing, failing, skipped, todo and nested tests across files', () => {
    const { tap } = runScratchTests({
      'a.test.mjs': `
        import { test, describe } from 'node:test';
        test('passes', () => {});
        test('fails', () => { throw new Error('boom'); });
        test('skipped', { skip: true }, () => {});
        describe('group', () => {
          test('nested passes', () => {});
          test('nested fails', () => { throw new Error('nested boom'); });
        });
      `,
      'b.test.mjs': `
        import { test } from 'node:test';
        test('todo', { todo: true }, () => {});
        test('parent', async (t) => {
          await t.test('child 1', () => {});
          await t.test('child 2', () => {});
        });
      `,
    });
    // Leaf and parent tests alike are counted by Node: a.passes, a.nested passes, b.child 1,
    // b.child 2, b.parent pass; a.fails and a.nested fails fail; the describe block is a suite.
    assert.deepEqual(parseTapSummary(tap), { tests: 9, passed: 5, failed: 2, cancelled: 0, skipped: 1, todo: 1 });
  });

  test('counts a file that cannot even load as a failure', () => {
    const { tap } = runScratchTests({ 'broken.test.mjs': 'this is not javascript (' });
    const counts = parseTapSummary(tap);
    assert.ok(counts, 'a summary is still printed');
    assert.equal(counts.failed, 1);
    assert.equal(counts.passed, 0);
  });

  test('ignores indented subtest lines and takes the run totals', () => {
    const tap = [
      'TAP version 13',
      '    # pass 99',
      '# tests 3',
      '# pass 2',
      '# fail 1',
      '# cancelled 0',
      '# skipped 0',
      '# todo 0',
      '# duration_ms 5.1',
    ].join('\n');
    assert.deepEqual(parseTapSummary(tap), { tests: 3, passed: 2, failed: 1, cancelled: 0, skipped: 0, todo: 0 });
  });

  test('counts every verdict of many fast files whose processes are force-exited (nodejs/node#64833)', () => {
    // Without scripts/test-blocking-stdio.mjs this run lost the tail of some file's report in most
    // tries; under `node --test --test-force-exit` it lost the runner's own summary in about 1 of 15
    // tries on a busy machine.
    const files = Object.fromEntries(
      Array.from({ length: 30 }, (_, file) => [
        `f${file}.test.mjs`,
        `import { test } from 'node:test';\nfor (let i = 0; i < 40; i++) test(\`${file}-\${i} ${'x'.repeat(2_000)}\`, () => {});\n`,
      ]),
    );
    for (let run = 0; run < 2; run++) {
      const { tap, ending } = runScratchTests(files);
      const counts = parseTapSummary(tap);
      assert.equal(counts?.tests, 1_200, `run ${run + 1} counted ${String(counts?.tests)} of 1,200 tests; the runner ended with ${ending}`);
    }
  });

  test('returns undefined when the output has no summary', () => {
    assert.equal(parseTapSummary('TAP version 13\nok 1 - something\n'), undefined);
  });
});

describe('summaryLine', () => {
  test('is the plain line CI reads, with cancelled counted as failed', () => {
    assert.equal(summaryLine({ passed: 12, failed: 0 }), '12 passed, 0 failed');
    assert.equal(summaryLine({ passed: 3, failed: 1, cancelled: 2 }), '3 passed, 3 failed');
  });

  test('adds skipped (and todo) only when there are any', () => {
    assert.equal(summaryLine({ passed: 1, failed: 0, skipped: 0, todo: 0 }), '1 passed, 0 failed');
    assert.equal(summaryLine({ passed: 1, failed: 0, skipped: 1, todo: 1 }), '1 passed, 0 failed, 2 skipped');
  });
});
