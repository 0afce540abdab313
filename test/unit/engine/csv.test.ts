// A CSV's first line names its columns, each once: DuckDB's detection took a header with an
// unnamed column (pandas writes its index so) for a row of data, and it reads a repeated name as
// `id_1`, a name the file does not have.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { csvHeaderProblem, readCsvSql } from '../../../engine/csv.js';
import { rows, withConnection } from '../../support/engine/duckdb.js';

describe('CSV headers', () => {
  it('are the first line, an unnamed column included, never a row of data', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'pandas.csv');
      await writeFile(file, ',driver_id,rate\n0,1001,0.5\n1,1002,\n');
      assert.deepEqual(await rows(connection, `SELECT * FROM ${readCsvSql(file)}`), [
        { column0: 0n, driver_id: 1001n, rate: 0.5 },
        { column0: 1n, driver_id: 1002n, rate: null },
      ]);
    });
  });

  it('name each column once, compared without case, or the problem says which', async () => {
    await withConnection(async (connection, dir) => {
      const problemOf = async (text: string, settings: string[] = []) => {
        const file = path.join(dir, 'rows.csv');
        await writeFile(file, text);
        return csvHeaderProblem(connection, file, settings);
      };
      assert.equal(await problemOf('driver_id,"rate, daily",at\n1,0.5,2024-05-02\n'), undefined);
      assert.equal(await problemOf('a;b\n1;2\n', ["delim = ';'"]), undefined);
      assert.equal(
        await problemOf(',driver_id\n0,1001\n'),
        'its header line gives column 1 no name (pandas writes its index so; write the file with index=False)',
      );
      assert.equal(
        await problemOf('driver_id,rate,Driver_ID\n1,0.5,2\n'),
        'its header line names column "Driver_ID" twice (names are compared without case)',
      );
      assert.equal(
        await problemOf('a;b;a\n1;2;3\n', ["delim = ';'"]),
        'its header line names column "a" twice (names are compared without case)',
      );
    });
  });
});
