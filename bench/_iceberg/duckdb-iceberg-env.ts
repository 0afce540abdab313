import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../../scripts/services/paths.js';

/**
 * DuckDB's own Iceberg reader for `bench scan`: Python's duckdb with the iceberg and avro
 * extensions as pip packages (duckdb-ext-* carry the extension binaries built for that DuckDB
 * version). Installed once, pinned, into a folder of its own that goes on PYTHONPATH, so the test
 * oracle venv and Feast's pins are left as they are (`bench pit` puts DuckDB 2.0 on PYTHONPATH the
 * same way). The extensions load from `extensions` only: the scan script turns off autoinstall, so
 * nothing is fetched from DuckDB's extension repository at run time.
 */
const DUCKDB_VERSION = '1.4.4';
const PACKAGES = [`duckdb==${DUCKDB_VERSION}`, 'duckdb-ext-iceberg==1.4.4.20260205', 'duckdb-ext-avro==1.4.4.20260205'];

export interface DuckdbIcebergEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** The folder to give DuckDB as `extension_directory`. */
  readonly extensions: string;
}

export function duckdbIcebergEnvironment(python: string, log: (line: string) => void): DuckdbIcebergEnvironment {
  const target = path.join(cacheDir(), `duckdb-iceberg-${PACKAGES.join('-').replace(/[^A-Za-z0-9.=-]/g, '')}`.slice(0, 120));
  const ready = path.join(target, '.floe-ready');
  const env = { ...process.env, PYTHONPATH: [target, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const extensions = path.join(target, 'duckdb_ext', 'extensions');
  if (!existsSync(ready)) {
    log(`installing DuckDB's Iceberg reader (${PACKAGES.join(', ')}) into ${target}`);
    const install = spawnSync(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-q', '--no-deps', '--target', target, ...PACKAGES],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) {
      throw new Error(`Could not install ${PACKAGES.join(', ')} with pip: ${install.stderr.trim().split('\n').at(-1) ?? 'pip failed'}`);
    }
  }
  const check = spawnSync(
    python,
    [
      '-c',
      'import sys, duckdb; c = duckdb.connect(); c.execute("SET autoinstall_known_extensions = false"); c.execute("SET extension_directory = ?", [sys.argv[1]]); c.execute("LOAD avro"); c.execute("LOAD iceberg"); assert duckdb.__version__ == sys.argv[2], duckdb.__version__',
      extensions,
      DUCKDB_VERSION,
    ],
    { encoding: 'utf8', env },
  );
  if (check.status !== 0) {
    throw new Error(
      `DuckDB ${DUCKDB_VERSION} does not load its iceberg extension from ${extensions}: ${check.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  }
  writeFileSync(ready, new Date().toISOString());
  return { env, extensions };
}
