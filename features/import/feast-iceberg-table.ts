import path from 'node:path';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { parseCatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { isPostgresUri } from '../../iceberg/catalog/postgres-driver.js';
import { sqlitePathFromUri } from '../../iceberg/catalog/sql-catalog.js';

/**
 * An Iceberg table as Feast's contrib IcebergSource reads it (test/oracles/feast_historical.py,
 * bench/_materialize/feast_materialize.py): catalog_type `sql`, which is pyiceberg's SqlCatalog. Floe's
 * SQL catalog keeps the same tables (iceberg_tables, keyed by catalog name) in the same SQLite file,
 * so Feast loads the very metadata Floe reads, with no copy and no second catalog. The registry
 * endpoint (server/registry) shows Floe's sources to Feast this way.
 */
export interface FeastIcebergTable {
  readonly catalog_name: string;
  /** SQLAlchemy's URL of the catalog file: `sqlite:////abs/catalog.db`. */
  readonly uri: string;
  readonly warehouse: string;
  readonly namespace: string;
  readonly table: string;
}

export function feastIcebergTable(config: CatalogConfig, namespace: string, table: string): FeastIcebergTable {
  const catalog = parseCatalogConfig(config);
  if (catalog.type !== 'sql' || isPostgresUri(catalog.uri) || sqlitePathFromUri(catalog.uri) === ':memory:')
    throw new Error(`Feast's IcebergSource reads a SQLite catalog here; the catalog is ${catalog.type}`);
  const file = path.resolve(sqlitePathFromUri(catalog.uri));
  const warehouse = catalog.warehouse ?? path.dirname(file);
  return {
    catalog_name: catalog.name,
    uri: `sqlite:///${file}`,
    warehouse: /^[a-z][a-z0-9+.-]*:\/\//i.test(warehouse) ? warehouse : `file://${path.resolve(warehouse)}`,
    namespace,
    table,
  };
}
