/**
 * Runs scratch test files the way `npm test` runs the project's: scripts/run-test-files.ts, with
 * the same preloads, in a scratch folder. For the tests of npm test's own
 * reporting (its summary line, its slowest-files and CPU lists).
 */
import { spawnSync } from 'node:child_process';
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
  const dir = scratchFolder('scratch-tests');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const env = { ...process.env };
  // Set by the outer runner for its children; a nested run must not inherit it.
  delete env.NODE_TEST_CONTEXT;
  const timesFile = join(dir, 'times.jsonl');
  env.FLOE_TEST_CPU_FILE = join(dir, 'cpu.jsonl');
  const result = spawnSync(
    process.execPath,
    [
      // From the scratch folder, `--import tsx/esm` would not find the package.
      '--import',
      import.meta.resolve('tsx/esm'),
      '--import',
      pathToFileURL(join(repoRoot, 'scripts', 'test-blocking-stdio.mjs')).href,
      '--import',
      pathToFileURL(join(repoRoot, 'scripts', 'test-file-cpu.ts')).href,
      join(repoRoot, 'scripts', 'run-test-files.ts'),
      '--concurrency=2',
      `--times-file=${timesFile}`,
      ...runnerArgs,
      ...Object.keys(files),
    ],
    { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const ending = `status ${String(result.status)}, signal ${String(result.signal)}${result.error ? `, ${result.error.message}` : ''}, TAP ending ${JSON.stringify(result.stderr.slice(-500))}`;
  return {
    spec: result.stdout,
    tap: result.stderr,
    times: existsSync(timesFile) ? readFileSync(timesFile, 'utf8') : '',
    cpu: existsSync(env.FLOE_TEST_CPU_FILE) ? readFileSync(env.FLOE_TEST_CPU_FILE, 'utf8') : '',
    status: result.status,
    ending,
    paths: Object.fromEntries(Object.keys(files).map((name) => [name, join(dir, name)])),
  };
}
