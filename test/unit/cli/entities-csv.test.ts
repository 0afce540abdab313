// `--entities-csv` turns the CSV into the Parquet file the training-set workflow reads: a string
// join key's column as the text the file holds (DuckDB's detection would make `1.10` the double
// 1.1), the timestamp column as an instant in UTC, the other columns as DuckDB detects them.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { entitiesCsvAsParquet } from '../../../cli/entities-csv.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { rows, withEngine } from '../../support/engine/duckdb.js';

describe('--entities-csv', () => {
  it('keeps a string key as written, reads the timestamp as UTC, and detects the other columns', async () => {
    await withEngine(async (engine, dir) => {
      const csv = path.join(dir, 'entities.csv');
      await writeFile(
        csv,
        'account_id,branch_id,event_timestamp,label\n1.10,7.0,2024-05-01T10:00:00+09:00,1\n1e3,7,2024-05-01 01:00:00,0\n',
      );
      const parquet = await entitiesCsvAsParquet(engine, csv, {
        timestampColumn: 'event_timestamp',
        keyColumns: new Set(['account_id']),
        stateDirectory: dir,
      });
      const read = await engine.withConnection((connection) =>
        rows(
          connection,
          `SELECT account_id, branch_id, event_timestamp::VARCHAR AS event_timestamp, label, typeof(label) AS label_type FROM read_parquet(${quoteLiteral(parquet)})`,
        ),
      );
      assert.deepEqual(read, [
        { account_id: '1.10', branch_id: 7, event_timestamp: '2024-05-01 01:00:00+00', label: 1n, label_type: 'BIGINT' },
        { account_id: '1e3', branch_id: 7, event_timestamp: '2024-05-01 01:00:00+00', label: 0n, label_type: 'BIGINT' },
      ]);
    });
  });
});
