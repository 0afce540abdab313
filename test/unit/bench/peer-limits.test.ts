// A peer that runs out of time or memory is reported as such (the benchmark's JSON names the reason)
// instead of failing the whole run; a peer that fails for any other reason still fails it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { child, ChildLimitError, withinLimits } from '../../../bench/_child.js';
import { feastIcebergTable } from '../../../features/import/feast-iceberg-table.js';

const node = process.execPath;

describe('child within limits', () => {
  it('kills a child past its time and reports it as over the limit', async () => {
    const outcome = await withinLimits(() =>
      child(node, ['-e', 'setTimeout(() => {}, 60_000)'], process.env, undefined, { timeoutMs: 300, memoryMb: 100_000 }),
    );
    assert.deepEqual(outcome, { failure: 'over 0.3 s' });
  });

  it('kills a child past its resident memory and reports it as out of memory', async () => {
    // Grows by 50 MB touched per 100 ms: past 150 MB within a few seconds.
    const grow = 'const kept = []; setInterval(() => kept.push(Buffer.alloc(50 * 1024 * 1024, 1)), 100);';
    const outcome = await withinLimits(() => child(node, ['-e', grow], process.env, undefined, { timeoutMs: 60_000, memoryMb: 150 }));
    assert.deepEqual(outcome, { failure: 'out of memory (over 150 MB resident)' });
  });

  it('still fails on any other error, with the child stderr', async () => {
    await assert.rejects(
      withinLimits(() =>
        child(node, ['-e', 'console.error("broken peer"); process.exit(3)'], process.env, undefined, {
          timeoutMs: 60_000,
          memoryMb: 100_000,
        }),
      ),
      (error: unknown) => !(error instanceof ChildLimitError) && /exit 3[\s\S]*broken peer/.test(String(error)),
    );
  });

  it('returns the output of a child that finishes within its limits', async () => {
    assert.deepEqual(
      await withinLimits(() =>
        child(node, ['-e', 'console.log("done")'], process.env, undefined, { timeoutMs: 60_000, memoryMb: 100_000 }),
      ),
      { result: { stdout: 'done\n' } },
    );
  });
});

describe('feastIcebergTable', () => {
  it("names Floe's SQLite catalog file, catalog name and warehouse as pyiceberg's SqlCatalog reads them", () => {
    assert.deepEqual(
      feastIcebergTable({ type: 'sql', uri: '/data/bench/catalog.db', warehouse: '/data/bench/warehouse' }, 'bench', 'trips'),
      {
        catalog_name: 'default',
        uri: 'sqlite:////data/bench/catalog.db',
        warehouse: 'file:///data/bench/warehouse',
        namespace: 'bench',
        table: 'trips',
      },
    );
    assert.deepEqual(
      feastIcebergTable({ type: 'sql', name: 'bench', uri: 'sqlite:////tmp/c.db', warehouse: 's3://bucket/wh' }, 'bench', 'driver_stats')
        .uri,
      'sqlite:////tmp/c.db',
    );
  });

  it('refuses a catalog Feast cannot share with Floe', () => {
    assert.throws(() => feastIcebergTable({ type: 'sql', uri: 'postgresql://floe@localhost/floe' }, 'bench', 'trips'), /SQLite catalog/);
    assert.throws(() => feastIcebergTable({ type: 'rest', uri: 'http://localhost:8181' }, 'bench', 'trips'), /SQLite catalog/);
  });
});
