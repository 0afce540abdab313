/**
 * `npm test`: type-check, lint, start the services the selected test files declare, run the files
 * with Node's test runner (slowest first, by earlier runs' times), stop the services, print the 10
 * slowest files, and end with the plain line `N passed, N failed` that CI reads.
 *
 *   npm test                                  suite `all`: tsc, eslint, prettier, unit + integration + replay + e2e
 *   npm test -- --suite unit|integration|replay|e2e [paths or filters…]
 *   npm test -- test/integration/services/reachable.test.ts
 *   npm test -- --test-name-pattern="REST"    also --test-only, --test-shard=I/N, --test-timeout=MS
 *
 * A path argument selects that file (or every test file under that folder); any other argument
 * keeps the files whose path contains it. Each integration and e2e file names the services it needs
 * on its first line (`// services: temporal, rest-catalog`, scripts/test-services.ts); unit and
 * replay files need none. The run installs and starts only the union of what its files declare.
 *
 * The files that need no service run at once, as a first batch, while the services are built and
 * started; the others run in waves as their services come up (one wave when the services are
 * built already, see runWithServices). The first batch and the checks (tsc, eslint, prettier) run
 * at a lower CPU priority: on two cores the service builds and then the files that need the
 * services are the critical path, and the rest fills the gaps. The checks and Node's compile
 * cache keep what they learnt in .floe/cache/, so a warm run redoes only what changed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { setPriority } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { logsDir, repoRoot, stateDir } from './services/paths.js';
import { formatDuration, say } from './services/progress.js';
import type { RunningService, ServiceName } from './services/service.js';
import { startServices, type RunningStack } from './services/stack.js';
import { formatCostliestFiles, formatSlowestFiles, latestTimes, readFileTimes, slowestFirst, type FileTime } from './test-file-times.js';
import { nextWave, servicesByFile, servicesToStart } from './test-services.js';
import { parseTapSummary, summaryLine, type TestCounts } from './test-summary.js';

const SUITES = { unit: ['test/unit'], integration: ['test/integration'], replay: ['test/replay'], e2e: ['test/e2e'] } as const;
type Suite = keyof typeof SUITES | 'all';

/**
 * The niceness of the work beside the critical path (the checks, the files that need no service):
 * 5 gives it about a third of a nice-0 process's share, so the builds and the files that need the
 * services go first, yet a unit file that waits on its own timers is not starved past them.
 */
const BACKGROUND_NICENESS = 5;

interface Options {
  suite: Suite;
  selectors: string[];
  nodeTestArgs: string[];
  concurrency: number;
  shard: { index: number; total: number } | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { suite: 'all', selectors: [], nodeTestArgs: [], concurrency: 2, shard: undefined };
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
    } else if (arg.startsWith('--test-shard=')) {
      // Here rather than in the runner: a shard starts only the services its own files declare.
      const shard = value();
      const [index, total] = shard.split('/').map(Number);
      if (
        !Number.isInteger(index) ||
        !Number.isInteger(total) ||
        (total as number) < 1 ||
        (index as number) < 1 ||
        (index as number) > (total as number)
      )
        throw new Error(`--test-shard must be INDEX/TOTAL with 1 ≤ INDEX ≤ TOTAL, not "${shard}"`);
      options.shard = { index: index as number, total: total as number };
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
  const selected = new Set<string>(options.selectors.length === 0 ? inSuite : []);
  for (const selector of options.selectors) {
    const asPath = resolve(process.cwd(), selector);
    const matches = existsSync(asPath) ? testFilesUnder(asPath) : inSuite.filter((file) => file.includes(selector));
    if (matches.length === 0) throw new Error(`no test file matches "${selector}" in suite ${options.suite}`);
    for (const file of matches) selected.add(file);
  }
  const files = [...selected].sort();
  // As Node's --test-shard splits them: every TOTAL-th file, from the INDEX-th.
  const { shard } = options;
  return shard ? files.filter((_, index) => index % shard.total === shard.index - 1) : files;
}

/** Lowers a child's CPU priority (its own children inherit it); a platform that refuses leaves it as it is. */
function runInBackground(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, BACKGROUND_NICENESS);
  } catch {
    // Not permitted here: the child runs at normal priority, which only costs time.
  }
}

interface StepResult {
  name: string;
  ok: boolean;
  output: string;
  ms: number;
}

/** Runs a check (tsc, eslint) with its output captured, at background priority beside the services and tests. */
async function runCheck(name: string, command: string, args: readonly string[]): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    runInBackground(child.pid);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', (error) => resolvePromise({ name, ok: false, output: `${output}${error.message}`, ms: Date.now() - started }));
    child.once('close', (code) => {
      const result = { name, ok: code === 0, output, ms: Date.now() - started };
      say(`${result.ok ? 'passed' : 'FAILED'}: ${name} (${formatDuration(result.ms)})`);
      resolvePromise(result);
    });
  });
}

