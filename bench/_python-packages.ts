import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../scripts/services/paths.js';

/** A folder of pinned Python packages for one benchmark peer, and the environment that sees them. */
export interface PackageFolder {
  readonly target: string;
  readonly env: NodeJS.ProcessEnv;
  /** Why pip could not install them, when it could not. */
  readonly failure?: string;
  /** Records that the packages import as the peer needs, so later runs skip the install. */
  markReady(): void;
}

/**
 * Packages a benchmark's peer needs beyond the test oracle venv, installed once with pip, pinned and
 * without dependencies, into a cache folder of their own that goes on PYTHONPATH: the oracle venv
 * and other peers' pins are left as they are.
 */
export function packageFolder(python: string, name: string, packages: readonly string[], log: (line: string) => void): PackageFolder {
  const target = path.join(cacheDir(), `${name}-${packages.join('-').replace(/[^A-Za-z0-9.=-]/g, '')}`.slice(0, 120));
  const ready = path.join(target, '.floe-ready');
  const env = { ...process.env, PYTHONPATH: [target, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const markReady = (): void => writeFileSync(ready, new Date().toISOString());
  if (existsSync(ready)) return { target, env, markReady };
  log(`installing ${packages.join(', ')} into ${target}`);
  const install = spawnSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-q', '--no-deps', '--target', target, ...packages],
    { encoding: 'utf8' },
  );
  if (install.status === 0) return { target, env, markReady };
  return { target, env, markReady, failure: install.stderr.trim().split('\n').at(-1) ?? 'pip failed' };
}
