/**
 * The project-local Python venvs for test oracles (pyiceberg, feast): never Floe's runtime. One venv
 * per content of its requirements file, so a changed file makes a new one; a marker file written
 * after pip succeeds tells a finished venv from one that an interrupted run left behind. Besides
 * the oracle venv, a second one holds an older Feast (before 0.64), whose client sends the older
 * request shape to the feature server (test/integration/feast-client).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cacheDir, logsDir, repoRoot } from './paths.js';
import { runInstallStep } from './progress.js';
import { withInstallLock } from './install-lock.js';
import type { RunningService } from './service.js';

export const REQUIREMENTS = join(repoRoot, 'scripts', 'python', 'requirements.txt');
const READY_MARKER = '.floe-ready';

interface Venv {
  /** The venv directory's name before the requirements' hash. */
  readonly prefix: string;
  readonly requirements: string;
  readonly what: string;
  /** Python run in the venv once pip is done: the imports the tests rely on. */
  readonly check: string;
  /** The variable of .floe/services.env naming the venv's python. */
  readonly env: string;
}

const ORACLE_VENV: Venv = {
  prefix: 'venv',
  requirements: REQUIREMENTS,
  what: 'test oracles (pyiceberg, feast)',
  check:
    'import grpc, grpc_health, grpc_reflection, pyiceberg, pyarrow, sqlalchemy, feast; print(pyiceberg.__version__, pyarrow.__version__, feast.__version__)',
  env: 'FLOE_TEST_PYTHON',
};

const OLD_FEAST_VENV: Venv = {
  prefix: 'venv-feast-0.60',
  requirements: join(repoRoot, 'scripts', 'python', 'requirements-feast-0.60.txt'),
  what: "Feast 0.60's client (the request shape before 0.64)",
  check: 'import grpc, feast; from feast import FeatureStore; print(feast.__version__)',
  env: 'FLOE_TEST_PYTHON_FEAST_OLD',
};

const VENVS = [ORACLE_VENV, OLD_FEAST_VENV] as const;

function venvDir(venv: Venv): string {
  const hash = createHash('sha256').update(readFileSync(venv.requirements)).digest('hex').slice(0, 12);
  return join(cacheDir(), `${venv.prefix}-${hash}`);
}

function venvPython(dir: string): string {
  return join(dir, 'bin', 'python');
}

export function pythonInstalled(): string | undefined {
  const dir = venvDir(ORACLE_VENV);
  return existsSync(join(dir, READY_MARKER)) ? venvPython(dir) : undefined;
}

/** Installs every venv (each once, under its own lock); answers the oracle venv's python. */
export async function installPython(): Promise<string> {
  const [python] = await Promise.all(VENVS.map((venv) => installVenv(venv)));
  return python!;
}

async function installVenv(venv: Venv): Promise<string> {
  const dir = venvDir(venv);
  if (existsSync(join(dir, READY_MARKER))) return venvPython(dir);
  return withInstallLock(basename(dir), async () => (existsSync(join(dir, READY_MARKER)) ? venvPython(dir) : createVenv(venv, dir)));
}

async function createVenv(venv: Venv, dir: string): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  const basePython = process.env.FLOE_PYTHON_BASE || 'python3';
  const name = basename(dir);
  await runInstallStep({
    what: `Python venv ${venv.prefix}`,
    why: `${venv.what} need a venv at ${dir}`,
    command: basePython,
    args: ['-m', 'venv', dir],
    log: join(logsDir, `build-python-${name}.log`),
  });
  await runInstallStep({
    what: `Python packages of ${venv.prefix}`,
    why: `pip installs ${venv.requirements} into the venv (takes a few minutes once)`,
    command: venvPython(dir),
    args: ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-r', venv.requirements],
    log: join(logsDir, `build-python-packages-${name}.log`),
  });
  await runInstallStep({
    what: `Python check of ${venv.prefix}`,
    why: 'the imports must work before any test relies on them',
    command: venvPython(dir),
    args: ['-c', venv.check],
    log: join(logsDir, `build-python-check-${name}.log`),
  });
  writeFileSync(join(dir, READY_MARKER), `${new Date().toISOString()}\n`);
  return venvPython(dir);
}

export async function startPython(): Promise<RunningService> {
  const pythons = await Promise.all(VENVS.map((venv) => installVenv(venv)));
  return {
    name: 'python',
    processes: [],
    env: Object.fromEntries(VENVS.map((venv, index) => [venv.env, pythons[index]!])),
    summary: VENVS.map((venv, index) => `Python ${venv.prefix.padEnd(16)} ${pythons[index]}`),
  };
}
