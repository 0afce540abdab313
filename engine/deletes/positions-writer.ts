import { DuckDBInstance } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { quoteLiteral } from '../sql.js';

/**
 * Writes positions as one-column Parquet files (`__floe_pos`, BIGINT) through a DuckDB of its own,
 * opened on the first write (most plans keep no vector as positions) and closed by `close`.
 */
export class PositionsWriter {
  private instance: Promise<DuckDBInstance> | undefined;

  async write(positions: Float64Array, path: string): Promise<void> {
    this.instance ??= DuckDBInstance.create(':memory:');
    const connection = await (await this.instance).connect();
    const csv = `${path}.${randomUUID()}.csv`;
    try {
      await writeFile(csv, positions.length === 0 ? '' : `${positions.join('\n')}\n`, { flag: 'wx' });
      await connection.run(
        `COPY (SELECT * FROM read_csv(${quoteLiteral(csv)}, header = false, auto_detect = false, columns = {'__floe_pos': 'BIGINT'})) ` +
          `TO ${quoteLiteral(path)} (FORMAT parquet)`,
      );
    } finally {
      connection.closeSync();
      await unlink(csv).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance !== undefined) (await instance).closeSync();
  }
}
