import { spawnSync } from 'node:child_process';
import { packageFolder } from '../_python-packages.js';

/**
 * Feast's DuckDB offline store needs ibis-framework with its DuckDB backend, which the test oracle
 * venv does not have: the benchmark installs it into a package folder of its own. When that
 * install fails, the benchmark measures Feast's file (dask) offline store instead and says so.
 */
const PACKAGES = ['atpublic==9.0.0', 'duckdb==2.0.0', 'ibis-framework==12.0.0', 'parsy==2.2', 'pyarrow-hotfix==0.7', 'sqlglot==30.30.0'];

export function feastEnvironment(python: string, log: (line: string) => void): { store: 'duckdb' | 'file'; env: NodeJS.ProcessEnv } {
  const folder = packageFolder(python, 'feast-duckdb-extra', PACKAGES, log);
  if (folder.failure !== undefined) {
    log(`could not install Feast's DuckDB offline store (${folder.failure}): measuring Feast's file offline store`);
    return { store: 'file', env: process.env };
  }
  const check = spawnSync(python, ['-c', 'import ibis, duckdb; from feast.infra.offline_stores.duckdb import DuckDBOfflineStore'], {
    encoding: 'utf8',
    env: folder.env,
  });
  if (check.status !== 0) {
    log(`Feast's DuckDB offline store does not import (${check.stderr.trim().split('\n').at(-1) ?? ''}): measuring its file offline store`);
    return { store: 'file', env: process.env };
  }
  folder.markReady();
  return { store: 'duckdb', env: folder.env };
}
