/**
 * Fresh tables for tests that want one each: `scratchSqlCatalog` opens a SQLite catalog in a
 * scratch folder with the namespace `db`, and `tableMaker` creates `t0`, `t1`, … in a namespace of
 * any catalog, each from one base request with the call's own properties, format version or spec.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog, CreateTableRequest, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';

/** A SQLite catalog named `name` at `folder`/catalog.db, its warehouse in `folder`/warehouse, with the namespace `db`. */
export async function scratchSqlCatalog(folder: string, name: string): Promise<SqlCatalog> {
  const catalog = await SqlCatalog.open({
    name,
    uri: join(folder, 'catalog.db'),
    warehouse: pathToFileURL(join(folder, 'warehouse')).href,
  });
  await catalog.createNamespace(['db']);
  return catalog;
}

/** `newTable(overrides)`: a new table in `namespace` of `catalog()` (read at each call, as it opens in a hook), `base` with `overrides`. */
export function tableMaker(
  catalog: () => Catalog,
  namespace: readonly string[],
  base: CreateTableRequest,
): (overrides?: Partial<CreateTableRequest>) => Promise<TableIdentifier> {
  let counter = 0;
  return async (overrides = {}) => {
    const identifier = { namespace: [...namespace], name: `t${counter++}` };
    await catalog().createTable(identifier, { ...base, ...overrides });
    return identifier;
  };
}
