/**
 * Runs test files with Node's test runner, as `npm test` starts it:
 *
 *   node --import tsx --import ./scripts/test-blocking-stdio.mjs scripts/run-test-files.ts
 *     --concurrency=N [--times-file=PATH] [--test-name-pattern=RE…] [--test-only] [--test-shard=I/N]
 *     [--test-timeout=MS] FILE…
 *   … scripts/run-test-files.ts --files-from-parent [options]
 *
 * With --files-from-parent the files come over IPC, one at a time, from the process that started
 * this one (`npm test`'s lanes, scripts/test.ts), each with the environment to run it in (the
 * services up by then); each runs as a run of its own, and the reporters see them as one run
 * (test-runs-as-one.ts).
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
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec, tap, type TestEvent } from 'node:test/reporters';
import fileTimes from './test-file-times-reporter.js';
import { runsAsOne } from './test-runs-as-one.js';

interface Options {
  concurrency: number;
  timesFile: string | undefined;
  /** How long one test file may run, set-up and hooks included. */
  timeoutMs: number;
  testNamePatterns: string[];
  only: boolean;
  shard: { index: number; total: number } | undefined;
  files: string[];
  filesFromParent: boolean;
}

/** What the parent hands a lane: a file and the environment to run it in, or no file (the lane is done). */
export interface LaneHandout {
  readonly file: string | null;
  readonly env?: Readonly<Record<string, string>>;
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
    filesFromParent: false,
  };
  for (const arg of argv) {
    const value = arg.slice(arg.indexOf('=') + 1);
    if (arg.startsWith('--concurrency=')) options.concurrency = Number(value);
    else if (arg.startsWith('--times-file=')) options.timesFile = value;
    else if (arg.startsWith('--test-timeout=')) options.timeoutMs = Number(value);
    else if (arg.startsWith('--test-name-pattern=')) options.testNamePatterns.push(value);
    else if (arg === '--test-only') options.only = true;
    else if (arg === '--files-from-parent') options.filesFromParent = true;
    else if (arg.startsWith('--test-shard=')) {
      const [index, total] = value.split('/').map(Number);
      if (!Number.isInteger(index) || !Number.isInteger(total)) throw new Error(`--test-shard must be INDEX/TOTAL, not "${value}"`);
      options.shard = { index: index as number, total: total as number };
    } else if (arg.startsWith('--')) {
      throw new Error(
        `unknown option ${arg}: expected --concurrency, --times-file, --test-name-pattern, --test-only, --test-shard, --test-timeout or --files-from-parent`,
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

/**
 * The files the parent hands out, one at a time, each once the last has run; each one's variables
 * replace the last one's in this process's environment, which its run passes on to the file.
 */
async function* filesFromParent(): AsyncGenerator<string> {
  const ask = process.send?.bind(process);
  if (ask === undefined) throw new Error('--files-from-parent needs an IPC channel to the process that started this one');
  let lastEnv: Readonly<Record<string, string>> = {};
  for (;;) {
    const answer = new Promise<LaneHandout>((resolveAnswer) => process.once('message', (message) => resolveAnswer(message as LaneHandout)));
    ask('next');
    const { file, env = {} } = await answer;
    if (file === null) return;
    for (const name of Object.keys(lastEnv)) delete process.env[name];
    Object.assign(process.env, env);
    lastEnv = env;
    yield resolve(file);
  }
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  let exitCode = 0;
  const runFiles = (files: string[]) =>
    run({
      files,
      concurrency: options.concurrency,
      timeout: options.timeoutMs,
      ...(options.testNamePatterns.length > 0 ? { testNamePatterns: options.testNamePatterns } : {}),
      only: options.only,
      ...(options.shard ? { shard: options.shard } : {}),
      forceExit: true,
    });
  const events: Readable = options.filesFromParent
    ? Readable.from(
        runsAsOne(
          (async function* () {
            for await (const file of filesFromParent()) yield runFiles([file]) as AsyncIterable<TestEvent>;
          })(),
        ),
      )
    : runFiles(options.files);
  events.on('data', (event: TestEvent) => {
    if (event.type === 'test:fail' && (event.data.todo === undefined || event.data.todo === false)) exitCode = 1;
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
