// How a training set's entity rows are cut into chunks: consecutive rows in file order, at most
// `chunkRows` each, crossing file boundaries, every row in exactly one chunk, the same every time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutByFile, cutIntoChunks } from '../../../features/training-set/index.js';

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
