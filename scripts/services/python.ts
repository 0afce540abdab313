/**
 * The project-local Python venv for test oracles (pyiceberg, feast): never Floe's runtime. One venv
 * per content of scripts/python/requirements.txt, so a changed file makes a new one; a marker file
 * written after pip succeeds tells a finished venv from one that an interrupted run left behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, logsDir, repoRoot } from './paths.js';
import { runInstallStep } from './progress.js';
import type { RunningService } from './service.js';

export const REQUIREMENTS = join(repoRoot, 'scripts', 'python', 'requirements.txt');
const READY_MARKER = '.floe-ready';

function venvDir(): string {
  const hash = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12);
  return join(cacheDir(), `venv-${hash}`);
}

function venvPython(dir: string): string {
  return join(dir, 'bin', 'python');
}

export function pythonInstalled(): string | undefined {
  const dir = venvDir();
  return existsSync(join(dir, READY_MARKER)) ? venvPython(dir) : undefined;
}

export async function installPython(): Promise<string> {
  const dir = venvDir();
  if (existsSync(join(dir, READY_MARKER))) return venvPython(dir);
  rmSync(dir, { recursive: true, force: true });
  const basePython = process.env.FLOE_PYTHON_BASE || 'python3';
  const log = join(logsDir, 'build-python-venv.log');
  await runInstallStep({
    what: 'Python venv',
    why: `test oracles (pyiceberg, feast) need a venv at ${dir}`,
    command: basePython,
    args: ['-m', 'venv', dir],
    log,
  });
  await runInstallStep({
    what: 'Python packages',
    why: `pip installs ${REQUIREMENTS} into the venv (takes a few minutes once)`,
    command: venvPython(dir),
    args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-r', REQUIREMENTS],
    log: join(logsDir, 'build-python-packages.log'),
  });
  await runInstallStep({
    what: 'Python oracle check',
    why: 'the oracle imports must work before any test relies on them',
    command: venvPython(dir),
    args: ['-c', 'import pyiceberg, pyarrow, sqlalchemy, feast; print(pyiceberg.__version__, pyarrow.__version__, feast.__version__)'],
    log: join(logsDir, 'build-python-check.log'),
  });
  writeFileSync(join(dir, READY_MARKER), `${new Date().toISOString()}\n`);
  return venvPython(dir);
}

export async function startPython(): Promise<RunningService> {
  const python = await installPython();
  return {
    name: 'python',
    processes: [],
    env: { FLOE_TEST_PYTHON: python },
    summary: [`Python oracle  ${python}`],
  };
}