/**
 * Runs a check that keeps a cache file (tsc's build info, eslint's and prettier's caches) on a
 * private copy of it, which replaces the shared one only when the check passed: two runs at once
 * never read a half-written cache, and a failed run leaves the last good one. The caches live in
 * .floe/cache/checks/, under a name keyed by package-lock.json (a cache written by other versions
 * of the tools or their plugins is never read), so a fresh clone checks everything from scratch.
 */
async function runCachedCheck(
  name: string,
  command: string,
  args: (cacheFile: string) => readonly string[],
  cache: { name: string; key: string },
): Promise<StepResult> {
  const shared = join(CHECK_CACHE_DIR, `${cache.name}-${cache.key}`);
  const own = `${shared}.${process.pid}`;
  mkdirSync(CHECK_CACHE_DIR, { recursive: true });
  rmSync(own, { force: true });
  if (existsSync(shared)) copyFileSync(shared, own);
  const result = await runCheck(name, command, args(own));
  if (result.ok && existsSync(own)) renameSync(own, shared);
  else rmSync(own, { force: true });
  return result;
}

const CHECK_CACHE_DIR = join(stateDir, 'cache', 'checks');

/** What the check caches are keyed by: the locked versions of the tools and their plugins. */
function checkCacheKey(): string {
  const key = createHash('sha256')
    .update(readFileSync(join(repoRoot, 'package-lock.json')))
    .digest('hex')
    .slice(0, 16);
  // Caches of other lockfiles are stale for good.
  if (existsSync(CHECK_CACHE_DIR))
    for (const file of readdirSync(CHECK_CACHE_DIR)) if (!file.includes(key)) rmSync(join(CHECK_CACHE_DIR, file), { force: true });
  return key;
}

