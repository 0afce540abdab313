/**
 * `npm test`: type-check, lint, start the real services, run every test file with Node's test
 * runner (slowest first, by earlier runs' times), stop the services, print the 10 slowest files,
 * and end with the plain line `N passed, N failed` that CI reads.
 *
 *   npm test                                  suite `all`: tsc, eslint, prettier, unit + integration + replay + e2e
 *   npm test -- --suite unit|integration|replay|e2e [paths or filters…]
 *   npm test -- test/integration/services/reachable.test.ts
 *   npm test -- --test-name-pattern="REST"    also --test-only, --test-shard=I/N, --test-timeout=MS
 *
 * A path argument selects that file (or every test file under that folder); any other argument
 * keeps the files whose path contains it. Unit and replay suites start no services; a run that
 * selects any integration or e2e (browser) test installs and starts them all first.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logsDir, repoRoot, stateDir } from './services/paths.js';
import { formatDuration, say } from './services/progress.js';
import { startServices, type RunningStack } from './services/stack.js';
import { formatSlowestFiles, latestTimes, readFileTimes, slowestFirst, type FileTime } from './test-file-times.js';
import { parseTapSummary, summaryLine } from './test-summary.js';

const SUITES = { unit: ['test/unit'], integration: ['test/integration'], replay: ['test/replay'], e2e: ['test/e2e'] } as const;
type Suite = keyof typeof SUITES | 'all';

interface Options {
  suite: Suite;
  selectors: string[];
  nodeTestArgs: string[];
  concurrency: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { suite: 'all', selectors: [], nodeTestArgs: [], concurrency: 2 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const inline = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (inline === undefined) throw new Error(`${arg} needs a value`);
      return inline;
    };
    if (arg === '--suite' || arg.startsWith('--suite=')) {
      const suite = value();
      if (suite !== 'all' && !(suite in SUITES)) throw new Error(`--suite must be all, unit, integration, replay or e2e, not "${suite}"`);
      options.suite = suite as Suite;
    } else if (arg === '--concurrency' || arg.startsWith('--concurrency=')) {
      options.concurrency = Number(value());
    } else if (arg.startsWith('--test-')) {
      options.nodeTestArgs.push(arg);
    } else {
      options.selectors.push(arg);
    }
  }
  return options;
}

function testFilesUnder(folder: string): string[] {
  const absolute = resolve(repoRoot, folder);
  if (!existsSync(absolute)) return [];
  if (statSync(absolute).isFile()) return [relative(repoRoot, absolute)];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => relative(repoRoot, join(absolute, name)))
    .sort();
}

function selectFiles(options: Options): string[] {
  const folders = options.suite === 'all' ? Object.values(SUITES).flat() : [...SUITES[options.suite]];
  const inSuite = folders.flatMap(testFilesUnder);
  if (options.selectors.length === 0) return inSuite;
  const selected = new Set<string>();
  for (const selector of options.selectors) {
    const asPath = resolve(process.cwd(), selector);
    const matches = existsSync(asPath) ? testFilesUnder(asPath) : inSuite.filter((file) => file.includes(selector));
    if (matches.length === 0) throw new Error(`no test file matches "${selector}" in suite ${options.suite}`);
    for (const file of matches) selected.add(file);
  }
  return [...selected].sort();
}

interface StepResult {
  name: string;
  ok: boolean;
  output: string;
  ms: number;
}

/** Runs a check (tsc, eslint) with its output captured, so it can run beside the service start-up. */
async function runCheck(name: string, command: string, args: readonly string[]): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', (error) => resolvePromise({ name, ok: false, output: `${output}${error.message}`, ms: Date.now() - started }));
    child.once('close', (code) => resolvePromise({ name, ok: code === 0, output, ms: Date.now() - started }));
  });
}

async function runChecks(): Promise<StepResult[]> {
  const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
  // One after the other: they all want the CPU, and the service builds may be running beside them.
  const typecheck = await runCheck('typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', join(repoRoot, 'tsconfig.json')]);
  const lint = await runCheck('lint (eslint)', bin('eslint'), ['--max-warnings', '0', '.']);
  const format = await runCheck('format (prettier --check)', bin('prettier'), ['--check', '--log-level', 'warn', '.']);
  return [typecheck, lint, format];
}

/**
 * Runs the test files with scripts/run-test-files.ts: the spec reporter to our stdout, and the TAP
 * reporter to its stderr, which we capture into `tapFile`. The per-file times go to `timesFile`.
 */
