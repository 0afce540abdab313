import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { commitChange } from '../../iceberg/commit/commit.js';
import type { CommitResult } from '../../iceberg/commit/commit.js';
import { appendedFiles, writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../iceberg/write/fast-append.js';
import type { Engine } from '../duckdb.js';
import { writeTableFiles } from './table-writer.js';
import { defined } from '../../contracts/defined.js';

export interface AppendQueryRequest {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly identifier: TableIdentifier;
  /** SQL whose columns are the table's columns by name. */
  readonly query: string;
  /** Local scratch space for DuckDB's output before upload. */
  readonly workDirectory: string;
  readonly idempotencyKey?: string;
  readonly summary?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** Appends a query's rows to an Iceberg table in one snapshot: write files, write a manifest, commit. */
export async function appendQuery(request: AppendQueryRequest): Promise<CommitResult & { dataFiles: number }> {
  const table = await request.catalog.loadTable(request.identifier);
  const name = `append-${randomUUID()}`;
  const localDirectory = path.join(request.workDirectory, 'scratch', name);
  await mkdir(localDirectory, { recursive: true });
  try {
    const signal = defined({ signal: request.signal });
    const dataFiles = await request.engine.withConnection(
      (connection) => writeTableFiles(connection, table, { query: request.query, fileNamePrefix: name, localDirectory, ...signal }),
      signal,
    );
    const manifest = await writeAddedManifest(table, dataFiles, name);
    const change = fastAppend([manifest], {
      ...defined({ idempotencyKey: request.idempotencyKey, summary: request.summary }),
    });
    return {
      ...(await commitChange(request.catalog, request.identifier, change, {
        loaded: table,
        ownedFiles: appendedFiles(manifest, dataFiles),
      })),
      dataFiles: dataFiles.length,
    };
  } finally {
    await rm(localDirectory, { recursive: true, force: true });
  }
}
