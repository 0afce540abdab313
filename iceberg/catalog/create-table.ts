import { FloeError } from '../../core/errors.js';
import type { Catalog, CreateTableRequest, LoadedTable, TableIdentifier } from './catalog.js';

/**
 * Creates the table, creating its namespace first when absent. A namespace another writer creates
 * in the meantime is fine; a table that already exists still fails with `already-exists`.
 */
export async function createTableEnsuringNamespace(
  catalog: Catalog,
  identifier: TableIdentifier,
  request: CreateTableRequest,
): Promise<LoadedTable> {
  if (!(await catalog.namespaceExists(identifier.namespace))) {
    await catalog.createNamespace(identifier.namespace).catch((error: unknown) => {
      if (!FloeError.is(error, 'already-exists')) throw error;
    });
  }
  return catalog.createTable(identifier, request);
}
