import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { deletionVectorKey } from '../../../../engine/deletes/deletion-vectors.js';
import { localizePlan } from '../../../../engine/read/table-reader.js';
import { FloeError } from '../../../../core/errors.js';
import type { FileIO } from '../../../../iceberg/io/file-io.js';
import { LocalFileIO } from '../../../../iceberg/io/local-file-io.js';
import { ProcessCaches } from '../../../../iceberg/process-caches.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID, POSITION_DELETE_POS_FIELD_ID } from '../../../../iceberg/spec/position-deletes.js';
import type { ScanPlan, ScanTask } from '../../../../iceberg/scan/plan.js';
import { deletionVectorBlob } from '../../../../iceberg/spec/deletion-vector.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import { writePuffin } from '../../../../iceberg/spec/puffin.js';
import { tuples, withConnection, withEngine } from '../../../support/engine/duckdb.js';
import { file, plan, schema, task } from '../../../support/engine/plans.js';
import { defined } from '../../../../contracts/defined.js';

const idSchema = schema({ id: 1, name: 'id', required: true, type: 'long' });

/** A table's FileIO and process caches for files on this machine. */
function localTable(): { io: FileIO; caches: ProcessCaches } {
  return { io: new LocalFileIO(), caches: new ProcessCaches() };
}

/** LocalFileIO that records its range reads and refuses to read or localize a Puffin file whole. */
function rangeOnlyIo(): FileIO & { ranges: [string, number, number][] } {
  const local = new LocalFileIO();
  const ranges: [string, number, number][] = [];
  const whole = (location: string): never => {
    throw new Error(`${location} was read whole`);
  };
  return Object.assign(Object.create(local) as LocalFileIO, {
    ranges,
    readRange: (location: string, offset: number, length: number) => {
      ranges.push([location, offset, length]);
      return local.readRange(location, offset, length);
    },
    read: (location: string) => (location.endsWith('.puffin') ? whole(location) : local.read(location)),
    localize: (location: string) => (location.endsWith('.puffin') ? whole(location) : local.localize(location)),
  });
}

/** Data files a (ids 0-9) and b (ids 10-14), one Puffin file with a vector for each, an equality delete of id 12. */
async function fixture(dir: string, run: (sql: string) => Promise<void>, vectors: { a: number[]; b: number[] }) {
  const a = join(dir, 'a.parquet');
  const b = join(dir, 'b.parquet');
  const equality = join(dir, 'eq.parquet');
  await run(`COPY (SELECT range::BIGINT AS id FROM range(0, 10)) TO ${quoteLiteral(a)} (FORMAT parquet, FIELD_IDS {id: 1})`);
  await run(`COPY (SELECT range::BIGINT AS id FROM range(10, 15)) TO ${quoteLiteral(b)} (FORMAT parquet, FIELD_IDS {id: 1})`);
  await run(`COPY (SELECT 12::BIGINT AS id) TO ${quoteLiteral(equality)} (FORMAT parquet, FIELD_IDS {id: 1})`);
  const blobs = [deletionVectorBlob(a, vectors.a), deletionVectorBlob(b, vectors.b)];
  const puffin = join(dir, 'deletes.puffin');
  const { bytes, metadata } = writePuffin(blobs);
  await writeFile(puffin, bytes);
  const vector = (dataFile: string, index: number): DataFile => ({
    ...file(puffin, 'position-deletes'),
    fileFormat: 'PUFFIN',
    referencedDataFile: dataFile,
    contentOffset: metadata.blobs[index]!.offset,
    contentSizeInBytes: metadata.blobs[index]!.length,
    recordCount: blobs[index]!.cardinality,
  });
  const equalityRef = { file: { ...file(equality, 'equality-deletes', [1]), recordCount: 1 }, dataSequenceNumber: 3 };
  const scan: ScanPlan = plan(idSchema, [
    task({ ...file(a), recordCount: 10 }, 1, { position: [{ file: vector(a, 0), dataSequenceNumber: 2 }], equality: [equalityRef] }),
    task({ ...file(b), recordCount: 5 }, 1, { position: [{ file: vector(b, 1), dataSequenceNumber: 1 }], equality: [equalityRef] }),
  ]);
  return { scan, a, b, puffin, vector };
}

