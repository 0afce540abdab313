import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../../../engine/duckdb.js';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import { withEngine } from '../../../support/engine/duckdb.js';
import { file, plan, schema, task } from '../../../support/engine/plans.js';

const location = 's3://bucket/t/data/a.parquet';

describe('a corrupt Parquet file', () => {
  it("is named by its location and table through the engine whose read plans recorded it, and by no file through another engine's", async () => {
    await withEngine(async (engine, dir) => {
      const local = join(dir, 'a.parquet');
      await engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT range::BIGINT AS id FROM range(0, 100000)) TO ${quoteLiteral(local)} (FORMAT parquet, FIELD_IDS {id: 1})`,
        ),
      );
      const bytes = await readFile(local);
      bytes.fill(0, 4, bytes.length - 8); // pages and footer zeroed, magic and footer length kept
      await writeFile(local, bytes);
      const scan = plan(schema({ id: 1, name: 'id', required: true, type: 'long' }), [task(file(location), 1)]);
      const sql = readPlanSql(scan, { localPath: engine.readFiles.recording(() => local, 'ns.t') });

      await assert.rejects(
        engine.withConnection((connection) => connection.run(`SELECT count(*) FROM (${sql})`)),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'corrupt'), String(error));
          assert.match(error.message, /^Data file s3:\/\/bucket\/t\/data\/a\.parquet of table ns\.t is not a readable Parquet file/);
          assert.ok(!error.message.includes(local), 'the local copy is named by its location');
          return true;
        },
      );

      const other = await Engine.create({ threads: 1 });
      try {
        await assert.rejects(
          other.withConnection((connection) => connection.run(`SELECT count(*) FROM (${sql})`)),
          (error: unknown) => FloeError.is(error, 'corrupt') && /^A Parquet file read by the query is unreadable/.test(error.message),
        );
      } finally {
        other.close();
      }
    });
  });
});
