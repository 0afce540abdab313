import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID, POSITION_DELETE_POS_FIELD_ID } from '../../../../iceberg/spec/position-deletes.js';
import { writeParquet, writePositionDeletes } from '../../../../engine/write/parquet-writer.js';
import { quoteIdentifier, quoteLiteral, quoteLiteralList } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import { sortedCanonical, tuples, withConnection } from '../../../support/engine/duckdb.js';
import { file, plan, schema, task } from '../../../support/engine/plans.js';

const people = schema(
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'name', required: false, type: 'string' },
  {
    id: 3,
    name: 'address',
    required: false,
    type: {
      type: 'struct',
      fields: [
        { id: 5, name: 'city', required: false, type: 'string' },
        { id: 6, name: 'zips', required: false, type: { type: 'list', elementId: 7, element: 'int', elementRequired: false } },
      ],
    },
  },
  {
    id: 4,
    name: 'scores',
    required: false,
    type: { type: 'map', keyId: 8, key: 'string', valueId: 9, value: 'double', valueRequired: false },
  },
);

const peopleQuery = `SELECT i AS id, 'p' || i AS name, {'city': 'c' || (i % 3), 'zips': [i::INTEGER, (i + 1)::INTEGER]} AS address, MAP {'s': i / 2} AS scores FROM range(100) t(i)`;