describe('deletion vectors in a read plan', () => {
  it("removes each data file's vector positions (two vectors of one Puffin file, each read by its range) beside an equality delete", async () => {
    await withConnection(async (connection, dir) => {
      const { scan, puffin } = await fixture(dir, (sql) => connection.run(sql).then(() => undefined), { a: [9, 1, 3], b: [0] });
      const io = rangeOnlyIo();
      const table = { io, caches: new ProcessCaches() };
      const localPath = await localizePlan(table, scan, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') });
      const ids = await tuples(connection, `SELECT id FROM (${readPlanSql(scan, { localPath })}) ORDER BY id`);
      assert.deepEqual(
        ids.map(([id]) => Number(id)),
        [0, 2, 4, 5, 6, 7, 8, 11, 13, 14],
      );
      assert.deepEqual(
        io.ranges.map(([location]) => location),
        [puffin, puffin],
      );
      // Each vector's positions are decoded once: a second plan reads no range.
      await localizePlan(table, scan, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') });
      assert.equal(io.ranges.length, 2);
    });
  });

  it("a vector whose cardinality is not its manifest entry's record_count: corrupt, naming the data file and table", async () => {
    await withConnection(async (connection, dir) => {
      const { scan, a } = await fixture(dir, (sql) => connection.run(sql).then(() => undefined), { a: [1, 2], b: [0] });
      const lying: ScanPlan = {
        ...scan,
        tasks: scan.tasks.map((entry, index) =>
          index === 0
            ? { ...entry, positionDeletes: entry.positionDeletes.map((ref) => ({ ...ref, file: { ...ref.file, recordCount: 3 } })) }
            : entry,
        ),
      };
      await assert.rejects(localizePlan(localTable(), lying, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') }), (error) => {
        assert.ok(FloeError.is(error, 'corrupt'), String(error));
        assert.match(
          error.message,
          new RegExp(`data file ${a} of table ns\\.t deletes 2 rows, but its manifest entry's record_count says 3`),
        );
        return true;
      });
    });
  });

  it('keeps the vectors of a plan as positions when their bits would pass the budget, or a data file has more rows than get_bit addresses', async () => {
    await withConnection(async (connection, dir) => {
      const { scan } = await fixture(dir, (sql) => connection.run(sql).then(() => undefined), { a: [9, 1, 3], b: [0] });
      const huge: ScanPlan = {
        ...scan,
        tasks: scan.tasks.map((entry, index) =>
          index === 0 ? { ...entry, dataFile: { ...entry.dataFile, recordCount: 2 ** 31 } } : entry,
        ),
      };
      const cases = [
        { what: 'within the budget', plan: scan, budget: undefined, bits: true },
        { what: 'past the budget (bits of 10 and 5 rows take 3 bytes)', plan: scan, budget: 2, bits: false },
        { what: 'a data file of 2^31 rows', plan: huge, budget: undefined, bits: false },
      ];
      for (const { what, plan: read, budget, bits } of cases) {
        const localPath = await localizePlan(localTable(), read, {
          deletionVectorDirectory: join(dir, 'vectors'),
          ...defined({ deletionVectorBitsBudget: budget }),
        });
        const kept = read.tasks.map((entry) => localPath(deletionVectorKey(entry.positionDeletes[0]!.file)));
        assert.deepEqual(
          kept.map((path) => path.endsWith('.bits')),
          [bits, bits],
          what,
        );
        const ids = await tuples(connection, `SELECT id FROM (${readPlanSql(read, { localPath })}) ORDER BY id`);
        assert.deepEqual(
          ids.map(([id]) => Number(id)),
          [0, 2, 4, 5, 6, 7, 8, 11, 13, 14],
          what,
        );
      }
    });
  });

  it('refuses a plan that gives a data file both a vector and a position delete file', async () => {
    await withConnection(async (connection, dir) => {
      const { scan, vector, a } = await fixture(dir, (sql) => connection.run(sql).then(() => undefined), { a: [1], b: [0] });
      const both: ScanPlan = {
        ...scan,
        tasks: [
          task({ ...file(a), recordCount: 10 }, 1, {
            position: [
              { file: vector(a, 0), dataSequenceNumber: 2 },
              { file: file(join(dir, 'pos.parquet'), 'position-deletes'), dataSequenceNumber: 2 },
            ],
          }),
        ],
      };
      assert.throws(
        () => readPlanSql(both, { localPath: (location) => location }),
        (error) => FloeError.is(error, 'invalid-input') && /a deletion vector replaces them all/.test(error.message),
      );
    });
  });

  it('keeps exactly the rows a brute-force reading of the vectors keeps, as bits or as positions, beside position delete files and files without deletes (property)', async () => {
    const dataFile = fc.record({
      rows: fc.integer({ min: 1, max: 40 }),
      deletes: fc.constantFrom('none', 'vector', 'files'),
      // Past the last row too: such positions delete nothing.
      positions: fc.uniqueArray(fc.integer({ min: 0, max: 45 }), { maxLength: 20 }),
    });
    await withConnection(async (connection, dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(dataFile, { minLength: 1, maxLength: 6 }), fc.boolean(), async (files, asPositions) => {
          const runDir = join(dir, `run-${run++}`);
          await mkdir(runDir, { recursive: true });
          const expected: number[] = [];
          const blobs: { index: number; blob: ReturnType<typeof deletionVectorBlob> }[] = [];
          const tasks: ScanTask[] = [];
          for (const [index, spec] of files.entries()) {
            const path = join(runDir, `data-${index}.parquet`);
            await connection.run(
              `CREATE OR REPLACE TEMP TABLE rows_of AS SELECT (${index * 1000} + range)::BIGINT AS id FROM range(${spec.rows})`,
            );
            await connection.run(`COPY rows_of TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS {id: 1})`);
            const deleted = new Set(spec.deletes === 'none' ? [] : spec.positions);
            for (let row = 0; row < spec.rows; row++) if (!deleted.has(row)) expected.push(index * 1000 + row);
            if (spec.deletes === 'vector') blobs.push({ index, blob: deletionVectorBlob(path, spec.positions) });
            const position = [];
            if (spec.deletes === 'files' && spec.positions.length > 0) {
              const deletes = join(runDir, `pos-${index}.parquet`);
              const values = spec.positions.map((pos) => `(${quoteLiteral(path)}, ${pos}::BIGINT)`).join(', ');
              await connection.run(
                `COPY (SELECT * FROM (VALUES ${values}) AS p(file_path, pos)) TO ${quoteLiteral(deletes)} ` +
                  `(FORMAT parquet, FIELD_IDS {file_path: ${POSITION_DELETE_FILE_PATH_FIELD_ID}, pos: ${POSITION_DELETE_POS_FIELD_ID}})`,
              );
              position.push({ file: { ...file(deletes, 'position-deletes'), recordCount: spec.positions.length }, dataSequenceNumber: 2 });
            }
            tasks.push(task({ ...file(path), recordCount: spec.rows }, 1, { position }));
          }
          if (blobs.length > 0) {
            const puffin = join(runDir, 'deletes.puffin');
            const { bytes, metadata } = writePuffin(blobs.map(({ blob }) => blob));
            await writeFile(puffin, bytes);
            blobs.forEach(({ index, blob }, blobIndex) => {
              const vector: DataFile = {
                ...file(puffin, 'position-deletes'),
                fileFormat: 'PUFFIN',
                referencedDataFile: tasks[index]!.dataFile.filePath,
                contentOffset: metadata.blobs[blobIndex]!.offset,
                contentSizeInBytes: metadata.blobs[blobIndex]!.length,
                recordCount: blob.cardinality,
              };
              tasks[index] = { ...tasks[index]!, positionDeletes: [{ file: vector, dataSequenceNumber: 2 }] };
            });
          }
          const scan = plan(idSchema, tasks);
          const localPath = await localizePlan(localTable(), scan, {
            deletionVectorDirectory: join(runDir, 'vectors'),
            ...(asPositions ? { deletionVectorBitsBudget: 0 } : {}),
          });
          const ids = await tuples(connection, `SELECT id FROM (${readPlanSql(scan, { localPath })}) ORDER BY id`);
          assert.deepEqual(
            ids.map(([id]) => Number(id)),
            expected,
          );
        }),
        { numRuns: 60 },
      );
    });
  });

  it("a data file holding more rows than its manifest entry's record_count: corrupt, naming the table", async () => {
    await withEngine(async (engine, dir) => {
      const { scan } = await engine.withConnection((connection) =>
        fixture(dir, (sql) => connection.run(sql).then(() => undefined), { a: [1], b: [0] }),
      );
      // Data file a holds 10 rows; its entry says 6, so its vector's bits end at row 7.
      const short: ScanPlan = {
        ...scan,
        tasks: scan.tasks.map((entry, index) => (index === 0 ? { ...entry, dataFile: { ...entry.dataFile, recordCount: 6 } } : entry)),
      };
      const localPath = engine.readFiles.recording(
        await localizePlan(localTable(), short, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') }),
        'ns.t',
      );
      await assert.rejects(
        engine.withConnection((connection) => tuples(connection, readPlanSql(short, { localPath }))),
        (error) => {
          assert.ok(FloeError.is(error, 'corrupt'), String(error));
          assert.match(
            error.message,
            /data file of table ns\.t read with a deletion vector holds more rows than its manifest entry's record_count/,
          );
          return true;
        },
      );
    });
  });

  it("leaves another query's get_bit error as DuckDB's when no vector was read", async () => {
    await withEngine(async (engine) => {
      await assert.rejects(
        engine.withConnection((connection) => tuples(connection, `SELECT get_bit('0101'::BIT, 9)`)),
        (error) => !FloeError.is(error) && /bit index 9 out of valid range/.test(String(error)),
      );
    });
  });
});
