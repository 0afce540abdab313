import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FileRowStore, RepeatedLookupError } from '../../../../features/online/file-row-store.js';
import { storedRows, storedTiles } from '../../../../features/online/row-store-encoding.js';
import type { StoredRow, StoredTiles } from '../../../../features/online/row-store-encoding.js';
import { FileTiles } from '../../../../features/online/file-tiles.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const scratch = scratchFolder('file-row-store');

const row = (values: StoredRow['values']): StoredRow => ({ values, eventTs: 1_717_200_000_000_000n, createdTs: null, materializedAt: 5n });

test('a stored file answers its keys with every value type as it was given', async () => {
  const store = new FileRowStore(path.join(scratch, 'types'));
  const values = [0.5, 3, 2n ** 63n - 1n, -(2n ** 63n), 2 ** 40, 'é', true, new Uint8Array([1, 2]), null];
  store.store('ns.t', 'file-a', storedRows, async (sink) => sink([['1', row(values)]]));
  assert.equal(store.read('ns.t', 'file-a', storedRows, ['1']), undefined, 'not stored yet');
  await store.idle();
  const read = store.read('ns.t', 'file-a', storedRows, ['1', '2'])!;
  assert.deepEqual([...read.keys()], ['1']);
  const stored = read.get('1')!;
  assert.deepEqual(stored.values.slice(0, 7), values.slice(0, 7));
  assert.deepEqual([...(stored.values[7] as Uint8Array)], [1, 2]);
  assert.equal(stored.values[8], null);
  assert.deepEqual([stored.eventTs, stored.createdTs, stored.materializedAt], [1_717_200_000_000_000n, null, 5n]);
  store.close();
});

test('nested values come back as given, map keys that name Object.prototype members included', async () => {
  const store = new FileRowStore(path.join(scratch, 'nested'));
  const map = Object.fromEntries([
    ['__proto__', 1n],
    ['constructor', 2n],
    ['a', null],
  ]);
  const values = [[0.25, null, 1.5], map, { name: 'x', tags: ['a', 'b'], inner: { n: 2n ** 62n } }];
  store.store('ns.t', 'file-n', storedRows, async (sink) => sink([['1', row(values)]]));
  await store.idle();
  const stored = store.read('ns.t', 'file-n', storedRows, ['1'])!.get('1')!;
  assert.deepEqual(stored.values, values);
  assert.deepEqual(Object.keys(stored.values[1] as object), ['__proto__', 'constructor', 'a']);
  assert.equal(Object.getPrototypeOf(stored.values[1]), Object.prototype);
  store.close();
});

test('a failed store leaves no file, is counted, and is not tried again; others go on', async () => {
  const directory = path.join(scratch, 'failure');
  const store = new FileRowStore(directory);
  let attempts = 0;
  const failing = async (sink: (rows: Iterable<readonly [string, StoredRow]>) => void): Promise<void> => {
    attempts++;
    sink([['1', row([1])]]);
    throw new Error('the data file is gone');
  };
  store.store('ns.t', 'broken', storedRows, failing);
  store.store('ns.t', 'fine', storedRows, async (sink) => sink([['1', row([2])]]));
  await store.idle();
  store.store('ns.t', 'broken', storedRows, failing);
  await store.idle();
  assert.equal(attempts, 1);
  assert.deepEqual(store.counters, { built: 1, buildFailures: 1, keysRead: 0 });
  assert.equal(store.read('ns.t', 'broken', storedRows, ['1']), undefined);
  assert.deepEqual(store.read('ns.t', 'fine', storedRows, ['1'])!.get('1')!.values, [2]);
  const [folder] = readdirSync(directory);
  assert.equal(readdirSync(path.join(directory, folder!)).length, 1, 'only the stored file is on disk');
  store.close();
});

test('a restarted store finds its files; retain removes the files of data files no longer in the table', async () => {
  const directory = path.join(scratch, 'restart');
  const first = new FileRowStore(directory);
  for (const file of ['a', 'b']) first.store('ns.t', file, storedRows, async (sink) => sink([[file, row([file])]]));
  await first.idle();
  first.close();

  const second = new FileRowStore(directory);
  assert.deepEqual(second.read('ns.t', 'a', storedRows, ['a'])!.get('a')!.values, ['a']);
  second.store('ns.t', 'a', storedRows, () => Promise.reject(new Error('stored already: not written again')));
  await second.idle();
  assert.equal(second.counters.buildFailures, 0);
  second.retain('ns.t', ['b']);
  assert.equal(second.read('ns.t', 'a', storedRows, ['a']), undefined);
  assert.deepEqual(second.read('ns.t', 'b', storedRows, ['b'])!.get('b')!.values, ['b']);
  second.close();
});

