import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPlanSql } from '../../../engine/read-plan.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { localizePlan } from '../../../engine/table-reader.js';
import { FloeError } from '../../../core/errors.js';
import type { FileIO } from '../../../iceberg/io/file-io.js';
import { LocalFileIO } from '../../../iceberg/io/local-file-io.js';
import type { ScanPlan } from '../../../iceberg/scan/plan.js';
import { deletionVectorBlob } from '../../../iceberg/spec/deletion-vector.js';
import type { DataFile } from '../../../iceberg/spec/manifest.js';
import { writePuffin } from '../../../iceberg/spec/puffin.js';
import { tuples, withConnection } from '../../support/engine/duckdb.js';
import { file, plan, schema, task } from '../../support/engine/plans.js';

const idSchema = schema({ id: 1, name: 'id', required: true, type: 'long' });

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
      const localPath = await localizePlan(io, scan, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') });
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
      await localizePlan(io, scan, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') });
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
      await assert.rejects(
        localizePlan(new LocalFileIO(), lying, { table: 'ns.t', deletionVectorDirectory: join(dir, 'vectors') }),
        (error) => {
          assert.ok(FloeError.is(error, 'corrupt'), String(error));
          assert.match(
            error.message,
            new RegExp(`data file ${a} of table ns\\.t deletes 2 rows, but its manifest entry's record_count says 3`),
          );
          return true;
        },
      );
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
});
