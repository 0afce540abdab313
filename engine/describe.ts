import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../core/errors.js';
import { duckdbErrorReason } from './sql.js';
import type { ColumnShape } from './types.js';

/** The columns (names and DuckDB types) a query returns, without running it. */
export async function describeRelation(connection: DuckDBConnection, sql: string, what = 'query'): Promise<ColumnShape[]> {
  let prepared;
  try {
    prepared = await connection.prepare(`SELECT * FROM (${sql}) AS "__floe_described"`);
  } catch (error) {
    throw new FloeError('invalid-input', `DuckDB cannot plan the ${what}: ${duckdbErrorReason(error)}`, { cause: error });
  }
  try {
    const columns: ColumnShape[] = [];
    for (let index = 0; index < prepared.columnCount; index++)
      columns.push({ name: prepared.columnName(index), type: prepared.columnType(index) });
    return columns;
  } finally {
    prepared.destroySync();
  }
}

/** Fails with a message naming the relation and its columns when one of `names` is missing. */
export function requireColumns(columns: readonly ColumnShape[], names: readonly string[], what: string): void {
  const present = new Set(columns.map((column) => column.name));
  for (const name of names) {
    if (!present.has(name)) {
      throw new FloeError(
        'invalid-input',
        `Column ${JSON.stringify(name)} is not in the ${what}; its columns are ${columns.map((column) => JSON.stringify(column.name)).join(', ')}`,
        {
          context: { column: name },
        },
      );
    }
  }
}