describe('writeParquet', () => {
  it('writes Iceberg field ids at every level, as parquet_schema() shows', async () => {
    await withConnection(async (connection, dir) => {
      const [written] = await writeParquet(connection, { query: peopleQuery, schema: people, directory: dir });
      const fields = await tuples(
        connection,
        `SELECT name, field_id FROM parquet_schema(${quoteLiteral(written!.localPath)}) WHERE field_id IS NOT NULL ORDER BY field_id`,
      );
      assert.deepEqual(fields, [
        ['id', 1n],
        ['name', 2n],
        ['address', 3n],
        ['scores', 4n],
        ['city', 5n],
        ['zips', 6n],
        ['element', 7n],
        ['key', 8n],
        ['value', 9n],
      ]);
      assert.equal(written!.recordCount, 100);
      assert.match(basename(written!.localPath), /^data-[0-9a-f-]{36}\.parquet$/);
      assert.deepEqual(written!.partition, []);
    });
  });

  it('casts the query to the schema’s types and reads back by field id under a renamed schema', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT i::TINYINT AS small, make_timestamp(i * 1000000)::TIMESTAMP_MS AS at FROM range(5) t(i)`,
        schema: schema({ id: 1, name: 'small', required: true, type: 'long' }, { id: 2, name: 'at', required: false, type: 'timestamp' }),
        directory: dir,
      });
      const physical = await tuples(
        connection,
        `SELECT name, type, logical_type FROM parquet_schema(${quoteLiteral(files[0]!.localPath)}) WHERE field_id IS NOT NULL ORDER BY field_id`,
      );
      assert.deepEqual(
        physical.map((row) => row.slice(0, 2)),
        [
          ['small', 'INT64'],
          ['at', 'INT64'],
        ],
      );
      assert.match(String(physical[1]![2]), /MICROS=MicroSeconds/);
      const renamed = schema(
        { id: 2, name: 'when', required: false, type: 'timestamp' },
        { id: 1, name: 'n', required: true, type: 'long' },
      );
      const sql = readPlanSql(plan(renamed, [task(file(files[0]!.localPath), 1)]), { localPath: (path) => path });
      assert.deepEqual(await tuples(connection, `SELECT epoch_us("when"), n FROM (${sql}) ORDER BY n`), [
        [0n, 0n],
        [1000000n, 1n],
        [2000000n, 2n],
        [3000000n, 3n],
        [4000000n, 4n],
      ]);
    });
  });

  it('splits files by computed partition columns without writing them, and reports typed partition values', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT id, name, address, scores, (id % 4)::INTEGER AS "__bucket", CASE WHEN id < 50 THEN 'early' END AS "part; 'odd'/=" FROM (${peopleQuery})`,
        schema: people,
        directory: dir,
        partitionColumns: [
          { name: '__bucket', type: 'int' },
          { name: "part; 'odd'/=", type: 'string' },
        ],
      });
      assert.equal(files.length, 8);
      const seen = new Set(files.map((written) => JSON.stringify(written.partition)));
      assert.equal(seen.size, 8);
      let total = 0;
      for (const written of files) {
        const [bucket, part] = written.partition as [number, string | null];
        assert.equal(typeof bucket, 'number');
        const columns = await tuples(
          connection,
          `SELECT name FROM parquet_schema(${quoteLiteral(written.localPath)}) WHERE field_id IS NOT NULL AND field_id < 5 ORDER BY field_id`,
        );
        assert.deepEqual(columns.flat(), ['id', 'name', 'address', 'scores'], 'partition columns are not written');
        const ids = (await tuples(connection, `SELECT id FROM read_parquet(${quoteLiteral(written.localPath)})`)).map(([id]) => Number(id));
        assert.ok(ids.length > 0);
        for (const id of ids) {
          assert.equal(id % 4, bucket);
          assert.equal(id < 50 ? 'early' : null, part);
        }
        assert.equal(written.recordCount, ids.length);
        total += ids.length;
      }
      assert.equal(total, 100);
    });
  });

  it('rotates files at the target size; together they hold every row once', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT i AS id, md5(i::VARCHAR) AS name FROM range(200000) t(i)`,
        schema: schema({ id: 1, name: 'id', required: true, type: 'long' }, { id: 2, name: 'name', required: false, type: 'string' }),
        directory: dir,
        targetFileSizeBytes: 1_000_000,
        rowGroupSize: 20_000,
      });
      assert.ok(files.length > 2, `${files.length} files`);
      assert.equal(
        files.reduce((sum, written) => sum + written.recordCount, 0),
        200000,
      );
      const [[count, distinct]] = (await tuples(
        connection,
        `SELECT count(*), count(DISTINCT id) FROM read_parquet(${quoteLiteralList(files.map((written) => written.localPath))})`,
      )) as [[bigint, bigint]];
      assert.deepEqual([count, distinct], [200000n, 200000n]);
      for (const written of files) {
        const stats = written.columnStats.find((column) => column.fieldId === 1)!;
        const [[min, max]] = (await tuples(
          connection,
          `SELECT min(id), max(id) FROM read_parquet(${quoteLiteral(written.localPath)})`,
        )) as [[bigint, bigint]];
        assert.deepEqual([stats.min, stats.max], [min, max]);
      }
    });
  });

  it('keeps -0.0 in a column it sorts by, alone and inside a list (duckdb/duckdb#25417)', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT CAST(x AS DOUBLE) AS x, [CAST(x AS DOUBLE)] AS xs, i AS id FROM (VALUES ('-0', 1), ('1.5', 2), ('-2', 3)) t(x, i)`,
        schema: schema(
          { id: 1, name: 'x', required: false, type: 'double' },
          { id: 2, name: 'xs', required: false, type: { type: 'list', elementId: 4, element: 'double', elementRequired: false } },
          { id: 3, name: 'id', required: true, type: 'long' },
        ),
        directory: dir,
        orderBy: ['x', 'xs'],
      });
      assert.deepEqual(
        await tuples(connection, `SELECT id, signbit(x), signbit(xs[1]) FROM read_parquet(${quoteLiteral(files[0]!.localPath)})`),
        [
          [3, true, true],
          [1, true, true],
          [2, false, false],
        ].map(([id, ...signs]) => [BigInt(id as number), ...signs]),
      );
    });
  });

  it('writes nothing for an empty result', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writeParquet(connection, {
        query: `SELECT 1::BIGINT AS id WHERE false`,
        schema: schema({ id: 1, name: 'id', required: true, type: 'long' }),
        directory: dir,
      });
      assert.deepEqual(files, []);
      assert.deepEqual(await readdir(dir).then((names) => names.filter((name) => name.endsWith('.parquet'))), []);
    });
  });

  it('fails on a null in a required column, naming it, and leaves no file behind', async () => {
    await withConnection(async (connection, dir) => {
      const out = join(dir, 'out');
      await assert.rejects(
        writeParquet(connection, {
          query: `SELECT * FROM (VALUES (1), (NULL)) t("entity id")`,
          schema: schema({ id: 1, name: 'entity id', required: true, type: 'long' }),
          directory: out,
        }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && error.message.includes('"entity id"'),
      );
      assert.deepEqual(await readdir(out), []);
    });
  });

  it('fails on a value its column cannot hold, naming the column, without DuckDB’s quote of the SQL or the file written', async () => {
    await withConnection(async (connection, dir) => {
      const out = join(dir, 'out');
      await assert.rejects(
        writeParquet(connection, {
          query: `SELECT * FROM (VALUES ('2024-05-01'), ('+010000-01-01')) t(ts)`,
          schema: schema({ id: 1, name: 'ts', required: false, type: 'timestamp' }),
          directory: out,
        }),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'invalid-input'), String(error));
          assert.match(
            error.message,
            /^The rows to write do not fit the table's column types: Conversion Error: .*"\+010000-01-01".* column ts$/,
          );
          assert.doesNotMatch(error.message, /LINE|SELECT|CAST|\/out/);
          return true;
        },
      );
    });
  });

  it('checks the query’s columns against the schema, naming what is wrong', async () => {
    await withConnection(async (connection, dir) => {
      const oneColumn = schema({ id: 1, name: 'id', required: true, type: 'long' });
      await assert.rejects(
        writeParquet(connection, { query: `SELECT 1 AS other`, schema: oneColumn, directory: dir }),
        /Column "id" is not in the query to write/,
      );
      await assert.rejects(writeParquet(connection, { query: `SELECT 1 AS id, 2 AS extra`, schema: oneColumn, directory: dir }), /"extra"/);
      await assert.rejects(
        writeParquet(connection, {
          query: `SELECT 1 AS id`,
          schema: schema({ id: 1, name: 'id', required: true, type: 'fixed[4]' }),
          directory: dir,
        }),
        (error: unknown) => FloeError.is(error, 'unsupported'),
      );
      await assert.rejects(
        writeParquet(connection, {
          query: `SELECT 1 AS id`,
          schema: oneColumn,
          directory: dir,
          orderBy: ['id'],
          targetFileSizeBytes: 1000,
        }),
        (error: unknown) => FloeError.is(error, 'unsupported'),
      );
      await assert.rejects(
        writeParquet(connection, {
          query: `SELECT 1 AS id, 1 AS p`,
          schema: oneColumn,
          directory: dir,
          partitionColumns: [{ name: 'p', type: 'int' }],
          targetFileSizeBytes: 1000,
        }),
        (error: unknown) => FloeError.is(error, 'unsupported'),
      );
      await assert.rejects(
        writeParquet(connection, { query: `SELECT 1 AS id`, schema: oneColumn, directory: dir, compression: 'lz4; DROP' as 'zstd' }),
        /compression must be one of/,
      );
    });
  });

  it('takes hostile column names through FIELD_IDS, the cast projection and the partitioning', async () => {
    await withConnection(async (connection, dir) => {
      const names = [`a"b`, `x'); DROP TABLE t; --`, 'with space', 'ünïcødé 🚀'];
      const hostile = schema(
        { id: 11, name: names[0]!, required: false, type: 'int' },
        { id: 12, name: names[1]!, required: false, type: 'string' },
        {
          id: 13,
          name: names[2]!,
          required: false,
          type: {
            type: 'struct',
            fields: [
              { id: 15, name: names[3]!, required: false, type: 'long' },
              { id: 16, name: names[1]!, required: false, type: 'double' },
            ],
          },
        },
      );
      // The NaN makes the stats reader count NaNs by reading the nested field back by its hostile path.
      const query = `SELECT i::INTEGER AS ${quoteIdentifier(names[0]!)}, 'v' || i AS ${quoteIdentifier(names[1]!)}, {${quoteLiteral(names[3]!)}: i, ${quoteLiteral(names[1]!)}: CASE WHEN i = 3 THEN 'NaN'::DOUBLE ELSE i END} AS ${quoteIdentifier(names[2]!)}, i % 2 AS ${quoteIdentifier(names[3]!)} FROM range(4) t(i)`;
      const files = await writeParquet(connection, {
        query,
        schema: hostile,
        directory: dir,
        partitionColumns: [{ name: names[3]!, type: 'long' }],
      });
      assert.equal(files.length, 2);
      const ids = await tuples(
        connection,
        `SELECT DISTINCT name, field_id FROM parquet_schema(${quoteLiteralList(files.map((written) => written.localPath))}) WHERE field_id IS NOT NULL ORDER BY field_id`,
      );
      assert.deepEqual(ids, [
        [names[0], 11n],
        [names[1], 12n],
        [names[2], 13n],
        [names[3], 15n],
        [names[1], 16n],
      ]);
      const nans = files.map((written) => [written.partition[0], written.columnStats.find((column) => column.fieldId === 16)?.nanCount]);
      assert.deepEqual(
        sortedCanonical(nans),
        sortedCanonical([
          [0n, 0],
          [1n, 1],
        ]),
      );
      const stats = files.flatMap((written) =>
        written.columnStats.filter((column) => column.fieldId === 15).map((column) => [written.partition[0], column.min, column.max]),
      );
      assert.deepEqual(
        sortedCanonical(stats),
        sortedCanonical([
          [0n, 0n, 2n],
          [1n, 1n, 3n],
        ]),
      );
    });
  });
});

