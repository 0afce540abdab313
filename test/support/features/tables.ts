import path from 'node:path';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import type { Expression } from '../../../iceberg/expressions/expression.js';
import type { NestedField, PrimitiveType } from '../../../iceberg/spec/types.js';
import type { Definition } from '../../../features/registry.js';
import { Registry } from '../../../features/registry.js';
import type { FeatureContext } from '../../../features/context.js';
import { scratchFolder } from '../scratch-folder.js';

/** A SQL catalog (SQLite) and DuckDB engine in a scratch folder, removed afterwards. */
export interface Workspace {
  readonly directory: string;
  readonly catalog: Catalog;
  readonly engine: Engine;
  context(definitions: readonly Definition[]): FeatureContext;
}

export async function withWorkspace<T>(fn: (workspace: Workspace) => Promise<T>): Promise<T> {
  const directory = scratchFolder('features-test');
  const catalog = await loadCatalog({
    type: 'sql',
    create: true,
    uri: path.join(directory, 'catalog.db'),
    warehouse: path.join(directory, 'warehouse'),
  });
  const engine = await Engine.create({ threads: 2, memoryLimit: '1GB', tempDirectory: path.join(directory, 'spill') });
  try {
    return await fn({
      directory,
      catalog,
      engine,
      context: (definitions) => ({ registry: new Registry(definitions), catalog, engine, workDirectory: path.join(directory, 'work') }),
    });
  } finally {
    engine.close();
    await catalog.close();
  }
}

export type Cell = null | boolean | number | bigint | string | { readonly micros: bigint };

/**
 * Creates `ns.name` with the given columns and appends the rows in `batches` commits (so the
 * table has several data files), written by Floe's own table writer.
 */
export async function createTableWithRows(
  workspace: Workspace,
  identifier: string,
  columns: readonly { name: string; type: PrimitiveType; required?: boolean }[],
  batches: readonly (readonly (readonly Cell[])[])[],
): Promise<void> {
  const [namespace, name] = identifier.split('.') as [string, string];
  if (!(await workspace.catalog.namespaceExists([namespace]))) await workspace.catalog.createNamespace([namespace]);
  const fields: NestedField[] = columns.map((column, index) => ({
    id: index + 1,
    name: column.name,
    type: column.type,
    required: column.required ?? false,
  }));
  await workspace.catalog.createTable(
    { namespace: [namespace], name },
    { schema: { schemaId: 0, identifierFieldIds: [], fields }, properties: { 'format-version': '2' } },
  );
  for (const rows of batches) {
    if (rows.length === 0) continue;
    const values = rows.map((row) => `(${row.map((cell, index) => cellSql(cell, columns[index]!.type)).join(', ')})`).join(', ');
    const query = `SELECT * FROM (VALUES ${values}) AS t(${columns.map((column) => q(column.name)).join(', ')})`;
    await appendQuery({
      catalog: workspace.catalog,
      engine: workspace.engine,
      identifier: { namespace: [namespace], name },
      query,
      workDirectory: path.join(workspace.directory, 'work'),
    });
  }
}

function cellSql(cell: Cell, type: PrimitiveType): string {
  if (cell === null) return `CAST(NULL AS ${sqlType(type)})`;
  if (typeof cell === 'object')
    return type === 'timestamptz'
      ? `(TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${cell.micros}::BIGINT))`
      : `make_timestamp(${cell.micros}::BIGINT)`;
  if (typeof cell === 'string') return `CAST(${quoteLiteral(cell)} AS ${sqlType(type)})`;
  // A double goes in as text: DuckDB reads a bare literal with many digits as a DECIMAL, whose cast to
  // DOUBLE can miss the nearest double by one unit in the last place. String(-0) is "0".
  if (type === 'double' || type === 'float') {
    const text = Object.is(cell, -0) ? '-0' : String(cell);
    return `CAST(${quoteLiteral(text)} AS ${sqlType(type)})`;
  }
  return `CAST(${String(cell)} AS ${sqlType(type)})`;
}

function sqlType(type: PrimitiveType): string {
  const types: Partial<Record<string, string>> = {
    long: 'BIGINT',
    int: 'INTEGER',
    double: 'DOUBLE',
    float: 'FLOAT',
    string: 'VARCHAR',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMP',
    timestamptz: 'TIMESTAMPTZ',
    date: 'DATE',
  };
  return types[type] ?? 'VARCHAR';
}

/** Deletes the rows of `ns.name` matching `filter` (merge-on-read) and commits; returns how many it deleted. */
export async function deleteWhere(workspace: Workspace, identifier: string, filter: Expression): Promise<number> {
  const tableIdentifier = parseTableIdentifier(identifier);
  const deletes = await deleteRows(await workspace.catalog.loadTable(tableIdentifier), {
    engine: workspace.engine,
    filter,
    workDirectory: path.join(workspace.directory, 'work'),
  });
  await commitChange(workspace.catalog, tableIdentifier, deletes.change!);
  return deletes.deletedRows;
}