async function runChecks(): Promise<StepResult[]> {
  const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
  const key = checkCacheKey();
  // One after the other: each wants a core, and the builds and the tests want the rest. Each
  // reuses what the last passing run learnt: tsc rechecks what the changed files reach, eslint
  // and prettier the files whose contents changed (`content`: a fresh clone's new modification
  // times alone do not count as changes).
  const typecheck = await runCachedCheck(
    'typecheck (tsc --noEmit)',
    bin('tsc'),
    (file) => ['--noEmit', '-p', join(repoRoot, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', file],
    { name: 'tsc.tsbuildinfo', key },
  );
  const lint = await runCachedCheck(
    'lint (eslint)',
    bin('eslint'),
    (file) => ['--max-warnings', '0', '--cache', '--cache-strategy', 'content', '--cache-location', file, '.'],
    { name: 'eslint-cache', key },
  );
  const format = await runCachedCheck(
    'format (prettier --check)',
    bin('prettier'),
    (file) => ['--check', '--log-level', 'warn', '--cache', '--cache-strategy', 'content', '--cache-location', file, '.'],
    { name: 'prettier-cache', key },
  );
  return [typecheck, lint, format];
}

interface Batch {
  /** Names the batch in messages and in its TAP file: `no-services`, `services-1`, `services-2`… */
  name: string;
  files: readonly string[];
  env: NodeJS.ProcessEnv;
  background: boolean;
}

interface BatchRun {
  name: string;
  code: number | null;
  tap: string;
  tapFile: string;
  times: FileTime[];
  /** Each file's CPU (scripts/test-file-cpu.ts). */
  cpu: FileTime[];
}

/**
 * Runs a batch of test files with scripts/run-test-files.ts: the spec reporter to our stdout, and
 * the TAP reporter to its stderr, which we keep in `last-run-<batch>.tap`; the per-file times go
 * to a file of the batch's own.
 */
async function runBatch(batch: Batch, options: Options, resultsDir: string): Promise<BatchRun> {
  const tapFile = join(resultsDir, `last-run-${batch.name}.tap`);
  const timesFile = join(resultsDir, `last-run-${batch.name}-file-times.jsonl`);
  const cpuFile = join(resultsDir, `last-run-${batch.name}-file-cpu.jsonl`);
  rmSync(timesFile, { force: true });
  rmSync(cpuFile, { force: true });
  const args = [
    // tsx's ESM hooks only, as bin/floe.js registers them: its CommonJS hook put every CommonJS package a
    // file loads (the AWS SDK, gRPC…) through tsx, ~0.15 s of CPU for each of the run's hundreds of
    // test processes, and no source of ours is CommonJS.
    '--import',
    'tsx/esm',
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-blocking-stdio.mjs')).href,
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-declared-env.ts')).href,
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-file-cpu.ts')).href,
    join(repoRoot, 'scripts', 'run-test-files.ts'),
    `--concurrency=${options.concurrency}`,
    `--times-file=${timesFile}`,
    ...options.nodeTestArgs,
    ...batch.files,
  ];
  const started = Date.now();
  say(`${batch.name}: running ${batch.files.length} test file(s)`);
  const out = createWriteStream(tapFile);
  let run: { code: number | null; tap: string };
  try {
    run = await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: { ...batch.env, FLOE_TEST_CPU_FILE: cpuFile },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      if (batch.background) runInBackground(child.pid);
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
  say(`${batch.name}: ${batch.files.length} test file(s) ran in ${formatDuration(Date.now() - started)}`);
  const times = existsSync(timesFile) ? readFileTimes(readFileSync(timesFile, 'utf8')) : [];
  // The runner's own process writes a line too when it exits: only the test files' count.
  const files = new Set(batch.files.map((file) => resolve(repoRoot, file)));
  const cpu = existsSync(cpuFile) ? readFileTimes(readFileSync(cpuFile, 'utf8')).filter((line) => files.has(line.file)) : [];
  rmSync(timesFile, { force: true });
  rmSync(cpuFile, { force: true });
  return { name: batch.name, ...run, tapFile, times, cpu };
}

/**
 * The running services' variables for the tests, and FLOE_TEST_SERVICE_KEYS naming each service's
 * variables, by which scripts/test-declared-env.ts leaves each file only those of what it declares.
 */
function servicesEnv(running: readonly RunningService[]): Record<string, string> {
  const keys = Object.fromEntries(running.map((service) => [service.name, Object.keys(service.env)]));
  return Object.assign({ FLOE_TEST_SERVICE_KEYS: JSON.stringify(keys) }, ...running.map((service) => service.env)) as Record<
    string,
    string
  >;
}

/** How long no further service must have come up before a wave of files starts on those that are up. */
const WAVE_SETTLE_MS = 60_000;

/**
 * Starts the services and runs the files that need them in waves: a wave takes the files whose
 * services are all up, once the whole stack is up, or once some file can run and no service has
 * come up for WAVE_SETTLE_MS. On a warm machine that is one wave; on a fresh one the files that
 * need only what is already built run while the rest (the Go builds) still builds.
 */
async function runWithServices(
  files: readonly string[],
  declared: ReadonlyMap<string, readonly ServiceName[]>,
  services: readonly ServiceName[],
  options: Options,
  resultsDir: string,
): Promise<{ runs: BatchRun[]; serviceError: unknown }> {
  const up = new Map<string, RunningService>();
  let lastUp = Date.now();
  let stack: RunningStack | undefined;
  let serviceError: unknown;
  let stackSettled = false;
  const starting = startServices(services, {
    persist: false,
    onUp: (service) => {
      up.set(service.name, service);
      lastUp = Date.now();
    },
  })
    .then(
      (running) => void (stack = running),
      (error: unknown) => {
        // The files still run: each test that needs a service fails and says which and how to start it.
        serviceError = error;
        process.stdout.write(`✖ starting services failed:\n${error instanceof Error ? error.message : String(error)}\n`);
      },
    )
    .finally(() => (stackSettled = true));
  const runs: BatchRun[] = [];
  let pending = [...files];
  const waveToRun = async (): Promise<string[]> => {
    for (;;) {
      const wave = nextWave(
        pending,
        declared,
        { up: new Set(up.keys()), settled: stackSettled, quietMs: Date.now() - lastUp },
        WAVE_SETTLE_MS,
      );
      if (wave.length > 0) return wave;
      await sleep(1_000);
    }
  };
  try {
    while (pending.length > 0) {
      const wave = await waveToRun();
      pending = pending.filter((file) => !wave.includes(file));
      // A failed stack has stopped what it started: the tests then say that their service is not running.
      const running = serviceError === undefined ? [...up.values()] : [];
      const env = { ...process.env, ...servicesEnv(running) };
      runs.push(await runBatch({ name: `services-${runs.length + 1}`, files: wave, env, background: false }, options, resultsDir));
    }
  } finally {
    await starting;
    if (stack) {
      say('stopping services');
      await stack.stop();
    }
  }
  return { runs, serviceError };
}

/**
 * Node's on-disk cache of compiled modules, for every Node process of the run (checks, test files
 * and the `floe` processes they start): a suite run starts Node many hundreds of times, and each
 * start compiles its modules again without it. Node keys each entry by its source's hash and its
 * own version, so a changed file is compiled afresh.
 */
const NODE_COMPILE_CACHE_DIR = join(stateDir, 'cache', 'node-compile');

async function main(): Promise<number> {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  if (!process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = NODE_COMPILE_CACHE_DIR;
  const files = selectFiles(options);
  if (files.length === 0) {
    process.stdout.write(`No test files in suite ${options.suite}.\n0 passed, 1 failed\n`);
    return 1;
  }
  const declared = servicesByFile(files, (file) => readFileSync(join(repoRoot, file), 'utf8'));
  const services = servicesToStart(declared);
  const withoutServices = files.filter((file) => declared.get(file)?.length === 0);
  const withServices = files.filter((file) => !withoutServices.includes(file));
  const runsChecks = options.suite === 'all' && options.selectors.length === 0;
  say(
    `suite ${options.suite}: ${files.length} test file(s), ${withServices.length} of them with services${services.length > 0 ? ` (${services.join(', ')})` : ''}${runsChecks ? ', plus tsc, eslint and prettier' : ''}`,
  );

  const resultsDir = join(stateDir, 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  // Every file's latest time from earlier runs: the order to start them in.
  const historyFile = join(resultsDir, 'file-times.jsonl');
  const history = existsSync(historyFile) ? readFileTimes(readFileSync(historyFile, 'utf8')) : [];
  const known = latestTimes(history, repoRoot);

  for (const name of readdirSync(resultsDir)) if (/^last-run-.*\.tap$/.test(name)) rmSync(join(resultsDir, name));
  const checks = runsChecks ? runChecks() : Promise.resolve([]);
  const firstBatch =
    withoutServices.length === 0
      ? undefined
      : runBatch(
          // In the background only when the service builds or the second batch run beside it.
          {
            name: 'no-services',
            files: slowestFirst(withoutServices, known),
            env: { ...process.env, ...servicesEnv([]) },
            background: withServices.length > 0,
          },
          options,
          resultsDir,
        );
  const servicesRun =
    withServices.length === 0 ? undefined : runWithServices(slowestFirst(withServices, known), declared, services, options, resultsDir);
  const [checkResults, firstRun, withServicesRun] = await Promise.all([checks, firstBatch, servicesRun]);
  const runs = [...(firstRun ? [firstRun] : []), ...(withServicesRun?.runs ?? [])];
  const serviceError = withServicesRun?.serviceError;
  say(`tests ran; whole run ${formatDuration(Date.now() - started)}; service logs in ${relative(repoRoot, logsDir)}/`);

  for (const check of checkResults) {
    process.stdout.write(`${check.ok ? '✔' : '✖'} ${check.name} (${formatDuration(check.ms)})\n`);
    if (!check.ok) process.stdout.write(`${check.output.trimEnd()}\n`);
  }
  const times = runs.flatMap((run) => run.times);
  writeFileSync(join(resultsDir, 'last-run-file-times.jsonl'), times.map((time) => `${JSON.stringify(time)}\n`).join(''));
  writeFileSync(
    historyFile,
    [...latestTimes([...history, ...times], repoRoot)].map(([file, ms]) => `${JSON.stringify({ file, ms } satisfies FileTime)}\n`).join(''),
  );
  process.stdout.write(formatSlowestFiles(times, 10, repoRoot));
  const cpu = runs.flatMap((run) => run.cpu);
  writeFileSync(join(resultsDir, 'last-run-file-cpu.jsonl'), cpu.map((file) => `${JSON.stringify(file)}\n`).join(''));
  process.stdout.write(formatCostliestFiles(cpu, 10, repoRoot));

  const total: TestCounts = { tests: 0, passed: 0, failed: 0, cancelled: 0, skipped: 0, todo: 0 };
  let runnerFailed = false;
  for (const run of runs) {
    const counts = parseTapSummary(run.tap);
    if (counts === undefined) {
      const tail = run.tap.trimEnd().split('\n').slice(-30).join('\n');
      process.stdout.write(
        `The test runner of the ${run.name} batch exited (${String(run.code)}) without a summary. Last lines of its stderr (${relative(repoRoot, run.tapFile)}):\n${tail}\n`,
      );
      total.failed += 1;
      runnerFailed = true;
      continue;
    }
    for (const key of Object.keys(total) as (keyof TestCounts)[]) total[key] += counts[key];
    if (run.code !== 0) runnerFailed = true;
  }
  // tsc, eslint and prettier count as one test each, and a failed service start as one failure.
  const failedChecks = checkResults.filter((check) => !check.ok).length;
  total.passed += checkResults.length - failedChecks;
  total.failed += failedChecks + (serviceError === undefined ? 0 : 1);
  const namePatternGiven = options.nodeTestArgs.some(
    (arg) => arg.startsWith('--test-name-pattern') || arg.startsWith('--test-skip-pattern') || arg.startsWith('--test-only'),
  );
  const skippedFails = total.skipped + total.todo > 0 && !namePatternGiven;
  if (skippedFails) process.stdout.write('Skipped or todo tests are not allowed: a test that needs something must fail without it.\n');
  if (total.tests === 0) process.stdout.write('No test ran.\n');
  process.stdout.write(`${summaryLine(total)}\n`);
  const failed = total.failed + total.cancelled > 0 || skippedFails || total.tests === 0 || runnerFailed;
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