describe('writePositionDeletes', () => {
  it('writes sorted (file_path, pos) rows with the reserved field ids, per partition', async () => {
    await withConnection(async (connection, dir) => {
      const files = await writePositionDeletes(connection, {
        query: `SELECT 's3://b/t/data/f' || (i % 5) || '.parquet' AS file_path, (i * 7919) % 10007 AS pos, (i % 5 < 2)::INTEGER AS part FROM range(100000) t(i)`,
        directory: dir,
        partitionColumns: [{ name: 'part', type: 'int' }],
        rowGroupSize: 4096,
      });
      assert.equal(files.length, 2);
      for (const written of files) {
        const ids = await tuples(
          connection,
          `SELECT name, field_id FROM parquet_schema(${quoteLiteral(written.localPath)}) WHERE field_id IS NOT NULL ORDER BY field_id DESC`,
        );
        assert.deepEqual(ids, [
          ['file_path', BigInt(POSITION_DELETE_FILE_PATH_FIELD_ID)],
          ['pos', BigInt(POSITION_DELETE_POS_FIELD_ID)],
        ]);
        const [[inversions, rows]] = (await tuples(
          connection,
          `SELECT count(*) FILTER (WHERE (prev_path, prev_pos) > (file_path, pos)), count(*) FROM (
             SELECT file_path, pos, lag(file_path) OVER w AS prev_path, lag(pos) OVER w AS prev_pos
             FROM read_parquet(${quoteLiteral(written.localPath)}, file_row_number = true) WINDOW w AS (ORDER BY file_row_number))
           WHERE prev_path IS NOT NULL`,
        )) as [[bigint, bigint]];
        assert.equal(inversions, 0n, 'rows are sorted by file_path, then pos');
        assert.equal(Number(rows) + 1, written.recordCount);
        const paths = written.columnStats.find((column) => column.fieldId === POSITION_DELETE_FILE_PATH_FIELD_ID)!;
        assert.deepEqual(
          [paths.min, paths.max],
          written.partition[0] === 1
            ? ['s3://b/t/data/f0.parquet', 's3://b/t/data/f1.parquet']
            : ['s3://b/t/data/f2.parquet', 's3://b/t/data/f4.parquet'],
        );
        assert.match(basename(written.localPath), /^delete-/);
      }
    });
  });
});
