import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OnlineRow } from '../../../../features/online/file-rows.js';
import { isLater } from '../../../../features/online/file-rows.js';
import { fileRowWeight, RowCache } from '../../../../features/online/row-cache.js';

const row = (overrides: Partial<OnlineRow>): OnlineRow => ({
  values: [],
  eventTs: 10n,
  createdTs: null,
  materializedAt: null,
  sequence: 1,
  file: 'a',
  ...overrides,
});
const rows = (count: number): Map<string, OnlineRow> => new Map(Array.from({ length: count }, (_, index) => [String(index), row({})]));

test('the row cache loads a file once, shares a load in flight, and drops the least recently used past its limit', async () => {
  const cache = new RowCache(10);
  let loads = 0;
  const load = (count: number) => async () => {
    loads++;
    return rows(count);
  };
  const [first, second] = await Promise.all([cache.get('a', load(4)), cache.get('a', load(4))]);
  assert.equal(first, second);
  assert.equal(loads, 1);
  await cache.get('b', load(4));
  await cache.get('a', load(4)); // a is now the most recently used
  await cache.get('c', load(4)); // 12 rows > 10: b goes
  assert.deepEqual(cache.size, { files: 2, rows: 8 });
  await cache.get('a', load(4));
  assert.equal(loads, 3, 'a stayed cached');
  await cache.get('b', load(4));
  assert.equal(loads, 4, 'b was dropped and loads again');
});

test('a failed load is not cached', async () => {
  const cache = new RowCache(10);
  await assert.rejects(cache.get('a', async () => Promise.reject(new Error('gone'))));
  assert.equal((await cache.get('a', async () => rows(1))).size, 1);
});

test('the later row: event time, then created time (null lowest), then materialization, then commit order', () => {
  assert.ok(isLater(row({ eventTs: 11n }), row({ eventTs: 10n, createdTs: 99n })));
  assert.ok(isLater(row({ createdTs: 1n }), row({ createdTs: null })));
  assert.ok(!isLater(row({ createdTs: null }), row({ createdTs: 1n })));
  assert.ok(isLater(row({ createdTs: 1n, materializedAt: 5n }), row({ createdTs: 1n, materializedAt: 4n })));
  assert.ok(isLater(row({ sequence: 3 }), row({ sequence: 2 })));
  assert.ok(!isLater(row({}), row({})), 'a row is not later than itself');
});

test('a wide row (an embedding) weighs more than one: the bound in rows bounds memory too (issue #54)', async () => {
  // Rows of scalar features take tens of bytes in a file; a 768-float embedding about 3 KB.
  assert.equal(fileRowWeight({ fileSizeInBytes: 40_000, recordCount: 1_000 }), 1);
  assert.equal(fileRowWeight({ fileSizeInBytes: 0, recordCount: 0 }), 1);
  assert.equal(fileRowWeight({ fileSizeInBytes: 3_100_000, recordCount: 1_000 }), 12, 'a file without value counts: by its bytes');
  // Dictionary-encoded floats take ~240 bytes a row in the file, yet 768 doubles once held: the
  // value counts (key, 768 elements, three times) weigh it, not the bytes.
  const valueCounts = new Map([
    [1, 1_000],
    [6, 768_000],
    [3, 1_000],
    [4, 1_000],
    [5, 1_000],
  ]);
  const embeddingWeight = fileRowWeight({ fileSizeInBytes: 241_000, recordCount: 1_000, valueCounts });
  assert.equal(embeddingWeight, 24);
  assert.equal(fileRowWeight({ fileSizeInBytes: 40_000, recordCount: 1_000, valueCounts: new Map([[1, 1_000]]) }), 1);
  const cache = new RowCache(4_000);
  assert.equal(cache.holdsFilesOf(1_000), true);
  assert.equal(cache.holdsFilesOf(1_000, embeddingWeight), false, 'a file of 1,000 embeddings is read by key, not held whole');
  await cache.get('wide', async () => ({ size: 100 }), embeddingWeight);
  assert.deepEqual(cache.size, { files: 1, rows: 2_400 });
});
