import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../../scripts/services/paths.js';

/**
 * Feast's DuckDB offline store needs ibis-framework with its DuckDB backend, which the test oracle
 * venv does not have. The benchmark installs it once, pinned, into a folder of its own that goes
 * on PYTHONPATH (the oracle venv itself is left as it is). When that install fails, the benchmark
 * measures Feast's file (dask) offline store instead and says so.
 */
const PACKAGES = ['atpublic==9.0.0', 'duckdb==2.0.0', 'ibis-framework==12.0.0', 'parsy==2.2', 'pyarrow-hotfix==0.7', 'sqlglot==30.30.0'];

export function feastEnvironment(python: string, log: (line: string) => void): { store: 'duckdb' | 'file'; env: NodeJS.ProcessEnv } {
  const target = path.join(cacheDir(), `feast-duckdb-extra-${PACKAGES.join('-').replace(/[^A-Za-z0-9.=-]/g, '')}`.slice(0, 120));
  const ready = path.join(target, '.floe-ready');
  const env = { ...process.env, PYTHONPATH: [target, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  if (!existsSync(ready)) {
    log(`installing Feast's DuckDB offline store dependencies (${PACKAGES.join(', ')}) into ${target}`);
    const install = spawnSync(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-q', '--no-deps', '--target', target, ...PACKAGES],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) {
      log(`could not install them (${install.stderr.trim().split('\n').at(-1) ?? 'pip failed'}): measuring Feast's file offline store`);
      return { store: 'file', env: process.env };
    }
  }
  const check = spawnSync(python, ['-c', 'import ibis, duckdb; from feast.infra.offline_stores.duckdb import DuckDBOfflineStore'], {
    encoding: 'utf8',
    env,
  });
  if (check.status !== 0) {
    log(`Feast's DuckDB offline store does not import (${check.stderr.trim().split('\n').at(-1) ?? ''}): measuring its file offline store`);
    return { store: 'file', env: process.env };
  }
  writeFileSync(ready, new Date().toISOString());
  return { store: 'duckdb', env };
}
