/**
 * Runs test files with Node's test runner, as `npm test` starts it:
 *
 *   node --import tsx/esm --import ./scripts/test-blocking-stdio.mjs scripts/run-test-files.ts
 *     --concurrency=N [--times-file=PATH] [--test-name-pattern=RE…] [--test-only] [--test-shard=I/N]
 *     [--test-timeout=MS] FILE…
 *
 * The spec reporter writes to stdout, the TAP reporter to stderr, and each file's wall time to the
 * times file. Every test file's process is force-exited when its tests end (a file that leaves a
 * connection or a worker open must not hang the run), but this process is not: `node --test
 * --test-force-exit` exits the runner itself as soon as its event stream closes, while the TAP
 * reporter may still hold the run's summary, and a CI run once lost it that way. Here the process
 * ends only after every reporter has written its last line.
 */
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import fileTimes from './test-file-times-reporter.js';

interface Options {
  concurrency: number;
  timesFile: string | undefined;
  /** How long one test file may run, set-up and hooks included. */
  timeoutMs: number;
  testNamePatterns: string[];
  only: boolean;
  shard: { index: number; total: number } | undefined;
  files: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    concurrency: 1,
    timesFile: undefined,
    // Integration tests talk to real servers: a hung file still ends.
    timeoutMs: 600_000,
    testNamePatterns: [],
    only: false,
    shard: undefined,
    files: [],
  };
  for (const arg of argv) {
    const value = arg.slice(arg.indexOf('=') + 1);
    if (arg.startsWith('--concurrency=')) options.concurrency = Number(value);
    else if (arg.startsWith('--times-file=')) options.timesFile = value;
    else if (arg.startsWith('--test-timeout=')) options.timeoutMs = Number(value);
    else if (arg.startsWith('--test-name-pattern=')) options.testNamePatterns.push(value);
    else if (arg === '--test-only') options.only = true;
    else if (arg.startsWith('--test-shard=')) {
      const [index, total] = value.split('/').map(Number);
      if (!Number.isInteger(index) || !Number.isInteger(total)) throw new Error(`--test-shard must be INDEX/TOTAL, not "${value}"`);
      options.shard = { index: index as number, total: total as number };
    } else if (arg.startsWith('--')) {
      throw new Error(
        `unknown option ${arg}: expected --concurrency, --times-file, --test-name-pattern, --test-only, --test-shard or --test-timeout`,
      );
    } else {
      // Absolute, as `node --test` gives them: the file-times reporter knows a file's own test by its path.
      options.files.push(resolve(arg));
    }
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
    throw new Error('--concurrency must be a whole number of at least 1');
  if (!(options.timeoutMs > 0)) throw new Error('--test-timeout must be a number of milliseconds above 0');
  return options;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  let exitCode = 0;
  const events = run({
    files: options.files,
    concurrency: options.concurrency,
    timeout: options.timeoutMs,
    ...(options.testNamePatterns.length > 0 ? { testNamePatterns: options.testNamePatterns } : {}),
    only: options.only,
    ...(options.shard ? { shard: options.shard } : {}),
    forceExit: true,
  });
  events.on('test:fail', (data: { todo?: string | boolean }) => {
    if (data.todo === undefined || data.todo === false) exitCode = 1;
  });
  // As `node --test` attaches its reporters: each sees every event.
  const report = (reporter: Transform | typeof tap, destination: Writable): Promise<void> =>
    pipeline(events.compose<Readable>(reporter), destination, { end: destination !== process.stdout && destination !== process.stderr });
  await Promise.all([
    report(new spec(), process.stdout),
    report(tap, process.stderr),
    ...(options.timesFile === undefined ? [] : [report(fileTimes, createWriteStream(options.timesFile))]),
  ]);
  return exitCode;
}

// Every reporter has written its last line; an open handle left in this process must not keep it alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