async function runNodeTests(
  files: readonly string[],
  options: Options,
  env: NodeJS.ProcessEnv,
  tapFile: string,
  timesFile: string,
): Promise<{ code: number | null; tap: string }> {
  const args = [
    '--import',
    'tsx',
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-blocking-stdio.mjs')).href,
    join(repoRoot, 'scripts', 'run-test-files.ts'),
    `--concurrency=${options.concurrency}`,
    `--times-file=${timesFile}`,
    ...options.nodeTestArgs,
    ...files,
  ];
  const out = createWriteStream(tapFile);
  try {
    return await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'pipe'] });
      let tap = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        tap += chunk;
        out.write(chunk);
      });
      child.once('error', reject);
      child.once('close', (code) => resolvePromise({ code, tap }));
    });
  } finally {
    await new Promise<void>((resolvePromise) => out.end(() => resolvePromise()));
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  const files = selectFiles(options);
  if (files.length === 0) {
    process.stdout.write(`No test files in suite ${options.suite}.\n0 passed, 1 failed\n`);
    return 1;
  }
  const needsServices = files.some((file) => file.startsWith('test/integration/') || file.startsWith('test/e2e/'));
  const runsChecks = options.suite === 'all' && options.selectors.length === 0;
  say(
    `suite ${options.suite}: ${files.length} test file(s)${needsServices ? ', with services' : ', no services'}${runsChecks ? ', plus tsc, eslint and prettier' : ''}`,
  );

  let stack: RunningStack | undefined;
  let serviceError: unknown;
  const [checks] = await Promise.all([
    runsChecks ? runChecks() : Promise.resolve([]),
    needsServices
      ? startServices([], { persist: false }).then(
          (running) => void (stack = running),
          (error: unknown) => void (serviceError = error),
        )
      : Promise.resolve(),
  ]);
  for (const check of checks) {
    process.stdout.write(`${check.ok ? '✔' : '✖'} ${check.name} (${formatDuration(check.ms)})\n`);
    if (!check.ok) process.stdout.write(`${check.output.trimEnd()}\n`);
  }
  if (serviceError !== undefined) {
    // Tests still run: each one that needs a service fails and says which and how to start it.
    process.stdout.write(`✖ starting services failed:\n${serviceError instanceof Error ? serviceError.message : String(serviceError)}\n`);
  }

  mkdirSync(join(stateDir, 'test-results'), { recursive: true });
  const tapFile = join(stateDir, 'test-results', 'last-run.tap');
  const timesFile = join(stateDir, 'test-results', 'last-run-file-times.jsonl');
  // Every file's latest time from earlier runs: the order to start them in.
  const historyFile = join(stateDir, 'test-results', 'file-times.jsonl');
  const history = existsSync(historyFile) ? readFileTimes(readFileSync(historyFile, 'utf8')) : [];
  const ordered = slowestFirst(files, latestTimes(history, repoRoot));
  rmSync(timesFile, { force: true });
  let run: { code: number | null; tap: string };
  const testsStarted = Date.now();
  try {
    run = await runNodeTests(ordered, options, { ...process.env, ...(stack?.env ?? {}) }, tapFile, timesFile);
  } finally {
    if (stack) {
      say('stopping services');
      await stack.stop();
    }
  }
  say(
    `tests ran in ${formatDuration(Date.now() - testsStarted)}; whole run ${formatDuration(Date.now() - started)}; service logs in ${relative(repoRoot, logsDir)}/`,
  );

  const times = existsSync(timesFile) ? readFileTimes(readFileSync(timesFile, 'utf8')) : [];
  writeFileSync(
    historyFile,
    [...latestTimes([...history, ...times], repoRoot)].map(([file, ms]) => `${JSON.stringify({ file, ms } satisfies FileTime)}\n`).join(''),
  );
  process.stdout.write(formatSlowestFiles(times, 10, repoRoot));

  const exitCode = run.code;
  const counts = parseTapSummary(run.tap);
  const failedChecks = checks.filter((check) => !check.ok).length;
  const passedChecks = checks.length - failedChecks;
  const serviceFailures = serviceError === undefined ? 0 : 1;
  if (counts === undefined) {
    const tail = run.tap.trimEnd().split('\n').slice(-30).join('\n');
    process.stdout.write(
      `The test runner exited (${String(exitCode)}) without a summary. Last lines of its stderr (${relative(repoRoot, tapFile)}):\n${tail}\n`,
    );
    process.stdout.write(`${summaryLine({ passed: passedChecks, failed: failedChecks + serviceFailures + 1 })}\n`);
    return 1;
  }
  // tsc, eslint and prettier count as one test each, and a failed service start as one failure.
  const total = { ...counts, passed: counts.passed + passedChecks, failed: counts.failed + failedChecks + serviceFailures };
  const namePatternGiven = options.nodeTestArgs.some(
    (arg) => arg.startsWith('--test-name-pattern') || arg.startsWith('--test-skip-pattern') || arg.startsWith('--test-only'),
  );
  const skippedFails = counts.skipped + counts.todo > 0 && !namePatternGiven;
  if (skippedFails) process.stdout.write('Skipped or todo tests are not allowed: a test that needs something must fail without it.\n');
  if (counts.tests === 0) process.stdout.write('No test ran.\n');
  process.stdout.write(`${summaryLine(total)}\n`);
  const failed = total.failed + total.cancelled > 0 || skippedFails || counts.tests === 0 || exitCode !== 0;
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
