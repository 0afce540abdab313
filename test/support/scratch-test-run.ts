/**
 * Runs scratch test files the way `npm test` runs the project's: scripts/run-test-files.ts, with
 * the same preloads, in a scratch folder. For the tests of npm test's own
 * reporting (its summary line, its slowest-files and CPU lists).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../scripts/services/paths.js';
import { scratchFolder } from './scratch-folder.js';

export interface ScratchTestRun {
  /** The spec reporter's output. */
  spec: string;
  /** The TAP reporter's output (the runner's stderr, as npm test reads it). */
  tap: string;
  /** What the file-times reporter wrote. */
  times: string;
  /** What scripts/test-file-cpu.ts wrote (the runner's own line among the files'). */
  cpu: string;
  status: number | null;
  /** How the runner ended, for assertion messages: status, signal, error and the tail of its TAP. */
  ending: string;
  /** Each scratch file's absolute path, by its name. */
  paths: Record<string, string>;
}

export function runScratchTests(files: Record<string, string>, runnerArgs: readonly string[] = []): ScratchTestRun {
  const scratch = scratchRunner(files, ['--concurrency=2', ...runnerArgs, ...Object.keys(files)]);
  const result = spawnSync(process.execPath, scratch.args, {
    cwd: scratch.dir,
    env: scratch.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return scratch.outcome(result.stdout, result.stderr, result.status, result.signal, result.error);
}

/**
 * Runs scratch test files as one of npm test's lanes does (`--files-from-parent`): this process
 * hands them out in order, each with its entry of `envByFile` as the variables to run it with.
 */
export async function runScratchLane(
  files: Record<string, string>,
  envByFile: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
): Promise<ScratchTestRun> {
  const scratch = scratchRunner(files, ['--files-from-parent']);
  const queue = Object.keys(files);
  const child = spawn(process.execPath, scratch.args, { cwd: scratch.dir, env: scratch.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('message', () => {
    const name = queue.shift();
    child.send(name === undefined ? { file: null } : { file: join(scratch.dir, name), env: envByFile[name] ?? {} });
  });
  const [status, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return scratch.outcome(stdout, stderr, status, signal, undefined);
}

/** A scratch folder holding `files`, the runner's arguments as npm test gives them, and how to read what a run left. */
function scratchRunner(files: Record<string, string>, runnerArgs: readonly string[]) {
  const dir = scratchFolder('scratch-tests');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const env = { ...process.env };
  // Set by the outer runner for its children; a nested run must not inherit it.
  delete env.NODE_TEST_CONTEXT;
  const timesFile = join(dir, 'times.jsonl');
  const cpuFile = join(dir, 'cpu.jsonl');
  env.FLOE_TEST_CPU_FILE = cpuFile;
  const args = [
    // From the scratch folder, `--import tsx` would not find the package.
    '--import',
    import.meta.resolve('tsx'),
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-blocking-stdio.mjs')).href,
    '--import',
    pathToFileURL(join(repoRoot, 'scripts', 'test-file-cpu.ts')).href,
    join(repoRoot, 'scripts', 'run-test-files.ts'),
    `--times-file=${timesFile}`,
    ...runnerArgs,
  ];
  const outcome = (
    spec: string,
    tap: string,
    status: number | null,
    signal: NodeJS.Signals | null,
    error: Error | undefined,
  ): ScratchTestRun => ({
    spec,
    tap,
    times: existsSync(timesFile) ? readFileSync(timesFile, 'utf8') : '',
    cpu: existsSync(cpuFile) ? readFileSync(cpuFile, 'utf8') : '',
    status,
    ending: `status ${String(status)}, signal ${String(signal)}${error ? `, ${error.message}` : ''}, TAP ending ${JSON.stringify(tap.slice(-500))}`,
    paths: Object.fromEntries(Object.keys(files).map((name) => [name, join(dir, name)])),
  });
  return { dir, env, args, outcome };
}
