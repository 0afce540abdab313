/**
 * The slowest-files list `npm test` prints. The reporter's times are checked against Node itself:
 * scratch test files that sleep known amounts run under scripts/run-test-files.ts, and each
 * file must be reported once, no faster than it slept. The list is checked on fixed times.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatCostliestFiles,
  formatSlowestFiles,
  latestTimes,
  readFileTimes,
  slowestFiles,
  slowestFirst,
  type FileTime,
} from '../../../scripts/test-file-times.js';
import { runScratchTests } from '../../support/scratch-test-run.js';

/** Runs the files as npm test does; returns what the file-times reporter wrote and the files' paths. */
function runWithReporter(files: Record<string, string>): { output: string; paths: Record<string, string> } {
  const run = runScratchTests(files);
  assert.equal(run.status, 1, `one scratch file fails on purpose; the runner ended with ${run.ending}`);
  // A third reporter is one listener too many for Node's leak warning, which would land in the TAP output.
  assert.doesNotMatch(run.tap, /MaxListenersExceededWarning/);
  return { output: run.times, paths: run.paths };
}

describe('the file-times reporter', () => {
  test('writes each file once with at least the time its tests slept, failing files included', () => {
    const sleep = (ms: number): string => `await new Promise((resolve) => setTimeout(resolve, ${ms}));`;
    const { output, paths } = runWithReporter({
      'slow.test.mjs': `
        import { before, describe, test } from 'node:test';
        before(async () => { ${sleep(400)} });
        test('one', async () => { ${sleep(300)} });
        describe('group', () => { test('nested', async () => { ${sleep(300)} }); });
      `,
      'fast.test.mjs': `import { test } from 'node:test'; test('quick', () => {});`,
      'failing.test.mjs': `
        import { test } from 'node:test';
        test('fails', async () => { ${sleep(200)} throw new Error('boom'); });
      `,
    });
    const times = readFileTimes(output);
    assert.deepEqual(times.map((time) => time.file).sort(), Object.values(paths).sort());
    const byName = (name: string): number => times.find((time) => time.file === paths[name])?.ms ?? Number.NaN;
    assert.ok(byName('slow.test.mjs') >= 1_000, `slow file: ${byName('slow.test.mjs')} ms, slept 1000`);
    assert.ok(byName('failing.test.mjs') >= 200, `failing file: ${byName('failing.test.mjs')} ms, slept 200`);
    // No order between the files: under load a file's start-up alone can outlast another's sleep.
    assert.ok(byName('fast.test.mjs') >= 0, `fast file: ${byName('fast.test.mjs')} ms`);
  });
});

describe('readFileTimes', () => {
  test('skips blank lines, a line cut short and lines without a file and a number', () => {
    const text = [
      '{"file":"/r/a.test.ts","ms":1200}',
      '',
      '{"file":"/r/b.test.ts"}',
      '{"ms":5}',
      '{"file":"/r/c.test.ts","ms":"9"}',
      '{"file":"/r/d.test.ts","ms":30',
      'null',
      '{"file":"/r/e.test.ts","ms":7}',
    ].join('\n');
    assert.deepEqual(readFileTimes(text), [
      { file: '/r/a.test.ts', ms: 1200 },
      { file: '/r/e.test.ts', ms: 7 },
    ]);
  });
});

describe('the slowest-files list', () => {
  const times: FileTime[] = Array.from({ length: 12 }, (_, i) => ({
    file: `/repo/test/f${String(i).padStart(2, '0')}.test.ts`,
    ms: (i + 1) * 10_000,
  }));

  test('keeps the slowest, slowest first, ties in path order', () => {
    const tied = [...times, { file: '/repo/test/a-tie.test.ts', ms: 120_000 }];
    assert.deepEqual(
      slowestFiles(tied, 3).map((time) => time.file),
      ['/repo/test/a-tie.test.ts', '/repo/test/f11.test.ts', '/repo/test/f10.test.ts'],
    );
    assert.deepEqual(
      slowestFiles(times.slice(0, 2), 10).map((time) => time.ms),
      [20_000, 10_000],
    );
  });

  test('prints ten lines under a header, paths relative to the repository, times aligned', () => {
    const text = formatSlowestFiles(times, 10, '/repo');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], "Slowest 10 of 12 test files (each file's own wall time; files run side by side):");
    assert.equal(lines.length, 11);
    assert.equal(lines[1], '  2m00s  test/f11.test.ts');
    assert.equal(lines[10], '    30s  test/f02.test.ts');
    assert.ok(text.endsWith('\n'));
  });

  test('prints nothing when no file was timed', () => {
    assert.equal(formatSlowestFiles([], 10, '/repo'), '');
  });
});

