/**
 * The closing line CI reads comes from parsing Node's TAP output. The oracle here is Node itself:
 * a scratch test file with known outcomes is run under `node --test --test-reporter=tap`, and the
 * parsed counts must match what that file is known to contain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { parseTapSummary, summaryLine } from '../../../scripts/test-summary.js';

/** The runner's TAP output, and how it ended (exit status, signal, the tail of its stderr) for assertion messages. */
function runNodeTap(files: Record<string, string>, runnerArgs: readonly string[] = []): { tap: string; ending: string } {
  const dir = mkdtempSync(join(tmpdir(), 'floe-summary-test-'));
  try {
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
    const env = { ...process.env };
    // Set by the outer runner for its children; a nested `node --test` must not inherit it.
    delete env.NODE_TEST_CONTEXT;
    const result = spawnSync(process.execPath, [...runnerArgs, '--test', '--test-reporter=tap', ...Object.keys(files)], {
      cwd: dir,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const ending = `status ${String(result.status)}, signal ${String(result.signal)}${result.error ? `, ${result.error.message}` : ''}, stderr ${JSON.stringify(result.stderr.slice(-500))}`;
    return { tap: result.stdout, ending };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('parseTapSummary', () => {
  test('counts what Node reports for passing, failing, skipped, todo and nested tests across files', () => {
    const { tap } = runNodeTap({
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
    const { tap } = runNodeTap({ 'broken.test.mjs': 'this is not javascript (' });
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

  test('counts every verdict of many fast files that npm test force-exits (nodejs/node#64833)', () => {
    // Without scripts/test-blocking-stdio.mjs this run lost the tail of some file's report in most tries.
    const files = Object.fromEntries(
      Array.from({ length: 30 }, (_, file) => [
        `f${file}.test.mjs`,
        `import { test } from 'node:test';\nfor (let i = 0; i < 40; i++) test(\`${file}-\${i} ${'x'.repeat(2_000)}\`, () => {});\n`,
      ]),
    );
    const preload = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'scripts', 'test-blocking-stdio.mjs')).href;
    for (let run = 0; run < 2; run++) {
      const { tap, ending } = runNodeTap(files, ['--import', preload, '--test-concurrency=2', '--test-force-exit']);
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
