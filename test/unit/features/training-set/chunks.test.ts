// How a training set's entity rows are cut into chunks: consecutive rows in file order, at most
// `chunkRows` each, crossing file boundaries, every row in exactly one chunk, the same every time;
// or by key bucket, each source bucket whole in one chunk unless it alone holds more than `chunkRows`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cutByFile, cutByKeyBuckets, cutIntoChunks } from '../../../../features/training-set/index.js';

test('chunks cover every row once, in order, crossing files', () => {
  const files = [
    { file: 'a', rows: 130 },
    { file: 'empty', rows: 0 },
    { file: 'b', rows: 120 },
  ];
  const chunks = cutIntoChunks(files, 50);
  assert.deepEqual(
    chunks.map((chunk) => ({
      index: chunk.index,
      rows: chunk.rows,
      segments: chunk.segments.map((segment) => `${segment.file}[${segment.from},${segment.to})`),
    })),
    [
      { index: 0, rows: 50, segments: ['a[0,50)'] },
      { index: 1, rows: 50, segments: ['a[50,100)'] },
      { index: 2, rows: 50, segments: ['a[100,130)', 'b[0,20)'] },
      { index: 3, rows: 50, segments: ['b[20,70)'] },
      { index: 4, rows: 50, segments: ['b[70,120)'] },
    ],
  );
  assert.deepEqual(cutIntoChunks(files, 50), chunks, 'the same input gives the same chunks');
});

test('a last partial chunk, one-row chunks, and no rows at all', () => {
  assert.deepEqual(
    cutIntoChunks([{ file: 'a', rows: 7 }], 5).map((chunk) => chunk.rows),
    [5, 2],
  );
  const single = cutIntoChunks(
    [
      { file: 'a', rows: 2 },
      { file: 'b', rows: 1 },
    ],
    1,
  );
  assert.deepEqual(
    single.map((chunk) => chunk.segments),
    [[{ file: 'a', from: 0, to: 1 }], [{ file: 'a', from: 1, to: 2 }], [{ file: 'b', from: 0, to: 1 }]],
  );
  assert.deepEqual(cutIntoChunks([{ file: 'a', rows: 0 }], 10), []);
  assert.deepEqual(cutIntoChunks([], 10), []);
});

test('entity rows from a source are chunked by whole data files (a file is read with its deletes), closing a chunk once it holds chunkRows', () => {
  const files = [
    { file: 'a', rows: 30 },
    { file: 'b', rows: 30 },
    { file: 'c', rows: 80 },
    { file: 'd', rows: 5 },
  ];
  const chunks = cutByFile(files, 50);
  assert.deepEqual(
    chunks.map((chunk) => ({ index: chunk.index, files: chunk.segments.map((segment) => segment.file), rows: chunk.rows })),
    [
      { index: 0, files: ['a', 'b'], rows: 60 },
      { index: 1, files: ['c'], rows: 80 },
      { index: 2, files: ['d'], rows: 5 },
    ],
  );
  assert.ok(chunks.flatMap((chunk) => chunk.segments).every((segment, index) => segment.from === 0 && segment.to === files[index]!.rows));
  assert.deepEqual(cutByFile([], 10), []);
});

test('key-bucket chunks cover every position once, keep a source bucket whole unless it alone is too big, and are never empty', () => {
  // 3 source buckets of 4 positions each: 60 rows (fits), 250 rows (split), 0 rows.
  const rowsAt = [10, 20, 0, 30, 100, 100, 0, 50, 0, 0, 0, 0];
  assert.deepEqual(cutByKeyBuckets(rowsAt, 4, 100), [
    { from: 0, to: 4, rows: 60 },
    { from: 4, to: 5, rows: 100 },
    { from: 5, to: 7, rows: 100 },
    // The empty source bucket joins the last chunk.
    { from: 7, to: 12, rows: 50 },
  ]);
  assert.deepEqual(cutByKeyBuckets([0, 0, 0, 0], 2, 10), [{ from: 0, to: 4, rows: 0 }]);
  fc.assert(
    fc.property(
      fc.array(fc.nat(40), { minLength: 1, maxLength: 64 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 90 }),
      (counts, per, chunkRows) => {
        const runs = cutByKeyBuckets(counts, per, chunkRows);
        assert.equal(runs[0]!.from, 0);
        assert.equal(runs.at(-1)!.to, counts.length);
        runs.forEach((run, index) => {
          if (index > 0) assert.equal(run.from, runs[index - 1]!.to);
          assert.ok(run.to > run.from);
          assert.equal(
            run.rows,
            counts.slice(run.from, run.to).reduce((sum, count) => sum + count, 0),
          );
          if (runs.length > 1) assert.ok(run.rows > 0, 'no chunk is empty');
          // Over chunkRows only when one position alone is.
          if (run.rows > chunkRows)
            assert.deepEqual(
              counts.slice(run.from, run.to).filter((count) => count > 0),
              [run.rows],
            );
        });
        // A source bucket small enough lies in one chunk.
        for (let start = 0; start < counts.length; start += per) {
          const bucketRows = counts.slice(start, start + per).reduce((sum, count) => sum + count, 0);
          if (bucketRows === 0 || bucketRows > chunkRows) continue;
          const holding = runs.filter(
            (run) =>
              run.from < Math.min(counts.length, start + per) &&
              run.to > start &&
              counts.slice(Math.max(run.from, start), Math.min(run.to, start + per)).some((count) => count > 0),
          );
          assert.equal(holding.length, 1, `source bucket at ${start} is split`);
        }
      },
    ),
  );
});