describe("each file's CPU", () => {
  test('counts the processes a file spawned and waited for, once per file', () => {
    // The child spins until it has used a second of CPU; the file's own process uses far less.
    const spin = `while (process.cpuUsage().user + process.cpuUsage().system < 1_000_000) {}`;
    const run = runScratchTests({
      'spawns.test.mjs': `
        import { spawnSync } from 'node:child_process';
        import { test } from 'node:test';
        test('spawns a busy child', () => { spawnSync(process.execPath, ['-e', ${JSON.stringify(spin)}]); });
      `,
      'quick.test.mjs': `import { test } from 'node:test'; test('quick', () => {});`,
    });
    assert.equal(run.status, 0, run.ending);
    const cpu = readFileTimes(run.cpu);
    const of = (name: string): FileTime[] => cpu.filter((line) => line.file === run.paths[name]);
    assert.equal(of('spawns.test.mjs').length, 1, run.cpu);
    assert.equal(of('quick.test.mjs').length, 1, run.cpu);
    assert.ok(of('spawns.test.mjs')[0]!.ms >= 1_000, `the file's CPU with its child: ${of('spawns.test.mjs')[0]!.ms} ms`);
    assert.ok(of('quick.test.mjs')[0]!.ms < of('spawns.test.mjs')[0]!.ms);
  });

  test('lists the costliest files with the sum over all of them', () => {
    const cpu = [
      { file: '/repo/test/a.test.ts', ms: 90_000 },
      { file: '/repo/test/b.test.ts', ms: 30_000 },
      { file: '/repo/test/c.test.ts', ms: 1_000 },
    ];
    assert.equal(
      formatCostliestFiles(cpu, 2, '/repo'),
      'Most CPU of 3 test files: 2m01s in all (user + system, with the processes each file spawned); the 2 costliest:\n' +
        '  1m30s  test/a.test.ts\n' +
        '    30s  test/b.test.ts\n',
    );
    assert.equal(formatCostliestFiles([], 10, '/repo'), '');
  });
});

describe('the order files start in', () => {
  test('a later time for a file replaces an earlier one, and paths become relative to the repository', () => {
    const times = latestTimes(
      [
        { file: '/repo/test/unit/a.test.ts', ms: 5_000 },
        { file: 'test/unit/b.test.ts', ms: 7_000 },
        { file: 'test/unit/a.test.ts', ms: 2_000 },
      ],
      '/repo',
    );
    assert.deepEqual(
      [...times],
      [
        ['test/unit/a.test.ts', 2_000],
        ['test/unit/b.test.ts', 7_000],
      ],
    );
  });

  test('slowest first by the last times; untimed files by a guess from their folder (e2e, integration, replay, unit)', () => {
    const files = [
      'test/e2e/ui.test.ts',
      'test/integration/a.test.ts',
      'test/integration/b.test.ts',
      'test/integration/new.test.ts',
      'test/replay/replay.test.ts',
      'test/unit/slow.test.ts',
      'test/unit/x.test.ts',
      'test/unit/y.test.ts',
    ];
    const known = new Map([
      ['test/integration/a.test.ts', 200_000],
      ['test/integration/b.test.ts', 4_000],
      ['test/unit/slow.test.ts', 45_000],
      ['test/unit/gone.test.ts', 900_000],
    ]);
    assert.deepEqual(slowestFirst(files, known), [
      'test/integration/a.test.ts',
      'test/e2e/ui.test.ts',
      'test/unit/slow.test.ts',
      'test/integration/new.test.ts',
      'test/replay/replay.test.ts',
      'test/integration/b.test.ts',
      'test/unit/x.test.ts',
      'test/unit/y.test.ts',
    ]);
    assert.deepEqual(slowestFirst(files, new Map()).slice(0, 2), ['test/e2e/ui.test.ts', 'test/integration/a.test.ts']);
  });
});
