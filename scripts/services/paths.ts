/** Where the services keep what they build (the cache) and what they write per run (logs, env). */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `FLOE_CACHE_DIR`, default `~/.cache/floe`: built binaries, the venv, the Maven classpath. */
export function cacheDir(): string {
  const fromEnv = process.env.FLOE_CACHE_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(homedir(), '.cache', 'floe');
}

/** `.floe/` in the repo: per-run state that a developer may want to look at. */
export const stateDir = join(repoRoot, '.floe');
export const logsDir = join(stateDir, 'logs');
export const servicesEnvFile = join(stateDir, 'services.env');
export const servicesStateFile = join(stateDir, 'services.json');

export function logFile(serviceName: string): string {
  return join(logsDir, `${serviceName}.log`);
}
