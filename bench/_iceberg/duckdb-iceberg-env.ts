import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageFolder } from '../_python-packages.js';

/**
 * DuckDB's own Iceberg reader for `bench scan`: Python's duckdb with the iceberg and avro
 * extensions as pip packages (duckdb-ext-* carry the extension binaries built for that DuckDB
 * version), installed into a package folder of its own (`bench pit` puts DuckDB 2.0 on PYTHONPATH
 * the same way for Feast). The extensions load from `extensions` only: the scan script turns off
 * autoinstall, so nothing is fetched from DuckDB's extension repository at run time.
 */
const DUCKDB_VERSION = '1.4.4';
const PACKAGES = [`duckdb==${DUCKDB_VERSION}`, 'duckdb-ext-iceberg==1.4.4.20260205', 'duckdb-ext-avro==1.4.4.20260205'];

export interface DuckdbIcebergEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** The folder to give DuckDB as `extension_directory`. */
  readonly extensions: string;
}

export function duckdbIcebergEnvironment(python: string, log: (line: string) => void): DuckdbIcebergEnvironment {
  const folder = packageFolder(python, 'duckdb-iceberg', PACKAGES, log);
  if (folder.failure !== undefined) throw new Error(`Could not install ${PACKAGES.join(', ')} with pip: ${folder.failure}`);
  const extensions = path.join(folder.target, 'duckdb_ext', 'extensions');
  const check = spawnSync(
    python,
    [
      '-c',
      'import sys, duckdb; c = duckdb.connect(); c.execute("SET autoinstall_known_extensions = false"); c.execute("SET extension_directory = ?", [sys.argv[1]]); c.execute("LOAD avro"); c.execute("LOAD iceberg"); assert duckdb.__version__ == sys.argv[2], duckdb.__version__',
      extensions,
      DUCKDB_VERSION,
    ],
    { encoding: 'utf8', env: folder.env },
  );
  if (check.status !== 0) {
    throw new Error(
      `DuckDB ${DUCKDB_VERSION} does not load its iceberg extension from ${extensions}: ${check.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  }
  folder.markReady();
  return { env: folder.env, extensions };
}