test('a second row of a lookup makes the sink forget the file so far; the rows handed again are what is stored', async () => {
  const directory = path.join(scratch, 'repeated');
  const store = new FileRowStore(directory);
  const refusals: unknown[] = [];
  store.store('ns.t', 'file-r', storedRows, async (sink) => {
    await sink([
      ['1', row(['first'])],
      ['2', row(['first'])],
    ]);
    await sink([['1', row(['again'])]]).catch((error: unknown) => refusals.push(error));
    await sink([['1', row(['latest'])]]);
  });
  await store.idle();
  assert.equal(refusals.length, 1);
  assert.ok(refusals[0] instanceof RepeatedLookupError);
  assert.equal(refusals[0].lookup, '1');
  assert.deepEqual(store.counters.buildFailures, 0);
  const read = store.read('ns.t', 'file-r', storedRows, ['1', '2'])!;
  assert.deepEqual([...read.keys()], ['1'], 'the rows before the repeated lookup were forgotten');
  assert.deepEqual(read.get('1')!.values, ['latest']);
  const [folder] = readdirSync(directory);
  assert.equal(readdirSync(path.join(directory, folder!)).length, 1, 'no partial file is left behind');
  store.close();
});

test('storing a large page lets the event loop run between slices of its rows', async () => {
  const store = new FileRowStore(path.join(scratch, 'paced'));
  let turns = 0;
  let storing = true;
  const count = (): void => {
    turns++;
    if (storing) setImmediate(count);
  };
  function* rows(): Generator<[string, StoredRow]> {
    for (let index = 0; index < 100_000; index++) yield [String(index), row([index, 'x'.repeat(20)])];
  }
  store.store('ns.t', 'file-p', storedRows, async (sink) => {
    setImmediate(count);
    await sink(rows());
    storing = false;
  });
  await store.idle();
  assert.equal(store.read('ns.t', 'file-p', storedRows, ['99999'])!.get('99999')!.values[0], 99_999);
  assert.ok(turns >= 10, `the event loop ran ${turns} times while one page of 100,000 rows was stored`);
  store.close();
});

test("an aggregated view's tiles come back as each key's rows, in the order given: column by column when numeric, else as values", async () => {
  const store = new FileRowStore(path.join(scratch, 'tiles'));
  const numeric: StoredTiles = {
    rows: [
      { tileStart: 1_717_200_000_000_001n, kind: 'pushed', sequence: 3, values: [1n, 2, null, -0] },
      { tileStart: 1_717_196_400_000_000n, kind: 'delta', sequence: 9, values: [2n ** 52n, -0.25, 1.5, Number.NaN] },
      { tileStart: 1_717_200_000_000_000n, kind: 'full', sequence: 7, values: [3n, 0.5, null, Number.POSITIVE_INFINITY] },
    ],
    pushed: 1,
  };
  // A string, a boolean, a long beyond 2^53 and a tile start beyond 2^53 µs: kept as values.
  const mixed: StoredTiles = {
    rows: [
      { tileStart: 1_717_196_400_000_000n, kind: 'delta', sequence: 7, values: [2n ** 63n - 1n, -0.25, 'é', false] },
      { tileStart: 2n ** 60n, kind: 'full', sequence: 2 ** 40, values: [3n, 0.5, null, true] },
    ],
    pushed: 0,
  };
  const twoLongs: StoredTiles = { rows: [numeric.rows[1]!, { ...numeric.rows[1]!, tileStart: 1_717_300_000_000_000n }], pushed: 0 };
  store.store('ns.t', 'tiles|file-t', storedTiles, async (sink) =>
    sink([
      ['1', numeric],
      ['2', mixed],
      ['3', twoLongs],
    ]),
  );
  await store.idle();
  const read = store.read('ns.t', 'tiles|file-t', storedTiles, ['1', '2', '3', '4'])!;
  assert.deepEqual([...read.keys()], ['1', '2', '3']);
  for (const [lookup, given] of [
    ['1', numeric],
    ['2', mixed],
    ['3', twoLongs],
  ] as const) {
    const { columns, pushed } = read.get(lookup)!;
    assert.equal(pushed, given.pushed);
    assert.deepEqual(FileTiles.ofKey(lookup, columns, pushed).rowsOf(0), given.rows, `key ${lookup}`);
  }
  assert.equal(
    read.get('1')!.columns.columns.every((column) => column.numeric),
    true,
    'numeric tiles are kept as doubles',
  );
  // 2^52 twice sums beyond 2^53: that long column is kept as doubles, marked so that its sums are made as longs.
  const twoLongsColumn = read.get('3')!.columns.columns[0]!;
  assert.deepEqual([twoLongsColumn.numeric, twoLongsColumn.numeric && twoLongsColumn.exactSums], [true, false]);
  assert.equal(store.counters.keysRead, 4);
  store.close();
});
