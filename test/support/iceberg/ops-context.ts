/**
 * A Floe SQL catalog and a pyiceberg SqlCatalog over the same SQLite file and warehouse, a DuckDB
 * engine, and the small steps the operations tests repeat: append rows with Floe, read and inspect
 * with pyiceberg, read with Floe.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import type { TableScanOptions } from '../../../engine/read/table-reader.js';
import type { Catalog, CreateTableRequest, LoadedTable, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { RestCatalog } from '../../../iceberg/catalog/rest-catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import type { CommitResult } from '../../../iceberg/commit/commit.js';
import type { TableChange } from '../../../iceberg/commit/table-change.js';
import type { OracleCatalog } from '../pyiceberg.js';
import { runPyiceberg, sqliteCatalog } from '../pyiceberg.js';
import { restCatalogService } from '../services.js';
import { oracleRestCatalog } from '../rest-catalog.js';
import { scratchFolder } from '../scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

export type Row = Record<string, unknown>;

export interface OpsContext {
  readonly kind: 'sql' | 'rest';
  readonly catalog: Catalog;
  readonly oracle: OracleCatalog;
  readonly engine: Engine;
  readonly dir: string;
  readonly namespace: string;
  close(): Promise<void>;
}

let tableCounter = 0;

/** SQL catalog (SQLite) on a local warehouse, shared with pyiceberg. */
export async function sqlContext(label: string): Promise<OpsContext> {
  const dir = scratchFolder(`ops-${label}`);
  const oracle = sqliteCatalog(dir);
  if (oracle.type !== 'sql') throw new Error('expected a SQL oracle catalog');
  const catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: oracle.warehouse });
  await catalog.createNamespace(['ops']);
  return withEngine('sql', catalog, oracle, dir, 'ops');
}

/** The REST catalog fixture on MinIO, shared with pyiceberg; a fresh namespace per context. */
export async function restContext(label: string): Promise<OpsContext> {
  const dir = scratchFolder(`ops-${label}`);
  const rest = restCatalogService();
  const properties = {
    's3.endpoint': rest.s3.endpoint,
    's3.region': rest.s3.region,
    's3.access-key-id': rest.s3.accessKeyId,
    's3.secret-access-key': rest.s3.secretAccessKey,
    's3.path-style-access': 'true',
  };
  const catalog = await RestCatalog.open({ name: 'rest', uri: rest.uri, warehouse: rest.warehouse, properties });
  const namespace = `ops_${label.replace(/[^a-z0-9]/gi, '_')}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  await catalog.createNamespace([namespace]);
  const oracle: OracleCatalog = oracleRestCatalog(rest);
  return withEngine('rest', catalog, oracle, dir, namespace);
}

async function withEngine(
  kind: 'sql' | 'rest',
  catalog: Catalog,
  oracle: OracleCatalog,
  dir: string,
  namespace: string,
): Promise<OpsContext> {
  const engine = await Engine.create({
    threads: 2,
    memoryLimit: '1GB',
    tempDirectory: join(dir, 'spill'),
    setup: registerIcebergFunctions,
  });
  await mkdir(join(dir, 'work'), { recursive: true });
  return {
    kind,
    catalog,
    oracle,
    engine,
    dir,
    namespace,
    async close() {
      engine.close();
      await catalog.close();
    },
  };
}

export async function createUniqueTable(context: OpsContext, name: string, request: CreateTableRequest): Promise<TableIdentifier> {
  const identifier = { namespace: [context.namespace], name: `${name}_${tableCounter++}` };
  await context.catalog.createTable(identifier, request);
  return identifier;
}

export const dotted = (identifier: TableIdentifier): string => [...identifier.namespace, identifier.name].join('.');

/** Appends rows given as SQL VALUES tuples, e.g. `(1, 'a')`, under the given column names. */
export async function appendValues(
  context: OpsContext,
  identifier: TableIdentifier,
  columns: readonly string[],
  tuples: readonly string[],
): Promise<CommitResult> {
  return appendQuery({
    catalog: context.catalog,
    engine: context.engine,
    identifier,
    query: `SELECT * FROM (VALUES ${tuples.join(', ')}) AS t(${columns.map((column) => `"${column}"`).join(', ')})`,
    workDirectory: join(context.dir, 'work'),
  });
}

export async function commit(context: OpsContext, identifier: TableIdentifier, change: TableChange): Promise<CommitResult> {
  return commitChange(context.catalog, identifier, change, { sleep: async () => undefined });
}

export async function load(context: OpsContext, identifier: TableIdentifier): Promise<LoadedTable> {
  return context.catalog.loadTable(identifier);
}

/** pyiceberg's rows of the table (at a snapshot, when given), sorted by `key`. */
export async function pyRows(
  context: OpsContext,
  identifier: TableIdentifier,
  key: string,
  options: { snapshotId?: bigint; rowFilter?: string } = {},
): Promise<Row[]> {
  const reply = await runPyiceberg<{ rows: Row[] }>('read', {
    catalog: context.oracle,
    identifier: dotted(identifier),
    ...(options.snapshotId === undefined ? {} : { snapshot_id: options.snapshotId.toString() }),
    ...defined({ row_filter: options.rowFilter }),
  });
  return sortBy(reply.rows, key);
}

export async function pyInspect(context: OpsContext, identifier: TableIdentifier, what: string, snapshotId?: bigint): Promise<Row[]> {
  const reply = await runPyiceberg<{ rows: Row[] }>('inspect', {
    catalog: context.oracle,
    identifier: dotted(identifier),
    what,
    ...(snapshotId === undefined ? {} : { snapshot_id: snapshotId.toString() }),
  });
  return reply.rows;
}

/** Floe's own read of the table, rows as JSON-friendly values (bigint → string), sorted by `key`. */
export async function floeRows(
  context: OpsContext,
  identifier: TableIdentifier,
  key: string,
  options: TableScanOptions = {},
): Promise<Row[]> {
  const table = await load(context, identifier);
  const scan = await scanTable(table, options);
  const rows = await context.engine.withConnection(
    async (connection) => (await connection.runAndReadAll(scan.sql)).getRowObjectsJS() as Row[],
  );
  return sortBy(
    rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([column, value]) => [column, typeof value === 'bigint' ? value.toString() : value])),
    ),
    key,
  );
}

export function sortBy(rows: readonly Row[], key: string): Row[] {
  const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
  return [...rows].sort((a, b) => {
    const [x, y] = [a[key], b[key]];
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'string' && typeof y === 'string' && /^-?\d+$/.test(x) && /^-?\d+$/.test(y)) return Number(BigInt(x) - BigInt(y));
    return text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0;
  });
}

/** The ids (a column of long or int) of the rows, as numbers, sorted. */
export function ids(rows: readonly Row[], key = 'id'): number[] {
  return rows.map((row) => Number(row[key])).sort((a, b) => a - b);
}

/** A snapshot row of pyiceberg's `inspect snapshots`: its summary map as an object. */
export function summaryOf(snapshot: Row): Record<string, string> {
  return Object.fromEntries((snapshot.summary as { key: string; value: string }[]).map(({ key, value }) => [key, value]));
}
