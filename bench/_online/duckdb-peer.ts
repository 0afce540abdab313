/**
 * The peer: a plain DuckDB query over the same Parquet files (local copies, as Floe reads them),
 * with no Iceberg planning and no caches of Floe's: the latest row per requested key.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier as q, quoteLiteralList } from '../../engine/sql.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { FEATURES } from './dataset.js';

export async function localDataFiles(table: LoadedTable): Promise<string[]> {
  const plan = await planScan(table);
  return Promise.all(plan.tasks.map((task) => table.io.localize(task.dataFile.filePath)));
}

export function peerQuery(connection: DuckDBConnection, files: readonly string[]): (keys: readonly number[]) => Promise<unknown> {
  const columns = ['driver_id', ...FEATURES, 'event_ts'].map((name) => q(name)).join(', ');
  const source = `read_parquet(${quoteLiteralList(files)})`;
  return async (keys) => {
    const reader = await connection.runAndReadAll(
      `SELECT ${columns} FROM ${source} WHERE driver_id IN (${keys.map((key) => `${key}::BIGINT`).join(', ')}) ` +
        `QUALIFY row_number() OVER (PARTITION BY driver_id ORDER BY event_ts DESC, created_ts DESC NULLS LAST) = 1`,
    );
    return reader.getRows();
  };
}
